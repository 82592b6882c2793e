"""一件事一次办 in real Chromium: 开办餐饮店 accepted once at the window, the departments
approve in parallel (each as its own user), the output window hands everything out with
one signature; the applicant's notices list every member (issue 19, Done when)."""

import os
from pathlib import Path

import pytest
from test_browser_cases import sign_in
from test_browser_flows import act, notice_text
from test_bundle_cases import merged_answers

from onewindow.app import db
from onewindow.cases.models import Case, CaseState, StepState
from onewindow.models import Staff
from onewindow.models.bundles import Bundle

pytestmark = pytest.mark.browser
COMPANY = "91440300MA5G7K2L82"
REP = "440304200002291236"
MEMBERS = ("企业设立登记", "食品经营许可证核发", "公众聚集场所投入使用、营业前消防安全检查", "城镇污水排入排水管网许可")
#: where the screenshots go when asked for (BUNDLE_SCREENSHOTS=<dir>)
SHOTS = os.environ.get("BUNDLE_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def accept_kaiban_at_the_window(page, live_server, demo_logins, app) -> int:
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/workbench/")
    page.click("#ow-bundles a:has-text('开办餐饮店')")
    page.select_option("select[name=q_discharges_wastewater]", "1")  # 是: 排水许可 applies
    page.click("#ow-bundle-plan")
    page.wait_for_selector("#ow-bundle-form")
    assert page.locator("#ow-bundle-members tr").count() == 1 + len(MEMBERS)
    page.fill("input[name=applicant_name]", "云溪县味道餐饮有限公司")
    page.fill("input[name=applicant_id]", COMPANY)
    for key, value in merged_answers().items():
        if key not in ("company_type", "food_category"):  # choices: the first is fine
            page.fill(f"#f_{key}", value)
    page.fill("input[name='x011001000000_shareholders-0-name']", "王五")
    page.fill("input[name='x011001000000_shareholders-0-id_number']", REP)
    page.fill("input[name='x011001000000_shareholders-0-share']", "100")
    # the business licence three members need is one row of the list
    assert page.locator("#ow-bundle-materials tr", has_text="营业执照").count() == 1
    shot(page, "bundle-workbench")
    page.click("#ow-bundle-submit")
    page.wait_for_load_state()
    assert page.locator("#ow-case").count() == 1, page.locator(".alert").all_inner_texts()
    assert "办理完成" in page.inner_text("body") or page.locator("#ow-bundle-members").count() == 1
    with app.app_context():
        bundle = db.session.query(Bundle).filter_by(code="kaiban-canyin").one()
        return db.session.query(Case).filter_by(bundle_id=bundle.id, parent_id=None).one().id


def active_steps(app, parent_id) -> list[tuple[str, str]]:
    """(username of the department's approver, child case number) of every active step."""
    with app.app_context():
        out = []
        for child in db.session.get(Case, parent_id).children:
            for step in child.steps:
                if step.state == StepState.active:
                    staff = db.session.query(Staff).filter_by(department_id=step.department_id).all()
                    user = next(s.username for s in staff if any(r.name == "approver" for r in s.roles))
                    out.append((user, child.number))
        return sorted(out)


def approve_every_step(page, live_server, demo_logins, app, parent_id) -> set[str]:
    users = set()
    while steps := active_steps(app, parent_id):
        for user, number in steps:  # each department from its own inbox, in parallel
            sign_in(page, live_server, user, demo_logins[user])
            page.goto(f"{live_server}/inbox/")
            page.locator("#ow-inbox tr", has_text=number).locator("a.ow-review").click()
            page.wait_for_selector("#ow-case-data")
            act(page, "approve_step", opinion="符合条件，同意")
            users.add(user)
    return users


def seal_every_licence(app, parent_id) -> None:
    """Each department's seal admin seals the e-licence its member issued (the seal
    screens have their own browser test; here the state the output window needs)."""
    from onewindow.licences import seals
    from onewindow.licences.models import Licence

    with app.app_context():
        for child in db.session.get(Case, parent_id).children:
            if not child.licence_identifier:
                continue
            if seals.active_seal(db.session, child.department_id) is None:
                seals.create_seal(db.session, child.department, "admin")
            staff = db.session.query(Staff).filter_by(department_id=child.department_id).all()
            sealer = next(s for s in staff if any(r.name == "seal_admin" for r in s.roles))
            licence = db.session.query(Licence).filter_by(identifier=child.licence_identifier).one()
            seals.seal_licence(db.session, licence, sealer)
        db.session.commit()


def hand_every_result_to_output(page, live_server, demo_logins, app, parent_id) -> None:
    with app.app_context():
        ready = []
        for child in db.session.get(Case, parent_id).children:
            staff = db.session.query(Staff).filter_by(department_id=child.department_id).all()
            ready.append((next(s.username for s in staff if any(r.name == "approver" for r in s.roles)), child.number))
    for user, number in ready:
        sign_in(page, live_server, user, demo_logins[user])
        page.goto(f"{live_server}/inbox/")
        row = page.locator("#ow-ready tr", has_text=number)
        row.locator("input[name=result_description]").fill("证照正本1份")
        row.locator("button").click()
        page.wait_for_load_state()


def test_kaiban_accepted_once_approved_in_parallel_and_handed_out_with_one_signature(
    page, live_server, demo_logins, app
):
    parent_id = accept_kaiban_at_the_window(page, live_server, demo_logins, app)
    shot(page, "bundle-parent-accepted")
    members = page.locator("#ow-bundle-members tr")
    assert members.count() == 1 + len(MEMBERS)
    accepted = notice_text(page, "受理通知书")
    assert all(name in accepted for name in MEMBERS) and "开办餐饮店" in accepted
    with app.app_context():
        parent = db.session.get(Case, parent_id)
        for child in parent.children:  # each member's own due date is on the one notice
            assert child.due_date.strftime("%Y年%-m月%-d日") in accepted or child.due_date.isoformat() in accepted
        number = parent.number

    # 食品, 消防 and 排水 come after 企业设立登记: shown waiting, in no other inbox yet
    assert page.locator(".ow-held").count() == len(MEMBERS) - 1
    with app.app_context():
        fire = next(c.number for c in db.session.get(Case, parent_id).children if c.item.name == MEMBERS[2])
    sign_in(page, live_server, "approver_xf", demo_logins["approver_xf"])
    page.goto(f"{live_server}/inbox/")
    assert page.locator("#ow-inbox tr", has_text=fire).count() == 0
    users = approve_every_step(page, live_server, demo_logins, app, parent_id)
    assert {"approver", "approver_xf", "approver_zj"} <= users  # 市场监管, 消防, 住建 each in their inbox
    with app.app_context():
        parent = db.session.get(Case, parent_id)
        assert parent.state == CaseState.at_output
        assert {c.state for c in parent.children} == {CaseState.approved}

    seal_every_licence(app, parent_id)
    hand_every_result_to_output(page, live_server, demo_logins, app, parent_id)

    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    page.goto(f"{live_server}/output/")
    row = page.locator("#ow-output tr", has_text=number)
    assert all(name in row.inner_text() for name in MEMBERS)
    with app.app_context():
        children = [c.number for c in db.session.get(Case, parent_id).children]
    assert not any(page.locator("#ow-output tr", has_text=n).count() for n in children)  # only the bundle's row
    shot(page, "bundle-output-window")
    form = row.locator(".ow-do-deliver_bundle")
    form.locator("input[name=signee_name]").fill("王五")
    form.locator("input[name=signee_id]").fill(REP)
    form.locator("input[name=agent]").check()
    form.locator("button").click()
    page.wait_for_load_state()

    page.goto(f"{live_server}/caseview/show/{parent_id}")
    assert "已送达" in page.inner_text("#ow-case-state")
    assert [s.strip() for s in page.locator(".ow-member-state").all_inner_texts()] == ["已送达"] * len(MEMBERS)
    shot(page, "bundle-parent-delivered")
    sheet = notice_text(page, "办理结果签收表")
    assert all(name in sheet for name in MEMBERS) and "王五" in sheet
    with app.app_context():
        parent = db.session.get(Case, parent_id)
        receipts = [n for c in [parent, *parent.children] for n in c.notices if n.kind == "receipt_sheet"]
        assert len(receipts) == 1  # one signature for everything


def test_the_window_refuses_an_online_bundle_as_a_whole_on_its_page(page, live_server, demo_logins, app):
    """Before acceptance a bundle is one application: the acceptor refuses it on the parent's
    page, every member with it, and the one 不予受理决定通知书 names every member."""
    from test_bundle_online import submit

    with app.app_context():
        parent = submit()
        parent_id, children = parent.id, [c.number for c in parent.children]
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/caseview/show/{parent_id}")
    form = page.locator("#ow-action-reject")
    assert "整件不予受理" in form.inner_text()
    shot(page, "bundle-online-before-refusal")
    act(page, "reject", reasons="申请事项不属于本中心受理范围", basis="《中华人民共和国行政许可法》第三十二条第一款")
    assert "不予受理" in page.inner_text("#ow-case-state")
    assert [s.strip() for s in page.locator(".ow-member-state").all_inner_texts()] == ["不予受理"] * len(children)
    assert page.locator("#ow-action-reject").count() == 0 and page.locator("#ow-action-withdraw").count() == 0
    refused = notice_text(page, "不予受理决定通知书")
    shot(page, "bundle-online-refused")
    assert "一并不予受理" in refused and "申请事项不属于本中心受理范围" in refused
    assert all(name in refused for name in MEMBERS) and all(n in refused for n in children)
