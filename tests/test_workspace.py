"""Each role lands on its own workspace (工作台) with its to-do counts, scoped to its department."""

import datetime as dt
import html
import re

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, Case, CaseState, MaterialStatus
from onewindow.models.items import Item
from onewindow.models.org import Window

PERSON = "440304200002291236"
MARKET = "11369921102345608H"  # the demo approver's department
REAL_ESTATE = "113699211024247953"
DAY = dt.date(2026, 11, 23)


def tile(page: str, label: str) -> tuple[int, str]:
    """(count, link) of the workspace tile labelled ``label``."""
    found = re.search(
        r'<a class="ow-tile[^"]*" href="([^"]*)"[^>]*>\s*<div class="ow-tile-count"[^>]*>(\d+)</div>\s*'
        rf'<div class="ow-tile-label">{re.escape(label)}</div>',
        page,
    )
    assert found, f"no tile {label!r} on the workspace"
    return int(found.group(2)), html.unescape(found.group(1))


def accept(app, actor, item_id, window="A01", deferred=False):
    with app.app_context(), travel_to(DAY):
        item = db.session.get(Item, item_id)
        win = db.session.query(Window).filter_by(code=window).one()
        application = engine.Application(item, ApplicantType.person, "张三", PERSON, window=win)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        if deferred:
            statuses[item.materials[-1].id] = MaterialStatus.missing
            case = engine.accept_deferred(
                application,
                actor("acceptor"),
                statuses,
                commitment="三日内补交",
                supply_deadline=DAY + dt.timedelta(days=2),
            )
        else:
            case = engine.accept(application, actor("acceptor"), statuses)
        return case.id, case.number


def workspace(client) -> str:
    with travel_to(DAY):
        return client.get("/").get_data(as_text=True)


def test_approver_workspace_counts_only_own_departments_active_steps(app, make_item, login, actor, client):
    own, other = make_item(department=MARKET), make_item(department=REAL_ESTATE)
    login(client, "approver")
    assert tile(workspace(client), "本部门在办环节")[0] == 0
    own_id, own_number = accept(app, actor, own)
    _, other_number = accept(app, actor, other, window="B01")
    page = workspace(client)
    count, link = tile(page, "本部门在办环节")
    assert count == 1  # the other department's case is not counted
    assert own_number in page and other_number not in page
    assert f"/caseview/show/{own_id}" in page  # each step links to its case page
    with app.app_context(), travel_to(DAY):
        case = db.session.get(Case, own_id)
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
    page = workspace(client)
    assert tile(page, "本部门在办环节")[0] == 0
    count, link = tile(page, "已准予，待交出件窗口")
    assert count == 1
    assert own_number in client.get(link).get_data(as_text=True)


def test_approver_workspace_marks_steps_due_soon_yellow_and_overdue_red(app, make_item, login, actor, client):
    item = make_item(department=MARKET, promised=2)
    accept(app, actor, item)
    login(client, "approver")
    assert tile(workspace(client), "已超期环节")[0] == 0
    assert '<tr class="warning">' not in workspace(client)
    with travel_to(DAY + dt.timedelta(days=1)):  # one working day left: yellow
        page = client.get("/").get_data(as_text=True)
    assert '<tr class="warning">' in page and tile(page, "临近期限（黄灯）")[0] == 1
    with travel_to(DAY + dt.timedelta(days=10)):
        page = client.get("/").get_data(as_text=True)
    assert tile(page, "已超期环节")[0] == 1
    assert '<tr class="danger">' in page


def test_acceptor_workspace_counts_todays_acceptances_and_deferred_supply(app, make_item, login, actor, client):
    item = make_item()
    login(client, "acceptor")
    assert tile(workspace(client), "我今天受理的办件")[0] == 0
    _, plain = accept(app, actor, item)
    _, deferred = accept(app, actor, item, deferred=True)
    page = workspace(client)
    count, link = tile(page, "我今天受理的办件")
    assert count == 2
    with travel_to(DAY):
        listed = client.get(link).get_data(as_text=True)
    assert plain in listed and deferred in listed
    count, link = tile(page, "容缺待补交")
    assert count == 1
    listed = client.get(link).get_data(as_text=True)
    assert deferred in listed and plain not in listed
    assert str(DAY + dt.timedelta(days=2)) in page  # the supply deadline is listed
    assert "进入受理工作台" in page


def test_output_clerk_workspace_counts_results_waiting(app, make_item, login, actor, client):
    item = make_item()
    case_id, number = accept(app, actor, item)
    login(client, "output_clerk")
    assert tile(workspace(client), "待领取或邮寄的结果")[0] == 0
    with app.app_context(), travel_to(DAY):
        case = db.session.get(Case, case_id)
        engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
        engine.hand_to_output(db.session.get(Case, case_id), actor("approver"), "许可证1份")
        assert db.session.get(Case, case_id).state == CaseState.at_output
    count, link = tile(workspace(client), "待领取或邮寄的结果")
    assert count == 1
    assert number in client.get(link).get_data(as_text=True)


def test_seal_admin_workspace_counts_licences_waiting_for_seal_of_own_department(app, login, client):
    from onewindow.licences.models import Licence, LicenceStatus
    from onewindow.models.org import Department

    login(client, "seal_admin")
    assert tile(workspace(client), "待盖章的电子证照")[0] == 0
    with app.app_context():
        template = db.session.query(Licence).first()
        assert template is None  # no licence in a fresh demo
        for code in (MARKET, REAL_ESTATE):
            dept = db.session.query(Department).filter_by(credit_code=code).one()
            db.session.add(_pending_licence(dept, code))
        db.session.commit()
        assert db.session.query(Licence).filter_by(status=LicenceStatus.pending_seal).count() == 2
    count, link = tile(workspace(client), "待盖章的电子证照")
    assert count == 1  # the other department's licence is not counted
    assert MARKET[-6:] in client.get(link).get_data(as_text=True)


def _pending_licence(dept, code):
    from onewindow.licences.models import Licence, LicenceStatus

    columns = {c.name for c in Licence.__table__.columns}
    values = {
        "identifier": f"1.2.156.3005.2.T.{code}.{code[-6:]}.1.X",
        "department_id": dept.id,
        "status": LicenceStatus.pending_seal,
    }
    for column in Licence.__table__.columns:
        if column.name in values or column.nullable or column.default is not None or column.primary_key:
            continue
        kind = getattr(column.type, "enum_class", None)
        if kind is not None:
            values[column.name] = list(kind)[0]
        elif column.foreign_keys:
            values[column.name] = _any_row(next(iter(column.foreign_keys)).column.table)
        else:
            values[column.name] = {str: code[-6:], int: 1, dt.date: DAY, dt.datetime: dt.datetime(2026, 11, 23)}.get(
                column.type.python_type, {}
            )
    assert set(values) <= columns
    return Licence(**values)


def _any_row(table):
    from sqlalchemy import select

    value = db.session.execute(select(table.c.id)).scalars().first()
    if value is None:  # a licence type for the test licence
        from onewindow.licences.models import LicenceType

        lt = LicenceType(
            **{
                c.name: "T"
                for c in LicenceType.__table__.columns
                if not c.nullable and not c.primary_key and c.default is None
            }
        )
        db.session.add(lt)
        db.session.flush()
        value = lt.id
    return value


def test_supervisor_workspace_shows_open_cards_from_the_plugin(app, make_item, login, actor, client):
    login(client, "supervisor")
    count, link = tile(workspace(client), "未解除红牌")
    assert count == 0 and link.endswith("/supervision/open-cards")


def test_admin_workspace_reports_configuration_health(app, login, client):
    login(client, "admin")
    page = workspace(client)
    before = tile(page, "没有工作人员的窗口")[0]
    with app.app_context():
        from onewindow.models.org import WindowKind, Zone

        db.session.add(Window(zone=db.session.query(Zone).first(), code="Z99", name="新窗口", kind=list(WindowKind)[0]))
        db.session.commit()
    assert tile(workspace(client), "没有工作人员的窗口")[0] == before + 1
    assert tile(page, "已停用的插件")[0] == 0


def test_staff_names_are_shown_family_name_first(app, login, client):
    login(client, "acceptor")
    assert "王受理员" in workspace(client)  # last_name 王 first, no space


def _links(page: str, start: str, end: str) -> set[str]:
    part = page.split(start, 1)[1].split(end, 1)[0]
    return {html.unescape(h) for h in re.findall(r'<a[^>]+href="(/[^"#]*)"', part)}


def test_no_menu_entry_or_workspace_link_of_a_demo_role_is_forbidden(app, login, demo_logins, actor, make_item):
    accept(app, actor, make_item(), deferred=True)  # rows on the workspaces link to a case page
    for n, username in enumerate(demo_logins):  # one address each: more logins than a minute's limit
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        login(client, username)
        page = workspace(client)
        links = _links(page, '<div class="navbar-collapse', "navbar-right") | _links(
            page, 'id="ow-workspace"', "</body>"
        )
        assert links, username
        for href in sorted(links):
            response = client.get(href)
            refused = response.status_code in (401, 403) or (
                response.status_code == 302 and "/login" in response.headers.get("Location", "")
            )
            assert not refused, f"{username}: {href} answers {response.status_code}"
