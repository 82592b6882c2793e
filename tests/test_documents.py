"""Case documents: every notice the engine issues prints as HTML and as an A4 PDF with
the case number and a QR code to the public progress page; staff download them only
for their own department's cases."""

import datetime as dt
import re
import shutil
import subprocess

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, Channel, MaterialStatus, Notice
from onewindow.documents.labels import KINDS
from onewindow.documents.render import progress_url, render_notice_html, render_notice_pdf
from onewindow.models.items import Item
from onewindow.qr import qr_data_uri

PERSON = "440304200002291236"
AMR = "11369921102345608H"  # 市场监管局 (approver, chief_rep, seal_admin belong here)
RE = "113699211024247953"  # 不动产登记中心 (approver_re)
TAX = "11369921102820747H"  # 税务局


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def application(item_id, name="张三", window=None):
    item = db.session.get(Item, item_id)
    return engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name=name,
        applicant_id=PERSON,
        channel=Channel.window,
        window=window,
    )


def notices_of_every_kind(make_item, actor) -> dict[str, Notice]:
    """Drive cases through every transition that issues a notice; first notice per kind."""
    item_id = make_item(name="食品经营许可", steps=[(AMR, 3, True, False), (TAX, 2, False, False)])
    materials = db.session.get(Item, item_id).materials
    statuses = {m.id: MaterialStatus.submitted for m in materials}
    statuses[materials[2].id] = MaterialStatus.missing  # 场所使用证明 is deferrable
    with travel_to(dt.date(2026, 11, 23)):
        case = engine.accept_deferred(
            application(item_id),
            actor("acceptor"),
            statuses,
            commitment="本人承诺于11月27日前补交场所使用证明",
            supply_deadline=dt.date(2026, 11, 27),
        )
        engine.supply_material(case, actor("acceptor"), materials[2].id)
        engine.suspend(case, actor("approver"), "检测", "委托第三方检测设备", expected_days=3)
        engine.resume(case, actor("approver"), "检测合格")
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
        engine.approve_step(case, case.steps[1].id, actor("admin"), "无异议")  # no tax-office user in the demo
        engine.hand_to_output(case, actor("approver"), "食品经营许可证正本1份")
        engine.deliver_pickup(case, actor("output_clerk"), "张三", PERSON)
        corrected = engine.request_correction(
            application(item_id, "李四"), actor("acceptor"), {materials[0].id: "申请书未签名"}
        )
        rejected = engine.reject(
            application(item_id, "王五"),
            actor("acceptor"),
            "申请事项依法不需要取得行政许可",
            basis="《中华人民共和国行政许可法》第十二条",
        )
    found: dict[str, Notice] = {}
    for c in (case, corrected, rejected):
        for notice in c.notices:
            found.setdefault(notice.kind, notice)
    return found


def test_engine_issues_every_kind_that_has_a_template(ctx, make_item, actor):
    assert set(notices_of_every_kind(make_item, actor)) == set(KINDS)


def test_every_notice_renders_with_title_case_number_and_progress_qr_code(ctx, make_item, actor):
    for kind, notice in notices_of_every_kind(make_item, actor).items():
        html = render_notice_html(notice)
        title = KINDS[kind][0]
        assert f"<h1>{title}</h1>" in html, kind
        assert notice.case.number in html, kind
        # the QR code encodes the public progress page of this case, with its query code
        url = progress_url(notice.case)
        assert url.endswith(f"/progress/{notice.case.number}?code={notice.case.query_code}")
        assert qr_data_uri(url) in html, kind
        assert PERSON not in html, kind  # ID numbers are printed masked, if at all


def test_qr_code_points_to_the_configured_public_base_url(make_app, make_item, actor):
    app = make_app(config={"PUBLIC_BASE_URL": "https://zwfw.example.gov.cn/"})
    with app.app_context():
        item_id = make_item()
        case = engine.accept(
            application(item_id),
            actor("acceptor"),
            {m.id: MaterialStatus.submitted for m in db.session.get(Item, item_id).materials},
        )
        assert progress_url(case) == f"https://zwfw.example.gov.cn/progress/{case.number}?code={case.query_code}"


def test_acceptance_notice_states_dates_place_query_code_and_materials(ctx, make_item, actor):
    notice = notices_of_every_kind(make_item, actor)["acceptance"]
    html = render_notice_html(notice)
    for text in [
        "张三：",
        "决定予以受理",
        "食品经营许可",
        notice.case.query_code,
        "统一出件窗口",
        "申请书",
        "容缺后补",
        "2026年11月23日",
        "受理人（签字）",
        "申请人（签收）",
    ]:
        assert text in html, text


def test_unconfirmed_due_date_is_flagged_on_the_acceptance_notice(ctx, make_item, actor):
    notice = notices_of_every_kind(make_item, actor)["acceptance"]
    notice.content = {**notice.content, "due_confirmed": False}
    assert "节假日安排未确认" in render_notice_html(notice)
    notice.content = {**notice.content, "due_confirmed": True}
    assert "节假日安排未确认" not in render_notice_html(notice)


def test_deferral_commitment_carries_commitment_deadline_consequence_and_signature(ctx, make_item, actor):
    html = render_notice_html(notices_of_every_kind(make_item, actor)["deferral_commitment"])
    for text in [
        "场所使用证明",
        "本人承诺于11月27日前补交",
        "2026年11月27日前",
        "逾期未补交的",
        "承诺人（签字或盖章）",
    ]:
        assert text in html, text


def test_deferral_commitment_writes_the_receipt_time_as_a_chinese_date_to_the_minute(ctx, make_item, actor):
    notice = notices_of_every_kind(make_item, actor)["deferral_commitment"]
    received = notice.case.received_at
    html = render_notice_html(notice)
    assert f"<td>{received.year}年{received.month}月{received.day}日 {received:%H:%M}</td>" in html
    assert received.isoformat(sep=" ") not in html


def test_correction_notice_lists_every_material_with_its_problem_at_once(ctx, make_item, actor):
    html = render_notice_html(notices_of_every_kind(make_item, actor)["correction"])
    assert "一次性告知" in html
    for material, problem in [("申请书", "申请书未签名"), ("身份证明", "未提交"), ("场所使用证明", "未提交")]:
        assert re.search(f"<td>{material}</td><td>{problem}</td>", html), material


def test_rejection_notice_gives_reasons_basis_and_remedy(ctx, make_item, actor):
    html = render_notice_html(notices_of_every_kind(make_item, actor)["rejection"])
    for text in ["决定不予受理", "依法不需要取得行政许可", "第十二条", "行政复议", "行政诉讼"]:
        assert text in html, text


def test_handover_sheet_names_the_receiving_department_and_both_signatures(ctx, make_item, actor):
    html = render_notice_html(notices_of_every_kind(make_item, actor)["handover"])
    for text in ["云溪县市场监督管理局", "移交人", "接收人", "申请书", "第1环节"]:
        assert text in html, text


def test_result_sheets_mask_the_id_number(ctx, make_item, actor):
    notices = notices_of_every_kind(make_item, actor)
    for kind in ("result_handover", "receipt_sheet"):
        html = render_notice_html(notices[kind])
        assert "440304********1236" in html and PERSON not in html, kind
    assert "签收人（签字）" in render_notice_html(notices["receipt_sheet"])
    assert "食品经营许可证正本1份" in render_notice_html(notices["result_handover"])


def test_special_procedure_and_decision_notices(ctx, make_item, actor):
    notices = notices_of_every_kind(make_item, actor)
    special = render_notice_html(notices["special_procedure"])
    assert "检测" in special and "第四十五条" in special and "3个工作日" in special
    decision = render_notice_html(notices["decision"])
    assert "准予许可" in decision and "模拟审批" not in decision  # supplied before the decision


def test_unknown_kind_from_a_plugin_prints_every_field(ctx, make_item, actor):
    from onewindow.cases.core import issue_notice, unit_of_work

    case = notices_of_every_kind(make_item, actor)["acceptance"].case
    with unit_of_work():
        odd = issue_notice(
            case, "fire_inspection", actor("approver"), {"number": case.number, "inspector_note": "通道畅通"}
        )
    html = render_notice_html(odd)
    assert "办件文书" in html and "通道畅通" in html and case.number in html


# --- PDF ----------------------------------------------------------------------------


def _pdf_text(pdf: bytes, tmp_path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


def test_every_notice_prints_as_pdf_in_a_cjk_font(ctx, make_item, actor, tmp_path):
    from weasyprint import HTML

    for kind, notice in notices_of_every_kind(make_item, actor).items():
        pdf = render_notice_pdf(notice)
        assert pdf.startswith(b"%PDF"), kind
        # The fonts actually embedded: without a CJK font WeasyPrint silently draws boxes.
        document = HTML(string=render_notice_html(notice)).render()
        document.write_pdf()
        names = {font.name.decode() for font in document.fonts.values()}
        assert names and all("CJK" in name for name in names), (kind, names)
        assert any("Noto-Sans-CJK-SC" in name for name in names), (kind, names)
        text = _pdf_text(pdf, tmp_path)
        if text is not None:  # poppler-utils installed: check the printed text itself
            assert KINDS[kind][0] in text, kind
            assert notice.case.number in text, kind


# --- staff download --------------------------------------------------------------------


def _issue(app, make_item, actor, department=AMR):
    with app.app_context():
        item_id = make_item(department=department)
        case = engine.accept(
            application(item_id),
            actor("acceptor"),
            {m.id: MaterialStatus.submitted for m in db.session.get(Item, item_id).materials},
        )
        return case.number, {n.kind: n.id for n in case.notices}


def test_staff_download_html_and_pdf(app, client, login, make_item, actor):
    number, ids = _issue(app, make_item, actor)
    login(client, "acceptor")
    page = client.get(f"/documents/notice/{ids['acceptance']}.html")
    assert page.status_code == 200 and "受理通知书" in page.get_data(as_text=True)
    pdf = client.get(f"/documents/notice/{ids['acceptance']}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert number in pdf.headers["Content-Disposition"]


def test_download_needs_a_login(app, client, make_item, actor):
    _number, ids = _issue(app, make_item, actor)
    response = client.get(f"/documents/notice/{ids['acceptance']}.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["approver", "chief_rep", "seal_admin", "output_clerk", "supervisor"])
def test_own_department_and_centre_wide_roles_may_download(app, client, login, make_item, actor, username):
    _number, ids = _issue(app, make_item, actor, department=AMR)
    login(client, username)
    assert client.get(f"/documents/notice/{ids['acceptance']}.html").status_code == 200


def test_department_user_cannot_download_another_departments_notice(app, client, login, make_item, actor):
    _number, ids = _issue(app, make_item, actor, department=AMR)
    login(client, "approver_re")
    for suffix in ("html", "pdf"):
        response = client.get(f"/documents/notice/{ids['acceptance']}.{suffix}")
        assert response.status_code == 404
    # …exactly like a notice that does not exist
    assert client.get("/documents/notice/999999.html").status_code == 404


def test_department_with_a_step_in_the_case_may_download(app, client, login, make_item, actor):
    with app.app_context():
        item_id = make_item(department=AMR, routing="parallel", steps=[(AMR, 3, True, False), (RE, 2, False, False)])
        case = engine.accept(
            application(item_id),
            actor("acceptor"),
            {m.id: MaterialStatus.submitted for m in db.session.get(Item, item_id).materials},
        )
        handover = next(n.id for n in case.notices if n.kind == "handover" and n.department_id != case.department_id)
    login(client, "approver_re")
    assert client.get(f"/documents/notice/{handover}.html").status_code == 200


def test_rejection_notice_names_the_review_body_and_both_time_limits(ctx, make_item, actor):
    """行政复议法: 60 days to the people's government; 行政诉讼法 §46: six months."""
    html = render_notice_html(notices_of_every_kind(make_item, actor)["rejection"])
    for text in ["六十日内", "人民政府申请行政复议", "六个月内", "人民法院提起行政诉讼"]:
        assert text in html, text


def test_notice_prints_the_window_that_issued_it_not_a_generic_title(ctx, make_item, actor):
    from onewindow.models.org import Window

    item_id = make_item()
    window = db.session.query(Window).order_by(Window.id).first()
    case = engine.reject(application(item_id, "赵六", window=window), actor("acceptor"), "不属于本机关职权范围")
    html = render_notice_html(next(n for n in case.notices if n.kind == "rejection"))
    assert f"{window.code}号窗口（{window.name}）" in html
