"""The handover sheet tells the truth (材料交接表): it lists the files that went to the
department electronically and only the paper originals that were actually handed over."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.materialfiles import Upload, add_material_files
from onewindow.cases.models import ApplicantType, Channel, MaterialStatus
from onewindow.documents.render import render_notice_html
from onewindow.models.items import Item

PERSON = "440304200002291236"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def deferred_case(make_item, actor):
    item_id = make_item(
        materials=[("申请书", "required", "applicant", None), ("场所使用证明", "deferrable", "applicant", None)]
    )
    item = db.session.get(Item, item_id)
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name="张三",
        applicant_id=PERSON,
        channel=Channel.window,
    )
    statuses = {item.materials[0].id: MaterialStatus.submitted, item.materials[1].id: MaterialStatus.missing}
    with travel_to(dt.date(2026, 11, 23)):
        return engine.accept_deferred(
            application, actor("acceptor"), statuses, commitment="承诺补交", supply_deadline=dt.date(2026, 11, 27)
        )


def sheet(case) -> str:
    return render_notice_html(next(n for n in case.notices if n.kind == "handover"))


def test_handover_sheet_lists_each_file_that_went_electronically(ctx, make_item, actor):
    case = deferred_case(make_item, actor)
    (row,) = add_material_files(
        case, actor("acceptor"), case.materials[0].material_id, [Upload("申请书扫描.png", io.BytesIO(PNG))]
    )
    html = sheet(case)
    files = re.search(r'<table class="grid" id="ow-handover-files">(.*?)</table>', html, re.S)
    assert files, "the sheet has a list of electronic files"
    assert "申请书扫描.png" in files.group(1) and row.sha256[:16] in files.group(1)
    assert "电子文件1个" in html


def test_handover_sheet_does_not_claim_paper_for_a_deferred_material(ctx, make_item, actor):
    html = sheet(deferred_case(make_item, actor))
    assert "纸质材料1件随本表移交" in html  # 申请书 only: 场所使用证明 is deferred
    row = re.search(r"<td>场所使用证明</td>(.*?)</tr>", html, re.S)
    assert row and "未移交" in row.group(1) and "纸质" not in row.group(1)
    assert "ow-handover-files" not in html, "no files, no file list"


def test_files_added_after_the_step_was_decided_are_not_on_its_sheet(ctx, make_item, actor):
    case = deferred_case(make_item, actor)
    with travel_to(dt.datetime(2026, 11, 24, 10, 0)):
        add_material_files(
            case, actor("acceptor"), case.materials[0].material_id, [Upload("审批前.png", io.BytesIO(PNG))]
        )
        engine.supply_material(case, actor("acceptor"), case.materials[1].material_id)
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    assert case.is_open  # approved, the result not yet handed out
    with travel_to(dt.datetime(2026, 11, 25, 10, 0)):
        add_material_files(case, actor("admin"), case.materials[0].material_id, [Upload("事后.png", io.BytesIO(PNG))])
    html = sheet(case)
    assert "审批前.png" in html and "事后.png" not in html
