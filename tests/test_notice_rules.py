"""What the applicant receives: each rule of the notices checked in the printed text
(PDF through pdftotext, as the applicant reads it) [行政许可法 §32; 003 §四(五)]."""

import datetime as dt
import logging
import re

import pytest
from test_documents import _pdf_text, application, notices_of_every_kind

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import MaterialStatus
from onewindow.documents.render import render_notice_html, render_notice_pdf
from onewindow.models.items import Item


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def printed(notice, tmp_path) -> str:
    text = _pdf_text(render_notice_pdf(notice), tmp_path)
    if text is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return text


def test_correction_notice_gives_the_applicant_a_deadline_in_working_days(ctx, make_item, actor, tmp_path):
    """Issued Monday 2026-11-23: ten working days (the default) later is Monday 12-07."""
    text = printed(notices_of_every_kind(make_item, actor)["correction"], tmp_path)
    assert "请于2026年12月7日前按要求补齐、补正后提交" in text


def test_correction_supply_period_is_configurable(make_app, make_item, actor, tmp_path):
    app = make_app(config={"CORRECTION_SUPPLY_WORKDAYS": 3})
    with app.app_context():
        item_id = make_item()
        materials = db.session.get(Item, item_id).materials
        with travel_to(dt.date(2026, 11, 23)):
            case = engine.request_correction(application(item_id), actor("acceptor"), {materials[0].id: "未签名"})
        assert "请于2026年11月26日前" in printed(case.notices[-1], tmp_path)


@pytest.mark.parametrize("kind", ["acceptance", "rejection"])
def test_acceptance_and_rejection_notices_carry_the_seal_area_of_the_issuing_unit(
    ctx, make_item, actor, tmp_path, kind
):
    notice = notices_of_every_kind(make_item, actor)[kind]
    html = render_notice_html(notice)
    area = re.search(r'<div class="seal" id="ow-seal-area">(.*?)</div>', html, re.S)
    assert area and "（印章）" in area.group(1) and "云溪县市场监督管理局" in area.group(1)
    assert "（印章）云溪县市场监督管理局加盖印章后有效" in printed(notice, tmp_path)


def test_other_notices_have_no_seal_area(ctx, make_item, actor):
    notices = notices_of_every_kind(make_item, actor)
    for kind in ("correction", "handover", "deferral_commitment"):
        assert "ow-seal-area" not in render_notice_html(notices[kind]), kind


def test_handover_sheet_says_what_goes_on_paper_and_makes_no_push_claim(ctx, make_item, actor, tmp_path):
    text = printed(notices_of_every_kind(make_item, actor)["handover"], tmp_path)
    assert "推送" not in text
    assert re.search(r"纸质材料\d+件随本表移交", text)
    assert "纸质原件1份" in text or "纸质复印件1份" in text


def test_handover_sheet_names_electronic_materials_read_on_the_platform(ctx, make_item, actor, tmp_path):
    item_id = make_item(
        materials=[("申请书", "required", "applicant", None), ("营业执照", "required", "government", None)]
    )
    item = db.session.get(Item, item_id)
    item.materials[1].form = type(item.materials[1].form)["electronic"]
    db.session.commit()
    case = engine.accept(
        application(item_id), actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials}
    )
    text = printed(next(n for n in case.notices if n.kind == "handover"), tmp_path)
    assert "纸质材料1件随本表移交；电子材料1件不随本表移交，接收部门在本平台办件页面查阅" in text
    assert "电子件" in text


def test_deferral_commitment_fits_on_one_a4_page(ctx, make_item, actor):
    from weasyprint import HTML

    notice = notices_of_every_kind(make_item, actor)["deferral_commitment"]
    assert len(HTML(string=render_notice_html(notice)).render().pages) == 1


def url_for_notice(app, notice_id):
    from flask import url_for

    with app.test_request_context():
        return next(
            url_for(rule.endpoint, notice_id=notice_id)
            for rule in app.url_map.iter_rules()
            if rule.rule.endswith("/notice/<int:notice_id>.html")
        )


def test_notice_links_follow_the_serving_host_when_no_public_url_is_set(app, make_item, actor, client, login):
    """Development: a notice downloaded from http://localhost:5123 points its QR code and
    links there, not at a fixed 127.0.0.1:8080."""
    with app.app_context():
        item_id = make_item()
        item = db.session.get(Item, item_id)
        case = engine.accept(
            application(item_id), actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials}
        )
        notice_id, number = case.notices[0].id, case.number
    login(client, "acceptor")
    base = url_for_notice(app, notice_id)
    html = client.get(base, base_url="http://localhost:5123").get_data(as_text=True)
    assert "在 http://localhost:5123/progress 查询" in html
    with app.test_request_context(base_url="http://localhost:5123"):
        from onewindow.cases.models import Case
        from onewindow.documents.render import progress_url
        from onewindow.qr import qr_data_uri

        url = progress_url(db.session.query(Case).filter_by(number=number).one())
    assert url.startswith(f"http://localhost:5123/progress/{number}?code=")
    assert qr_data_uri(url) in html  # the QR code encodes the serving host too
    assert "127.0.0.1:8080" not in html


def test_configured_public_url_wins_over_the_serving_host(make_app, make_item, actor):
    from onewindow.public_url import public_base_url

    app = make_app(config={"PUBLIC_BASE_URL": "https://zwfw.example.gov.cn/"})
    with app.test_request_context(base_url="http://localhost:5123"):
        assert public_base_url() == "https://zwfw.example.gov.cn"


def test_production_serving_warns_when_the_public_url_is_unset(caplog):
    from onewindow.public_url import warn_without_public_url

    with caplog.at_level(logging.WARNING, logger="onewindow.serving"):
        assert warn_without_public_url({"PUBLIC_BASE_URL": None})
        assert not warn_without_public_url({"PUBLIC_BASE_URL": "https://zwfw.example.gov.cn"})
    assert [r.getMessage() for r in caplog.records if "PUBLIC_BASE_URL" in r.getMessage()]
