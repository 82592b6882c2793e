"""一件事 applied for online, in real Chromium at phone size (390×844): a citizen acting for their
company finds 开办餐饮店 on the hall's home, reads its guide, answers the intake question, fills
the merged form once and uploads the merged materials; the lead department (市场监管局) passes
the pre-review on its case screen, which accepts every member; the citizen sees the bundle as
one application with each member's state and due date in 我的办件."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_browser_cases import sign_in
from test_bundle_cases import COMPANY, REP, approver_of, kaiban, merged_answers
from werkzeug.security import generate_password_hash

from onewindow.app import db
from onewindow.cases.models import Case, CaseState, Channel
from tests.plugins.test_hall_accounts import PASSWORD
from tests.test_hall_apply import PDF

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
MOBILE = "13700137000"
#: where the screenshots go when asked for (HALL_BUNDLE_SCREENSHOTS=<dir>)
SHOTS = os.environ.get("HALL_BUNDLE_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _citizen_with_company(app) -> None:
    from onewindow_hall.models import Citizen, CitizenKind, CompanyMember, MemberRole

    with app.app_context():
        person = Citizen(
            kind=CitizenKind.person,
            name="王五",
            id_number=REP,
            mobile=MOBILE,
            mobile_verified=True,
            password_hash=generate_password_hash(PASSWORD),
            active=True,
        )
        company = Citizen(
            kind=CitizenKind.company,
            name="云溪县味道餐饮有限公司",
            uscc=COMPANY,
            legal_rep_name="王五",
            legal_rep_id_number=REP,
            active=True,
        )
        company.members.append(CompanyMember(person=person, role=MemberRole.legal_rep))
        db.session.add_all([person, company])
        db.session.commit()


def _apply(me, live_server, size: str) -> None:
    me.goto(f"{live_server}/")
    me.click("#hall-bundles a[data-bundle='kaiban-canyin']")
    me.wait_for_selector("#hall-bundle-guide")
    assert me.locator("#hall-bundle-materials tr", has_text="营业执照").count() == 1  # three members, one row
    assert _fits_the_screen(me)
    shot(me, f"hall-bundle-guide-{size}")
    me.click("#hall-bundle-apply")
    me.select_option("#q_discharges_wastewater", "1")  # 是: 排水许可 applies
    me.click("#hall-bundle-plan")
    me.wait_for_selector("#hall-bundle-form")
    assert me.locator("#hall-bundle-members li").count() == 4
    me.select_option("#hall-company", label="云溪县味道餐饮有限公司（91440300MA5G7K2L82）")
    for key, value in merged_answers().items():
        if key not in ("company_type", "food_category"):  # choices: the first is fine
            me.fill(f"#f_{key}", value)
    me.fill("input[name='x011001000000_shareholders-0-name']", "王五")
    me.fill("input[name='x011001000000_shareholders-0-id_number']", REP)
    me.fill("input[name='x011001000000_shareholders-0-share']", "100")
    inputs = me.locator("#hall-uploads input[type=file]")
    for n in range(inputs.count()):
        me.set_input_files(f"#hall-mm-{n}", [{"name": f"材料{n}.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    assert _fits_the_screen(me)
    shot(me, f"hall-bundle-apply-{size}")
    me.click("#hall-bundle-submit")
    me.wait_for_selector("#hall-case")
    assert me.get_attribute("#hall-case", "data-state") == "submitted", me.inner_text("body")[:2000]


def test_citizen_applies_for_a_bundle_online_the_lead_department_passes_it(
    _chromium, page, live_server, demo_logins, app
):
    _citizen_with_company(app)
    phone = _chromium.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    me = phone.new_page()
    try:
        me.goto(f"{live_server}/hall/login")
        me.fill("#identifier", MOBILE)
        me.fill("#password", PASSWORD)
        me.click("#login-password")
        me.wait_for_load_state()
        _apply(me, live_server, "390")
        with app.app_context():
            parent = db.session.query(Case).filter_by(bundle_id=kaiban().id, parent_id=None).one()
            number, parent_id = parent.number, parent.id
            assert parent.channel == Channel.online and len(parent.children) == 4
            licence = [m for c in parent.children for m in c.materials if m.name == "营业执照"]
            assert len(licence) == 3 and len({f.storage_key for m in licence for f in m.files}) == 1
            lead = approver_of(parent.department_id)

        # the lead department passes the pre-review on its case screen: every member accepted
        sign_in(page, live_server, lead, demo_logins[lead])
        page.goto(f"{live_server}/caseview/show/{parent_id}")
        shot(page, "staff-bundle-pre-review-1366")
        # it reads every member's files on the bundle's page, those of the fire brigade's member too
        row = page.locator("#ow-bundle-materials tr", has_text="公众聚集场所投入使用、营业前消防安全检查申请表")
        href = row.locator(".ow-file a").first.get_attribute("href")
        opened = page.request.get(f"{live_server}{href}")
        assert opened.status == 200 and opened.body()[:4] == b"%PDF"
        with app.app_context():
            from onewindow.cases.models import CaseMaterialFile

            held_by = db.session.get(CaseMaterialFile, int(href.rstrip("/").rsplit("/", 1)[1])).case_material.case
            assert held_by.parent_id == parent_id
            assert held_by.department_id != db.session.get(Case, parent_id).department_id
        page.check("#ow-action-pre_review input[name=passed]")
        page.click("#ow-action-pre_review button")
        page.wait_for_load_state()
        with app.app_context():
            parent = db.session.get(Case, parent_id)
            assert parent.state == CaseState.in_review, page.locator(".alert").all_inner_texts()
            assert {c.state for c in parent.children} == {CaseState.in_review}
            dues = {c.number: c.due_date.isoformat() for c in parent.children}

        # 我的办件: one application, each member with its state and due date
        me.goto(f"{live_server}/hall/my/")
        row = me.locator(f"#hall-cases tr[data-number='{number}']")
        assert row.get_attribute("data-state") == "in_review"
        assert me.locator("#hall-cases tr[data-number]").count() == 1  # the members are not listed as cases
        members = me.locator(f"#hall-cases tr[data-parent='{number}'] .hall-bundle-members li")
        assert members.count() == 4
        for child, due in dues.items():
            assert due in me.locator(f"#hall-cases li[data-number='{child}']").inner_text()
        assert _fits_the_screen(me)
        shot(me, "hall-bundle-my-390")
        me.click(f"#hall-cases a:has-text('{number}')")
        me.wait_for_selector("#hall-bundle-case")
        assert me.locator("#hall-notices a[data-kind=acceptance]").count() == 1
        assert _fits_the_screen(me)
        shot(me, "hall-bundle-case-390")
        with me.expect_download() as pdf:
            me.click("#hall-notices a[data-kind=acceptance]")
        assert pdf.value.suggested_filename.endswith(".pdf")

        # the same pages at 1366×768
        me.set_viewport_size(DESKTOP)
        for path, name in ((f"/hall/my/cases/{number}", "hall-bundle-case-1366"), ("/hall/my/", "hall-bundle-my-1366")):
            me.goto(f"{live_server}{path}")
            assert _fits_the_screen(me), path
            shot(me, name)
        me.goto(f"{live_server}/hall/bundles/kaiban-canyin/apply?q_discharges_wastewater=0")
        assert me.locator("#hall-bundle-members li").count() == 3 and _fits_the_screen(me)
        shot(me, "hall-bundle-apply-1366")
    finally:
        phone.close()


def test_bundle_pages_fit_the_desktop(_chromium, live_server, app):
    context = _chromium.new_context(locale="zh-CN", viewport=DESKTOP)
    pg = context.new_page()
    try:
        for path in ("/", "/hall/bundles/kaiban-canyin"):
            pg.goto(f"{live_server}{path}")
            assert _fits_the_screen(pg), path
        shot(pg, "hall-bundle-guide-1366")
        pg.goto(f"{live_server}/")
        shot(pg, "hall-home-1366")
    finally:
        context.close()
