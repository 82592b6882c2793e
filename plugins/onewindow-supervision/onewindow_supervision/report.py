"""Monthly supervision report (月度监察报告 [001 §八(四)]): Excel (openpyxl) and PDF (WeasyPrint).

The PDF names the font "Noto Sans CJK SC" (Debian ``fonts-noto-cjk``): without a CJK
font WeasyPrint silently draws boxes (STACK: Documents).
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import io

from flask import render_template
from sqlalchemy import select

from onewindow import clock, db
from onewindow_supervision.indicators import Row, indicators
from onewindow_supervision.models import Card, MonthlyReport

COLUMNS = [
    ("name", "名称"),
    ("received", "收件"),
    ("accepted", "受理"),
    ("immediate_rate", "即办率%"),
    ("online_rate", "网上办理率%"),
    ("joint_rate", "联合办理率%"),
    ("decided", "办结"),
    ("on_time_rate", "按时办结率%"),
    ("average_workdays", "平均用时（工作日）"),
    ("evaluations", "评价数"),
    ("satisfaction_rate", "满意率%"),
    ("yellow", "黄牌（未解除）"),
    ("red", "红牌（未解除）"),
]


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    first = first.replace(day=1)
    return first, first.replace(day=month_calendar.monthrange(first.year, first.month)[1])


def report_data(start: dt.date, end: dt.date) -> dict:
    cards = (
        db.session.execute(
            select(Card)
            .where(
                Card.raised_at >= dt.datetime.combine(start, dt.time.min),
                Card.raised_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min),
            )
            .order_by(Card.raised_at)
        )
        .scalars()
        .all()
    )
    return {
        "start": start,
        "end": end,
        "columns": COLUMNS,
        "departments": indicators(start, end, "department"),
        "windows": indicators(start, end, "window"),
        "cards": cards,
        "generated_at": clock.now(),
    }


def _cell(row: Row, attr: str):
    value = getattr(row, attr)
    return "" if value is None else value


def build_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheets = [("按部门", data["departments"]), ("按窗口", data["windows"])]
    for index, (title, rows) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        ws.append([f"电子监察月度报告 {data['start']:%Y-%m}（{data['start']} 至 {data['end']}）"])
        ws.append([label for _attr, label in data["columns"]])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(row, attr) for attr, _label in data["columns"]])
        ws.column_dimensions["A"].width = 28
    ws = wb.create_sheet("红黄牌")
    ws.append(["级别", "类型", "办件", "部门", "期限", "亮牌时间", "解除时间", "解除原因"])
    for card in data["cards"]:
        ws.append(
            [
                str(card.level),
                str(card.rule),
                card.case.number if card.case else "",
                card.department.name if card.department else "",
                card.due_date,
                card.raised_at,
                card.cleared_at,
                card.cleared_reason or "",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build_pdf(data: dict) -> bytes:
    from weasyprint import HTML

    html = render_template("supervision/report_pdf.html", **data)
    return HTML(string=html).write_pdf()


def store_monthly_report(first_of_month: dt.date, *, pdf: bool = True) -> str | None:
    """Generate and store the report of one month unless it exists (idempotent by period)."""
    period = f"{first_of_month:%Y-%m}"
    if db.session.execute(select(MonthlyReport.id).where(MonthlyReport.period == period)).first():
        return None
    data = report_data(*month_bounds(first_of_month))
    report = MonthlyReport(
        period=period, generated_at=clock.now(), xlsx=build_xlsx(data), pdf=build_pdf(data) if pdf else None
    )
    db.session.add(report)
    db.session.commit()
    return period
