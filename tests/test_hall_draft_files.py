"""Files of an online application: a draft keeps its uploads and shows them when reopened;
submitting moves them to the case in the submission's transaction; deleting the draft
deletes them. A plugin that refuses a file (``material_file_added``, e.g. antivirus) is
asked before the case exists: the applicant sees the refusal naming the material, and
there is no case, no stored file, and the draft is as it was."""

from __future__ import annotations

import io
import re

from test_hall_apply import PDF, PERSON, SIGNED_PDF, _citizen, _code, _material_ids, _number, _sign_in
from test_material_files import ANTIVIRUS

from onewindow.app import db
from onewindow.cases.models import Case, CaseMaterialFile
from onewindow.models.items import Item
from onewindow.storage import storage


def _draft_files(app):
    from onewindow_hall.tables import DraftFile

    with app.app_context():
        return [(f.material_id, f.original_name) for f in db.session.query(DraftFile).order_by(DraftFile.id)]


def _save(client, app, item_id, files):
    data = {"action": "save", **{f"files{mid}": (io.BytesIO(body), name) for mid, (name, body) in files.items()}}
    response = client.post(f"/hall/apply/{_code(app, item_id)}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return re.search(r"draft=(\d+)", response.headers["Location"]).group(1)


def _stored_keys(app) -> set[str]:
    with app.app_context():
        return set(storage().keys())


def test_a_draft_keeps_its_files_and_submitting_moves_them_to_the_case(app, client, make_item):
    _sign_in(client, _citizen(app))
    item_id = make_item(name="草稿文件测试许可")
    first, second = _material_ids(app, item_id)[:2]
    draft_id = _save(client, app, item_id, {first: ("申请书.pdf", PDF)})
    assert _draft_files(app) == [(first, "申请书.pdf")]
    page = client.get(f"/hall/apply/{_code(app, item_id)}?draft={draft_id}").get_data(as_text=True)
    assert f'data-material="{first}"' in page and "已随草稿保存" in page and "申请书.pdf" in page
    keys_before = _stored_keys(app)
    data = {"action": "submit", "draft": draft_id, f"files{second}": (io.BytesIO(SIGNED_PDF), "身份证明.pdf")}
    response = client.post(f"/hall/apply/{_code(app, item_id)}", data=data, content_type="multipart/form-data")
    number = _number(response)
    with app.app_context():
        case = db.session.query(Case).filter_by(number=number).one()
        files = {m.material_id: [f.original_name for f in m.files] for m in case.materials}
        assert files[first] == ["申请书.pdf"] and files[second] == ["身份证明.pdf"]
        assert [e.action for e in case.events] == ["submit", "add_material_files", "add_material_files"]
    assert _draft_files(app) == []  # moved: the draft and its files are gone
    assert len(_stored_keys(app) - keys_before) == 2  # in the case's file store now
    assert f'data-draft="{draft_id}"' not in client.get("/hall/my/").get_data(as_text=True)


def test_deleting_a_draft_deletes_its_files(app, client, make_item):
    _sign_in(client, _citizen(app))
    item_id = make_item(name="草稿删除测试许可")
    first = _material_ids(app, item_id)[0]
    keys_before = _stored_keys(app)
    draft_id = _save(client, app, item_id, {first: ("申请书.pdf", PDF)})
    assert len(_draft_files(app)) == 1
    assert client.post(f"/hall/drafts/{draft_id}/delete").status_code == 302
    assert _draft_files(app) == [] and _stored_keys(app) == keys_before  # no orphan file anywhere


def test_a_file_the_plugins_refuse_submits_nothing_and_names_the_material(make_app, make_item, throwaway_plugin):
    plugin = throwaway_plugin(ANTIVIRUS)
    app = make_app(plugins=[("antivirus", plugin)])
    client = app.test_client()
    _sign_in(client, _citizen(app))
    item_id = make_item(name="杀毒拒收测试许可")
    first, second = _material_ids(app, item_id)[:2]
    draft_id = _save(client, app, item_id, {first: ("申请书.pdf", PDF)})
    keys_before = _stored_keys(app)
    data = {"action": "submit", "draft": draft_id, f"files{second}": (io.BytesIO(SIGNED_PDF), "virus.pdf")}
    response = client.post(f"/hall/apply/{_code(app, item_id)}", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    with app.app_context():
        material = next(m.name for m in db.session.get(Item, item_id).materials if m.id == second)
    assert 'id="hall-problems"' in body and "病毒扫描发现 EICAR 测试特征" in body and "virus.pdf" in body
    assert f"材料“{material}”" in body
    with app.app_context():
        assert db.session.query(Case).filter_by(applicant_id=PERSON).count() == 0
        assert db.session.query(CaseMaterialFile).count() == 0
    assert _stored_keys(app) == keys_before  # the files written for the checks are gone again
    assert _draft_files(app) == [(first, "申请书.pdf")]  # the draft is as it was
