"""Reuse instead of resubmission (材料复用): an applicant's valid earlier files are offered at
acceptance and reused with one click, recorded as reused; another applicant's never are."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.materialfiles import FileRefused, Upload, add_material_files, verify_files
from onewindow.cases.models import ApplicantType, Case, CaseMaterialFile, Channel, MaterialStatus
from onewindow.cases.reuse import ACTION, offers, reuse_material_files
from onewindow.models.items import Item
from onewindow.storage import storage

PERSON = "440304200002291236"
OTHER = "11010519491231002X"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def accept(item, actor, applicant_id, name="张三") -> Case:
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name=name,
        applicant_id=applicant_id,
        channel=Channel.window,
    )
    return engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})


@pytest.fixture
def earlier(ctx, make_item, actor):
    """An accepted case of PERSON with an ID card scan, and the item to apply for again."""
    item = db.session.get(Item, make_item())
    case = accept(item, actor, PERSON)
    first = case.materials[0]
    (row,) = add_material_files(case, actor("acceptor"), first.material_id, [Upload("身份证.png", io.BytesIO(PNG))])
    return item, case, row


def test_an_applicants_earlier_file_is_offered_on_a_new_case_of_the_same_applicant(earlier, actor):
    item, old, row = earlier
    new = accept(item, actor, PERSON)
    offered = offers(PERSON, [m.name for m in new.materials], exclude_case=new)
    assert [(o.file.id, o.case_number) for o in offered[old.materials[0].name]] == [(row.id, old.number)]


def test_another_applicants_files_are_never_offered_nor_reusable(earlier, actor):
    item, old, row = earlier
    stranger = accept(item, actor, OTHER, name="李四")
    assert offers(OTHER, [m.name for m in stranger.materials], exclude_case=stranger) == {}
    events = len(stranger.events)
    with pytest.raises(FileRefused, match="不是本申请人"):
        reuse_material_files(stranger, actor("acceptor"), stranger.materials[0].material_id, [row.id])
    db.session.expire_all()
    assert len(stranger.events) == events
    assert db.session.query(CaseMaterialFile).count() == 1


def test_reuse_is_an_event_recorded_as_reused_with_the_same_sha256_and_no_copy(earlier, actor):
    item, old, row = earlier
    keys_before = set(storage().keys())
    new = accept(item, actor, PERSON)
    (reused,) = reuse_material_files(new, actor("acceptor"), new.materials[0].material_id, [row.id])
    assert reused.reused_from_id == row.id and reused.sha256 == row.sha256
    assert reused.storage_key == row.storage_key
    assert set(storage().keys()) == keys_before, "no bytes copied"
    event = new.events[-1]
    assert event.action == ACTION
    assert event.payload["files"][0]["sha256"] == row.sha256
    assert event.payload["files"][0]["reused_from"] == {"case": old.number, "file_id": row.id}
    assert verify_files(db.session, storage()) == (2, [])


def test_reusing_the_same_file_twice_is_one_file(earlier, actor):
    item, old, row = earlier
    new = accept(item, actor, PERSON)
    material_id = new.materials[0].material_id
    reuse_material_files(new, actor("acceptor"), material_id, [row.id])
    assert reuse_material_files(new, actor("acceptor"), material_id, [row.id]) == []
    assert len(new.materials[0].files) == 1


def test_a_file_older_than_the_reuse_period_is_not_offered(earlier, actor, app):
    item, old, row = earlier
    row.added_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    db.session.commit()
    new = accept(item, actor, PERSON)
    assert offers(PERSON, [m.name for m in new.materials], exclude_case=new) == {}
    app.extensions["onewindow"].settings["REUSE_MONTHS"] = 24
    assert offers(PERSON, [m.name for m in new.materials], exclude_case=new) != {}


def test_the_workbench_offers_the_applicants_files_and_reuses_the_ticked_one(earlier, app, login):
    from onewindow.models.org import Window

    item, old, row = earlier
    a01 = db.session.query(Window).filter_by(code="A01").one()
    form = {
        "applicant_type": "person",
        "applicant_name": "张三",
        "applicant_id": PERSON,
        "channel": "window",
        "window_id": str(a01.id),
    }
    form.update({f"m{m.id}": "submitted" for m in item.materials})
    client = app.test_client()
    login(client, "acceptor")
    page = client.post(f"/workbench/new/{item.id}", data={**form, "lookup": "1"}).get_data(as_text=True)
    assert f'name="reuse{item.materials[0].id}" value="{row.id}"' in page and old.number in page
    assert db.session.query(Case).count() == 1, "looking up creates no case"
    other = client.post(f"/workbench/new/{item.id}", data={**form, "applicant_id": OTHER, "lookup": "1"})
    assert "身份证.png" not in other.get_data(as_text=True)
    answer = client.post(
        f"/workbench/new/{item.id}", data={**form, "outcome": "accept", f"reuse{item.materials[0].id}": str(row.id)}
    )
    assert answer.status_code == 302
    new = db.session.query(Case).filter(Case.id != old.id).one()
    (reused,) = new.materials[0].files
    assert reused.reused_from_id == row.id


def test_the_case_page_offers_a_one_click_reuse_and_never_another_applicants_file(earlier, actor, app, login):
    item, old, row = earlier
    new = accept(item, actor, PERSON)
    stranger = accept(item, actor, OTHER, name="李四")
    client = app.test_client()
    login(client, "acceptor")
    material_id = new.materials[0].material_id
    page = client.get(f"/caseview/show/{new.id}").get_data(as_text=True)
    assert f"/caseview/reuse/{new.id}/{material_id}" in page and f'name="file_id" value="{row.id}"' in page
    assert f'name="file_id" value="{row.id}"' not in client.get(f"/caseview/show/{stranger.id}").get_data(as_text=True)
    client.post(f"/caseview/reuse/{stranger.id}/{material_id}", data={"file_id": str(row.id)})
    assert db.session.query(CaseMaterialFile).count() == 1, "a guessed file id of another applicant is refused"
    answer = client.post(f"/caseview/reuse/{new.id}/{material_id}", data={"file_id": str(row.id)})
    assert answer.status_code == 302
    db.session.expire_all()
    (reused,) = new.materials[0].files
    assert reused.reused_from_id == row.id
    assert f'name="file_id" value="{row.id}"' not in client.get(f"/caseview/show/{new.id}").get_data(as_text=True), (
        "offered once"
    )
