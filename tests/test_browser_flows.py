"""Every role's daily job in real Chromium, through the screens only (Done when of issue 15).

Each test drives the screens the role uses and then reads what the applicant receives:
the notice the case page links to (its HTML, the source the PDF is printed from), or the
public progress page when no notice is issued.
"""

import datetime as dt

import pytest
from test_browser_cases import PERSON, public_progress, sign_in

from onewindow.app import db
from onewindow.cases import clock
from onewindow.cases.models import Case

pytestmark = pytest.mark.browser
MARKET = "11369921102345608H"  # 市场监管局 (approver, chief_rep, seal_admin)
REAL_ESTATE = "113699211024247953"  # 不动产登记中心 (approver_re)
POLICE = "11369921102503987F"  # 公安局 (approver_ps)


def fill_application(page, live_server, item_id, name="张三"):
    page.goto(f"{live_server}/workbench/new/{item_id}")
    page.fill("input[name=applicant_name]", name)
    page.fill("input[name=applicant_id]", PERSON)


def material_row(page, name):
    return page.locator("#ow-materials tr", has=page.locator("td", has_text=name))


def submit_at_window(page):
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-case")


def accepted_at_window(page, live_server, demo_logins, app, item_id) -> tuple[int, str, str]:
    """The acceptor accepts the application with every material handed in: (id, number, query code)."""
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    fill_application(page, live_server, item_id)
    submit_at_window(page)
    return the_case(app, item_id)


def the_case(app, item_id) -> tuple[int, str, str]:
    with app.app_context():
        case = db.session.query(Case).filter_by(item_id=item_id).one()
        return case.id, case.number, case.query_code


def notice_text(page, title: str) -> str:
    """Open (from the case page on screen) the latest notice called ``title`` and read it."""
    here = page.url
    entry = page.locator("#ow-case-notices li", has_text=title).last
    entry.locator("a", has_text="HTML").click()
    page.wait_for_load_state()
    text = page.inner_text("body")
    page.goto(here)
    return text


def act(page, name: str, **fields: str):
    """Fill and send one action form of the case page (``#ow-action-<name>``)."""
    form = page.locator(f"#ow-action-{name}")
    for field, value in fields.items():
        form.locator(f"[name={field}]").fill(value)
    form.locator("button").click()
    page.wait_for_selector("#ow-case")


def approve_in_inbox(page, live_server, demo_logins, username, number, opinion="符合条件，同意"):
    sign_in(page, live_server, username, demo_logins[username])
    page.goto(f"{live_server}/inbox/")
    page.locator("#ow-inbox tr", has_text=number).locator("a.ow-review").click()
    page.wait_for_selector("#ow-case-data")
    act(page, "approve_step", opinion=opinion)


def hand_to_output(page, live_server, demo_logins, number, result="许可证正本1份"):
    sign_in(page, live_server, "approver", demo_logins["approver"])
    page.goto(f"{live_server}/inbox/")
    ready = page.locator("#ow-ready tr", has_text=number)
    ready.locator("input[name=result_description]").fill(result)
    ready.locator("button").click()
    page.wait_for_load_state()


def accept_deferred_at_window(page, live_server, app, item_id, commitment) -> dt.date:
    """容缺受理 of 场所使用证明 at the window; returns the supply deadline entered."""
    fill_application(page, live_server, item_id)
    material_row(page, "场所使用证明").locator("select").select_option("missing")
    page.check("input[name=outcome][value=accept_deferred]")
    page.fill("input[name=commitment]", commitment)
    with app.app_context():
        supply_by = clock.add_workdays(clock.today(), 3)[0]
    page.fill("input[name=supply_deadline]", supply_by.isoformat())
    submit_at_window(page)
    return supply_by


def pickup_at_output(page, live_server, number):
    """The output clerk hands the result to the applicant, who signs for it."""
    page.goto(f"{live_server}/output/")
    row = page.locator("#ow-output tr", has_text=number)
    row.locator(".ow-do-deliver_pickup input[name=signee_name]").fill("张三")
    row.locator(".ow-do-deliver_pickup input[name=signee_id]").fill(PERSON)
    row.locator(".ow-do-deliver_pickup button").click()
    page.wait_for_load_state()


# --- the window: four outcomes ------------------------------------------------


def test_window_accepts_and_the_acceptance_notice_names_the_window_the_due_date_and_the_seal(
    page, live_server, demo_logins, make_item, app
):
    item_id = make_item(name="食品经营许可（受理通知测试）", promised=5)
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    fill_application(page, live_server, item_id)
    window = page.locator("#ow-window option:checked").inner_text().strip()
    submit_at_window(page)
    _, number, code = the_case(app, item_id)
    with app.app_context():
        due = db.session.query(Case).filter_by(item_id=item_id).one().due_date
    text = notice_text(page, "受理通知书")
    assert "决定予以受理" in text and number in text and "张三" in text
    assert f"{due.year}年{due.month}月{due.day}日" in text
    assert "5个工作日" in text
    for material in ("申请书", "身份证明", "场所使用证明"):
        assert material in text
    assert window.split()[-1] in text, f"the issuing window {window!r} is printed"
    assert "（印章）" in text and "加盖印章后有效" in text  # §32: a sealed written notice
    assert code in text


def test_window_refuses_and_the_notice_gives_reasons_legal_basis_and_remedy(
    page, live_server, demo_logins, make_item, app
):
    item_id = make_item(name="食品经营许可（不予受理通知测试）")
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    fill_application(page, live_server, item_id)
    page.check("input[name=outcome][value=reject]")
    page.fill("textarea[name=reasons]", "申请事项不属于本机关职权范围")
    page.fill("input[name=basis]", "《中华人民共和国行政许可法》第三十二条第一款第（二）项")
    submit_at_window(page)
    assert "不予受理" in page.inner_text("#ow-case-state")
    text = notice_text(page, "不予受理决定通知书")
    assert "决定不予受理" in text
    assert "申请事项不属于本机关职权范围" in text
    assert "第三十二条第一款第（二）项" in text
    assert "行政复议" in text and "六十日" in text
    assert "行政诉讼" in text and "六个月" in text
    assert "（印章）" in text


def test_window_correction_notice_lists_exactly_the_missing_and_faulty_materials(
    page, live_server, demo_logins, make_item, app
):
    item_id = make_item(
        name="食品经营许可（补正通知测试）",
        materials=[
            ("申请书", "required", "applicant", None),
            ("身份证明", "required", "applicant", None),
            ("营业执照", "required", "applicant", None),
            ("场所使用证明", "required", "applicant", None),
            ("卫生管理制度", "required", "applicant", None),
        ],
    )
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    fill_application(page, live_server, item_id)
    material_row(page, "营业执照").locator("select").select_option("missing")
    material_row(page, "场所使用证明").locator("select").select_option("faulty")
    material_row(page, "场所使用证明").locator("input[name^=p]").fill("租赁合同已过期，请提供有效期内的合同")
    page.check("input[name=outcome][value=request_correction]")
    submit_at_window(page)
    assert "补正" in page.inner_text("#ow-case-state")
    text = notice_text(page, "材料补齐补正通知书")
    table = text[text.index("需补齐、补正的内容") : text.index("以上为需要补齐、补正的全部内容")]
    assert "营业执照" in table and "场所使用证明" in table
    assert "租赁合同已过期，请提供有效期内的合同" in table
    for submitted in ("申请书", "身份证明", "卫生管理制度"):
        assert submitted not in table, f"{submitted} was handed in: not on the notice"
    with clock.travel_to(clock.now()):
        from onewindow.cases.limits import correction_supply_deadline

        with app.app_context():
            by = correction_supply_deadline(clock.today())
    assert f"于{by.year}年{by.month}月{by.day}日前" in text


def test_window_accepts_with_deferred_material_and_the_commitment_names_it_and_its_deadline(
    page, live_server, demo_logins, make_item, app
):
    item_id = make_item(name="食品经营许可（容缺受理测试）", promised=10)
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    supply_by = accept_deferred_at_window(page, live_server, app, item_id, "五个工作日内补交场所使用证明")
    text = notice_text(page, "容缺受理承诺书")
    deferred = text[text.index("容缺后补材料") : text.index("补交期限")]
    assert "场所使用证明" in deferred and "申请书" not in deferred
    assert f"{supply_by.year}年{supply_by.month}月{supply_by.day}日前" in text
    assert "五个工作日内补交场所使用证明" in text
    assert "决定予以受理" in notice_text(page, "受理通知书")


# --- 容缺: acceptance, supply, release -----------------------------------------


def test_deferred_material_supplied_on_the_case_page_releases_the_result(
    page, live_server, demo_logins, make_item, app
):
    item_id = make_item(name="食品经营许可（容缺补交测试）", promised=10)
    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    accept_deferred_at_window(page, live_server, app, item_id, "按期补交")
    pk, number, code = the_case(app, item_id)

    approve_in_inbox(page, live_server, demo_logins, "approver", number)
    hand_to_output(page, live_server, demo_logins, number)
    with app.app_context():
        assert db.session.get(Case, pk).state.name == "approved", "held back while a deferred material is out"

    sign_in(page, live_server, "acceptor", demo_logins["acceptor"])
    page.goto(f"{live_server}/caseview/show/{pk}")
    form = page.locator("#ow-action-supply_material")
    assert form.locator("select[name=material_id] option").all_inner_texts() == ["场所使用证明"]
    form.locator("button").click()
    page.wait_for_selector("#ow-case")
    assert page.locator("#ow-action-supply_material").count() == 0

    hand_to_output(page, live_server, demo_logins, number)
    with app.app_context():
        assert db.session.get(Case, pk).state.name == "at_output"
    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    pickup_at_output(page, live_server, number)
    page.goto(f"{live_server}/caseview/show/{pk}")
    sheet = notice_text(page, "办理结果签收表")
    assert "窗口领取" in sheet and "本人已当场领取" in sheet
    assert "已送达" in public_progress(page, live_server, number, code)


# --- a department returns the case for correction -----------------------------


def test_department_returns_for_correction_and_the_notice_lists_just_that_material(
    page, live_server, demo_logins, make_item, app
):
    item_id = make_item(name="食品经营许可（部门退回测试）")
    pk, number, code = accepted_at_window(page, live_server, demo_logins, app, item_id)

    sign_in(page, live_server, "approver", demo_logins["approver"])
    page.goto(f"{live_server}/inbox/")
    page.locator("#ow-inbox tr", has_text=number).locator("a.ow-review").click()
    page.wait_for_selector("#ow-case-data")
    form = page.locator("#ow-action-return_for_correction")
    form.locator("tr", has_text="场所使用证明").locator("input").fill("租赁合同未加盖出租方公章")
    form.locator("button").click()
    page.wait_for_selector("#ow-case")
    assert "补正" in page.inner_text("#ow-case-state")
    text = notice_text(page, "材料补齐补正通知书")
    table = text[text.index("需补齐、补正的内容") : text.index("以上为需要补齐、补正的全部内容")]
    assert "场所使用证明" in table and "租赁合同未加盖出租方公章" in table
    assert "申请书" not in table and "身份证明" not in table
    assert "补正" in public_progress(page, live_server, number, code)


# --- sequential and parallel approval; silence consent by the core job -------


def test_sequential_approval_passes_from_department_to_department(page, live_server, demo_logins, make_item, app):
    item_id = make_item(
        name="不动产转移登记（串联测试）",
        routing="sequential",
        steps=[(MARKET, 2, True, False), (REAL_ESTATE, 2, False, False)],
    )
    pk, number, code = accepted_at_window(page, live_server, demo_logins, app, item_id)

    sign_in(page, live_server, "approver_re", demo_logins["approver_re"])
    page.goto(f"{live_server}/inbox/")
    assert page.locator("#ow-inbox tr", has_text=number).count() == 0, "the second department waits its turn"
    approve_in_inbox(page, live_server, demo_logins, "approver", number, "市场监管意见：同意")
    approve_in_inbox(page, live_server, demo_logins, "approver_re", number, "不动产意见：同意")
    steps = page.inner_text("#ow-case-steps")
    assert "市场监管意见：同意" in steps and "不动产意见：同意" in steps
    text = notice_text(page, "审批决定书")
    assert number in text and "张三" in text
    assert "审批" in public_progress(page, live_server, number, code)


def test_parallel_approval_with_a_silent_department_is_completed_by_the_core_job(
    page, live_server, demo_logins, make_item, app
):
    from onewindow.cases.legal_clock import silence_consent

    item_id = make_item(
        name="企业开办（并联测试）",
        routing="parallel",
        steps=[(MARKET, 3, True, False), (POLICE, 2, False, True)],
    )
    pk, number, code = accepted_at_window(page, live_server, demo_logins, app, item_id)
    approve_in_inbox(page, live_server, demo_logins, "approver", number, "牵头部门同意")
    with app.app_context():
        case = db.session.get(Case, pk)
        assert case.state.name == "in_review", "the police step is still open"
        police_due = next(s.due_date for s in case.steps if not s.is_lead)
        after = clock.add_workdays(police_due, 1)[0]
    with clock.travel_to(after), app.app_context():
        assert silence_consent() >= 1
    page.goto(f"{live_server}/caseview/show/{pk}")
    assert "准予许可" in page.inner_text("#ow-case-state")
    assert "期满未提出意见，视为同意" in page.inner_text("#ow-case-timeline")
    text = notice_text(page, "审批决定书")
    assert number in text


# --- sealing, pickup, post with confirmation, withdrawal ---------------------


def _licensed_case_at_output(page, live_server, demo_logins, make_item, app, name):
    item_id = make_item(name=name, licence_type_code="food_business_licence")
    pk, number, code = accepted_at_window(page, live_server, demo_logins, app, item_id)
    approve_in_inbox(page, live_server, demo_logins, "approver", number)
    hand_to_output(page, live_server, demo_logins, number, "食品经营许可证1份")
    return pk, number, code


def create_the_departments_seal(page, live_server, demo_logins, app):
    """The centre admin creates the department's electronic seal (印章管理 → 新建)."""
    from onewindow.models import Department

    with app.app_context():
        name = db.session.query(Department).filter_by(credit_code=MARKET).one().name
    sign_in(page, live_server, "admin", demo_logins["admin"])
    page.goto(f"{live_server}/sealview/create")
    page.select_option("select[name=department]", label=name)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert f"已为{name}创建电子印章" in page.inner_text("body")


def seal_from_the_workspace(page, live_server, demo_logins):
    sign_in(page, live_server, "seal_admin", demo_logins["seal_admin"])
    page.click("a.ow-tile:has-text('待盖章的电子证照')")
    page.wait_for_load_state()
    page.locator("table a[href*='/licenceview/show/']").first.click()
    page.wait_for_load_state()
    page.click("#licence-seal")
    page.wait_for_load_state()
    assert "已加盖电子印章" in page.inner_text("body")


def test_seal_admin_seals_and_the_output_window_hands_the_licence_out(page, live_server, demo_logins, make_item, app):
    name = "食品经营许可（盖章测试）"
    pk, number, code = _licensed_case_at_output(page, live_server, demo_logins, make_item, app, name)
    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    page.goto(f"{live_server}/output/")
    seal_state = page.locator("#ow-output tr", has_text=number).locator(".ow-seal-state")
    assert "label-danger" in seal_state.get_attribute("class")
    pickup_at_output(page, live_server, number)
    assert "尚未加盖电子印章" in page.inner_text("body")

    create_the_departments_seal(page, live_server, demo_logins, app)
    seal_from_the_workspace(page, live_server, demo_logins)
    with app.app_context():
        identifier = db.session.get(Case, pk).licence_identifier
    assert identifier in page.inner_text("body")

    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    page.goto(f"{live_server}/output/")
    seal_state = page.locator("#ow-output tr", has_text=number).locator(".ow-seal-state")
    assert "label-success" in seal_state.get_attribute("class")
    pickup_at_output(page, live_server, number)
    page.goto(f"{live_server}/caseview/show/{pk}")
    sheet = notice_text(page, "办理结果签收表")
    assert identifier in sheet and "窗口领取" in sheet


def test_post_with_confirmation_refuses_a_future_signing_date(page, live_server, demo_logins, make_item, app):
    item_id = make_item(name="食品经营许可（邮寄测试）")
    pk, number, code = accepted_at_window(page, live_server, demo_logins, app, item_id)
    approve_in_inbox(page, live_server, demo_logins, "approver", number)
    hand_to_output(page, live_server, demo_logins, number)

    sign_in(page, live_server, "output_clerk", demo_logins["output_clerk"])
    page.goto(f"{live_server}/output/")
    row = page.locator("#ow-output tr", has_text=number)
    row.locator(".ow-do-deliver_post input[name=tracking_number]").fill("EMS1234567890CN")
    row.locator(".ow-do-deliver_post button").click()
    page.wait_for_load_state()
    posted = page.locator("tr", has_text=number).locator(".ow-do-confirm_post_delivery")
    assert posted.count() == 1, "the posted case waits for its signature record"
    with app.app_context():
        tomorrow = clock.today() + dt.timedelta(days=1)
    posted.locator("input[name=signee_name]").fill("张三")
    # the date input's max is today: set a future value the way a hand-edited request would
    posted.locator("input[name=signed_on]").evaluate(
        "(el, v) => { el.removeAttribute('max'); el.value = v; }", tomorrow.isoformat()
    )
    posted.locator("button").click()
    page.wait_for_load_state()
    assert "签收日期" in page.inner_text("body")
    with app.app_context():
        assert db.session.get(Case, pk).state.name == "posted"

    page.goto(f"{live_server}/output/")
    posted = page.locator("tr", has_text=number).locator(".ow-do-confirm_post_delivery")
    posted.locator("input[name=signee_name]").fill("张三")
    posted.locator("button").click()  # the signing date defaults to today
    page.wait_for_load_state()
    with app.app_context():
        assert db.session.get(Case, pk).state.name == "delivered"
    page.goto(f"{live_server}/caseview/show/{pk}")
    sheet = notice_text(page, "办理结果签收表")
    assert "EMS1234567890CN" in sheet and "邮件已由收件人签收" in sheet
    assert "已送达" in public_progress(page, live_server, number, code)


def test_acceptor_registers_a_withdrawal_and_the_applicant_sees_it(page, live_server, demo_logins, make_item, app):
    item_id = make_item(name="食品经营许可（撤回测试）")
    pk, number, code = accepted_at_window(page, live_server, demo_logins, app, item_id)
    page.goto(f"{live_server}/caseview/show/{pk}")
    act(page, "withdraw", reason="申请人书面申请撤回")
    assert "撤回" in page.inner_text("#ow-case-state")
    assert "申请人书面申请撤回" in page.inner_text("#ow-case-timeline")
    with app.app_context():
        case = db.session.get(Case, pk)
        assert case.state.name == "withdrawn" and all(s.state.name == "closed" for s in case.steps)
    assert "撤回" in public_progress(page, live_server, number, code)
