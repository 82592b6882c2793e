"""Public progress lookup (进度查询): anyone with the case number and the query code printed
on the notice sees the progress — never personal data, staff names or internal opinions;
a wrong code, an unknown number and a confidential case all answer the same 404."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, Case, CaseState, Channel, MaterialStatus
from onewindow.documents.labels import ACTION_LABELS
from onewindow.models.items import Item

PERSON = "440304200002291236"
ROOT = Path(__file__).resolve().parents[1]
INTERNAL_OPINION = "内部意见：场所核查由李科长负责"


def _accepted(app, make_item, actor, *, confidential=False, approve=True):
    """A case accepted on Mon 23 Nov 2026 and (optionally) approved by the department."""
    with app.app_context():
        item_id = make_item(name="食品经营许可")
        item = db.session.get(Item, item_id)
        item.confidential = confidential
        db.session.commit()
        application = engine.Application(
            item=item,
            applicant_type=ApplicantType.person,
            applicant_name="张三丰",
            applicant_id=PERSON,
            channel=Channel.window,
        )
        with travel_to(dt.date(2026, 11, 23)):
            case = engine.accept(
                application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials}
            )
            if approve:
                engine.approve_step(case, case.steps[0].id, actor("approver"), INTERNAL_OPINION)
        return case.number, case.query_code


def _error(body: str) -> str:
    return re.search(r'id="progress-error">([^<]*)<', body).group(1)


def test_progress_page_shows_item_state_dates_and_timeline(app, client, make_item, actor):
    number, code = _accepted(app, make_item, actor)
    response = client.get(f"/progress/{number}?code={code}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert number in body and "食品经营许可" in body
    assert 'data-state="approved"' in body
    assert "2026-11-23" in body and "2026-11-30" in body  # accepted on, due date
    assert [a for a in re.findall(r'data-action="(\w+)"', body)] == ["accept", "approve_step", "decide"]
    assert "市场监管局" in body  # which department reviewed is public; what it wrote is not
    assert response.headers["Cache-Control"] == "no-store"


def test_progress_page_never_shows_personal_data_staff_or_internal_opinions(app, client, make_item, actor):
    number, code = _accepted(app, make_item, actor)
    page = client.get(f"/progress/{number}?code={code}").get_data(as_text=True)
    api = json.dumps(client.get(f"/api/v1/public/progress/{number}?code={code}").get_json(), ensure_ascii=False)
    for url, body in (("page", page), ("api", api)):
        assert "张**" in body and "张三丰" not in body  # masked applicant name
        assert PERSON not in body and PERSON[-8:] not in body
        assert INTERNAL_OPINION not in body and "李科长" not in body
        for username in ("acceptor", "approver", "system"):
            assert username not in body, (url, username)


def test_query_code_is_not_case_sensitive(app, client, make_item, actor):
    number, code = _accepted(app, make_item, actor)
    assert client.get(f"/progress/{number}?code={code.lower()}").status_code == 200


def test_wrong_code_and_unknown_number_get_the_same_404(app, client, make_item, actor):
    number, code = _accepted(app, make_item, actor)
    wrong_code = "2" * 8 if code != "2" * 8 else "3" * 8
    unknown = number[:-4] + "9999"
    answers = [
        client.get(f"/progress/{number}?code={wrong_code}"),
        client.get(f"/progress/{unknown}?code={code}"),
        client.get(f"/progress/{number}"),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({_error(a.get_data(as_text=True)) for a in answers}) == 1
    api = [
        client.get(f"/api/v1/public/progress/{number}?code={wrong_code}"),
        client.get(f"/api/v1/public/progress/{unknown}?code={code}"),
    ]
    assert {a.status_code for a in api} == {404}
    assert api[0].get_json() == api[1].get_json()
    assert "食品经营许可" not in answers[0].get_data(as_text=True)


def test_confidential_case_is_never_shown_publicly(app, client, make_item, actor):
    number, code = _accepted(app, make_item, actor, confidential=True)
    with app.app_context():
        assert db.session.query(Case).filter_by(number=number).one().confidential
    page = client.get(f"/progress/{number}?code={code}")
    api = client.get(f"/api/v1/public/progress/{number}?code={code}")
    assert page.status_code == 404 and api.status_code == 404
    unknown = client.get(f"/api/v1/public/progress/{number[:-4]}9999?code={code}")
    assert api.get_json() == unknown.get_json()  # indistinguishable from a number that does not exist


def test_unconfirmed_due_date_is_flagged(app, client, make_item, actor):
    from flask_babel import gettext

    number, code = _accepted(app, make_item, actor, approve=False)
    with app.app_context():
        case = db.session.query(Case).filter_by(number=number).one()
        case.due_confirmed = False
        db.session.commit()
    with app.test_request_context():
        flag = gettext("(holiday arrangements not confirmed)")
    assert flag in client.get(f"/progress/{number}?code={code}").get_data(as_text=True)
    data = client.get(f"/api/v1/public/progress/{number}?code={code}").get_json()
    assert data["due_confirmed"] is False and data["due_date"] == "2026-11-30"


def test_json_answer(app, client, make_item, actor):
    number, code = _accepted(app, make_item, actor)
    data = client.get(f"/api/v1/public/progress/{number}?code={code}").get_json()
    assert data["number"] == number and data["state"] == "approved" and data["applicant"] == "张**"
    assert data["accepted_on"] == "2026-11-23" and data["decision"] == "approved"
    assert [step["action"] for step in data["timeline"]] == ["accept", "approve_step", "decide"]
    assert set(data["timeline"][0]) == {"at", "action", "label", "detail"}  # no actor, no reason


def test_lookup_form_redirects_to_the_case_page(client):
    form = client.get("/progress")
    assert form.status_code == 200 and 'name="number"' in form.get_data(as_text=True)
    assert 'name="code"' in form.get_data(as_text=True)
    response = client.get("/progress?number=ABC&code=XYZ")
    assert response.status_code == 302 and response.headers["Location"].endswith("/progress/ABC?code=XYZ")
    assert 'id="progress-error"' in client.get("/progress?number=ABC").get_data(as_text=True)


def test_notice_qr_code_url_opens_the_progress_page(app, client, make_item, actor):
    from onewindow.documents.render import progress_url

    number, _code = _accepted(app, make_item, actor)
    with app.app_context():
        url = progress_url(db.session.query(Case).filter_by(number=number).one())
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200


# --- vocabulary ----------------------------------------------------------------------


def _engine_actions() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "platform/onewindow/cases").glob("*.py"))
    actions = set(re.findall(r'transition\(\s*case,\s*[^,]+,\s*"(\w+)"', source))
    actions |= set(re.findall(r'_start_clock\(\s*case,\s*actor,\s*"(\w+)"', source))
    return actions


def _chinese_catalogue() -> dict[str, str]:
    pairs = {}
    for tsv in (ROOT / "scripts/zh").glob("*.tsv"):
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                msgid, _, msgstr = line.partition("\t")
                pairs[msgid] = msgstr
    return pairs


def test_every_engine_action_has_a_public_label():
    actions = _engine_actions()
    assert {"accept", "accept_deferred", "decide", "deliver_pickup"} <= actions  # the scan works
    assert actions <= set(ACTION_LABELS), sorted(actions - set(ACTION_LABELS))


@pytest.mark.parametrize("label", [*(s.value for s in CaseState), *ACTION_LABELS.values()], ids=str)
def test_every_state_and_action_label_has_chinese(label):
    msgid = label._args[0]  # the English message id behind the lazy string
    translated = _chinese_catalogue().get(msgid, "")
    assert re.search(r"[\u4e00-\u9fff]", translated), f"scripts/zh/documents.tsv: add {msgid!r}"


# --- browser -------------------------------------------------------------------------


@pytest.mark.browser
def test_applicant_looks_up_progress_in_a_browser(app, make_item, actor, live_server, page):
    number, code = _accepted(app, make_item, actor)
    page.goto(f"{live_server}/progress")
    page.fill("#number", number)
    page.fill("#code", code)
    page.click("button[type=submit]")
    page.wait_for_selector("#progress-timeline")
    assert number in page.inner_text("#progress-summary")
    assert PERSON not in page.content()
