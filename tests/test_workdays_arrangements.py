"""Official holiday arrangements: import, admin screens, CLI, and recomputation on change."""

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onewindow.app import db
from onewindow.workdays import get_calendar, import_arrangement
from onewindow.workdays.arrangement import ArrangementError
from onewindow.workdays.models import CalendarDay, CalendarYear

D = dt.date
ROOT = Path(__file__).resolve().parents[1]

#: A made-up 2027 arrangement for tests (the real one is not published yet).
ARRANGEMENT_2027 = {
    "year": 2027,
    "source": "测试用：2027年节假日安排（非官方）",
    "holidays": [["2027-01-01", "2027-01-03", "元旦"], ["2027-02-06", "2027-02-14", "春节"]],
    "workdays": [["2027-02-20", "调休上班"]],
}

RECORDER = """
    from onewindow.plugins import hookimpl

    calls = []

    @hookimpl
    def calendar_changed(years):
        from onewindow.workdays import get_calendar
        # The hook sees the committed change (the case engine recomputes here).
        calls.append((list(years), get_calendar().is_confirmed(years[0])))
"""


@pytest.fixture
def recorder(throwaway_plugin, make_app):
    plugin = throwaway_plugin(RECORDER, key="calrec")
    app = make_app(plugins=[("calrec", plugin)])
    return app, plugin.calls


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(CalendarYear)),
        db.session.scalar(select(func.count()).select_from(CalendarDay)),
    )


def test_december_2026_limit_into_2027_is_unconfirmed_until_the_arrangement_is_imported(recorder):
    app, calls = recorder
    with app.app_context():
        assert get_calendar().due_date_info(D(2026, 12, 15), 20) == (D(2027, 1, 12), False)
        result = import_arrangement(ARRANGEMENT_2027, "admin")
        assert (result.year, result.holidays, result.workdays, result.replaced) == (2027, 12, 1, False)
        # 1/1/2027 is now a holiday: one more day, and the date is final.
        assert get_calendar().due_date_info(D(2026, 12, 15), 20) == (D(2027, 1, 13), True)
    assert calls == [([2027], True)]


def test_import_replaces_the_years_earlier_arrangement(app):
    with app.app_context():
        import_arrangement(ARRANGEMENT_2027, "admin")
        changed = dict(ARRANGEMENT_2027, holidays=[["2027-01-01", "2027-01-01", "元旦"]], workdays=[])
        result = import_arrangement(changed, "admin")
        assert result.replaced
        assert _counts() == (1, 1)
        assert get_calendar().is_workday(D(2027, 2, 8))


def test_invalid_arrangement_lists_every_problem_and_writes_nothing(app, tmp_path):
    bad = {
        "year": 2027,
        "source": "",
        "holidays": [
            ["2027-01-01", "2027-01-03", "元旦"],
            ["2027-02-14", "2027-02-06", "春节"],  # reversed
            ["2026-12-31", "2026-12-31", "跨年"],  # not in 2027
            ["2027-01-03", "2027-01-04", "重复"],  # overlaps 元旦
        ],
        "workdays": [["2027-01-02", "调休上班"], ["2027-03-03", "调休上班"], ["2027-13-01", "x"]],
        "colour": "red",
    }
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        with pytest.raises(ArrangementError) as err:
            import_arrangement(path, "admin")
        assert _counts() == (0, 0)
    problems = err.value.problems
    assert str(path) in str(err.value) and "nothing was imported" in str(err.value)
    expected = [
        "unknown key 'colour'",
        "source: name the notice",
        "holidays entry 2 (春节): last day 2027-02-06 is before first day 2027-02-14",
        "holidays entry 3 (跨年): 2026-12-31–2026-12-31 is not in 2027",
        "holidays entry 4 (重复): 2027-01-03 is already a holiday in holidays entry 1 (元旦)",
        "workdays entry 1: 2027-01-02 is also a holiday in holidays entry 1 (元旦)",
        "workdays entry 2: 2027-03-03 is a weekday",
        "workdays entry 3: '2027-13-01' is not a date",
    ]
    assert len(problems) == len(expected)
    for fragment, problem in zip(expected, problems):
        assert problem.startswith(fragment), (fragment, problem)


def test_year_outside_the_calendar_is_refused(app):
    with app.app_context(), pytest.raises(ArrangementError, match="year 1999 is outside 2004"):
        import_arrangement(dict(ARRANGEMENT_2027, year=1999, holidays=[], workdays=[]), "admin")


def test_malformed_json_names_line_and_column(app, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"year": 2027,\n "source": }', encoding="utf-8")
    with app.app_context(), pytest.raises(ArrangementError, match=r"line 2, column 12: invalid JSON"):
        import_arrangement(path, "admin")


@pytest.fixture
def onewindow_cmd(ow_database, tmp_path):
    """Run ``onewindow …`` as an operator would, on this test's database."""
    from click.testing import CliRunner

    from onewindow.cli import cli

    env = {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "cli-instance")}

    def run(*args):
        return CliRunner().invoke(cli, list(args), env=env)

    return run


def test_cli_imports_the_shipped_2026_arrangement_and_shows_the_year(onewindow_cmd):
    result = onewindow_cmd("calendar", "import", str(ROOT / "item_packs/calendar/2026.json"), "--actor", "ops")
    assert result.exit_code == 0, result.output
    assert "33 holiday date(s), 6 make-up working day(s); 2026 is confirmed" in result.output
    assert "note:" not in result.output  # agrees with chinesecalendar

    shown = onewindow_cmd("calendar", "show", "2026").output
    assert "confirmed: 国务院办公厅关于2026年部分节假日安排的通知 (entered by ops" in shown
    assert "10               18  10-01–10-07 国庆节; 10-10 调休上班" in shown
    assert "02               16  02-14 调休上班; 02-15–02-23 春节; 02-28 调休上班" in shown


def test_cli_import_of_a_bad_file_fails_with_every_problem(onewindow_cmd, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(dict(ARRANGEMENT_2027, workdays=[["2027-03-03", "调休上班"]])), encoding="utf-8")
    result = onewindow_cmd("calendar", "import", str(path))
    assert result.exit_code == 1
    assert f"onewindow: error: {path}: 1 problem(s), nothing was imported" in result.output
    assert "workdays entry 1: 2027-03-03 is a weekday" in result.output


def test_cli_show_flags_an_unconfirmed_year_and_check_prints_the_due_date(onewindow_cmd):
    shown = onewindow_cmd("calendar", "show", "2027").output
    assert "2027: NOT confirmed: weekends only" in shown
    checked = onewindow_cmd("calendar", "check", "2026-09-30", "3").output
    assert "2026-09-30 + 3 working day(s) → 2026-10-10 (星期六)" in checked and "\nconfirmed" in checked
    checked = onewindow_cmd("calendar", "check", "2026-12-15", "20").output
    assert "→ 2027-01-12" in checked and "UNCONFIRMED: 2027 counted with weekends only" in checked


def test_admin_adding_a_holiday_date_recomputes_and_announces_the_year(recorder, login):
    app, calls = recorder
    client = app.test_client()
    login(client, "admin")
    response = client.post("/calendardayview/add", data={"date": "2027-01-01", "note": "元旦"})
    assert response.status_code == 302
    with app.app_context():
        assert not get_calendar().is_workday(D(2027, 1, 1))
    assert calls == [([2027], False)]  # a date alone does not confirm the year

    response = client.post("/calendaryearview/add", data={"year": "2027", "confirmed": "y", "source": "国办通知"})
    assert response.status_code == 302
    assert calls[-1] == ([2027], True)
    with app.app_context():
        assert db.session.scalar(select(CalendarYear.entered_by)) == "admin"


def test_admin_uploads_an_arrangement_and_sees_every_problem(app, client, login):
    login(client, "admin")
    bad = dict(ARRANGEMENT_2027, workdays=[["2027-01-01", "调休上班"], ["2027-03-03", "调休上班"]])
    page = client.post(
        "/calendarimportview/form",
        data={"file": (io.BytesIO(json.dumps(bad).encode()), "2027.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "2027.json: 2" in page and "2027-01-01 is also a holiday" in page and "2027-03-03 is a weekday" in page
    with app.app_context():
        assert _counts() == (0, 0)
    page = client.post(
        "/calendarimportview/form",
        data={"file": (io.BytesIO(json.dumps(ARRANGEMENT_2027).encode()), "2027.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "imported the 2027 arrangement" in page
    with app.app_context():
        assert get_calendar().is_confirmed(2027)


def test_supervisor_reads_the_calendar_but_cannot_change_it(client, login):
    login(client, "supervisor")
    assert client.get("/calendaryearview/list/").status_code == 200
    assert client.get("/calendardayview/list/").status_code == 200
    assert client.post("/calendardayview/add", data={"date": "2027-01-01"}).status_code in (302, 403)
    assert client.get("/calendarimportview/form").status_code in (302, 403)
    with client.application.app_context():
        assert _counts() == (0, 0)


def test_unconfirmed_due_dates_are_flagged_in_templates(app):
    with app.test_request_context():
        from flask import render_template_string

        html = render_template_string("{{ d|ow_due_date(False) }}|{{ d|ow_due_date(True) }}", d=D(2027, 1, 12))
    assert "2027-01-12 <span" in html and "ow-unconfirmed" in html
    assert html.endswith("|2027-01-12")
