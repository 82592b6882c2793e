"""One definition of yellow and red (``onewindow.cases.limits``): the approver's workspace
colours a step exactly as the supervision scan's card for it, at every boundary day."""

import datetime as dt

import pytest
from onewindow_supervision.models import CardLevel, CardRule
from supervision_helpers import accepted, ctx, open_cards, scan_on  # noqa: F401 (fixtures)

from onewindow.app import db
from onewindow.cases import limits
from onewindow.cases.clock import travel_to
from onewindow.models import Staff
from onewindow.workspace import approver_section

MON = dt.date(2026, 11, 23)
DUE = dt.date(2026, 11, 30)  # 5 working days after Mon 23 Nov
WORKSPACE_OF_CARD = {None: "", CardLevel.yellow: "warning", CardLevel.red: "danger"}


def test_deadline_level_is_red_after_the_due_date_and_yellow_within_the_warning_days(ctx):
    assert limits.deadline_level(None, 1, MON) == ""
    assert limits.deadline_level(DUE, 1, dt.date(2026, 11, 26)) == ""  # Fri 27 and Mon 30 left
    assert limits.deadline_level(DUE, 1, dt.date(2026, 11, 27)) == "yellow"  # only Mon 30 left
    assert limits.deadline_level(DUE, 1, DUE) == "yellow"  # the due date is still within the limit
    assert limits.deadline_level(DUE, 1, dt.date(2026, 12, 1)) == "red"
    assert limits.deadline_level(DUE, 3, dt.date(2026, 11, 25)) == "yellow"
    assert limits.deadline_level(DUE, 3, dt.date(2026, 11, 24)) == ""
    assert limits.yellow_threshold(dt.date(2026, 11, 27), 1) == dt.date(2026, 12, 1)  # over the weekend


@pytest.mark.parametrize("warning_days", [1, 3])
def test_workspace_colour_and_supervision_card_agree_at_the_boundaries(ctx, make_item, accepted, scan_on, warning_days):
    case = accepted(make_item(promised=5, warning_days=warning_days), when=MON)
    approver = db.session.query(Staff).filter_by(username="approver").one()
    seen = set()
    days = [dt.date(2026, 11, d) for d in (24, 25, 26, 27, 30)] + [dt.date(2026, 12, 1)]
    for day in days:
        scan_on(day)
        card = next((c.level for c in open_cards(CardRule.step_due) if c.case_id == case.id), None)
        with travel_to(day), ctx.test_request_context():
            row = next(r for r in approver_section(approver).rows if r["number"] == case.number)
        assert row["level"] == WORKSPACE_OF_CARD[card], f"{day}: workspace {row['level']!r}, card {card}"
        seen.add(card)
    assert seen == {None, CardLevel.yellow, CardLevel.red}, "every level is crossed"
