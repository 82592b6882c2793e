"""A request's SQL does not grow with the rows it shows, nor with the menu it draws; a
grant changed elsewhere is obeyed by the next request (permissions cached per process)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

from sqlalchemy import event, text

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, MaterialStatus
from onewindow.models.items import Item

PERSON = "440304200002291236"


@contextlib.contextmanager
def statements(app):
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    with app.app_context():
        eng = db.engine
    event.listen(eng, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(eng, "before_cursor_execute", record)


def accept_cases(app, item_id, actor, count, hand_out_every=0):
    with app.app_context(), travel_to(dt.date(2026, 11, 23)):
        item = db.session.get(Item, item_id)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        for n in range(count):
            case = engine.accept(
                engine.Application(item, ApplicantType.person, f"申请人{n}", PERSON), actor("acceptor"), statuses
            )
            if hand_out_every and n % hand_out_every == 0:
                engine.approve_step(case, case.steps[0].id, actor("approver"), "同意")
                engine.hand_to_output(case, actor("approver"), "许可证1份")


def screen_statements(app, client, path):
    client.get(path)  # the first request of a client fills per-process caches
    with statements(app) as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    return seen


def test_inbox_and_output_queries_do_not_grow_with_their_rows(app, make_item, actor, login):
    item_id = make_item()
    approver, clerk = app.test_client(), app.test_client()
    login(approver, "approver")
    login(clerk, "output_clerk")
    accept_cases(app, item_id, actor, 3, hand_out_every=1)
    accept_cases(app, item_id, actor, 3)
    few = {path: len(screen_statements(app, c, path)) for path, c in (("/inbox/", approver), ("/output/", clerk))}
    accept_cases(app, item_id, actor, 40, hand_out_every=4)
    many = {path: len(screen_statements(app, c, path)) for path, c in (("/inbox/", approver), ("/output/", clerk))}
    assert "申请人39" in approver.get("/inbox/").get_data(as_text=True)
    assert many == few, f"queries grew with the rows: {few} → {many}"
    assert max(many.values()) <= 12, many


def test_a_screen_checks_its_menu_without_a_query_per_entry(app, login):
    for user, path in (("acceptor", "/workbench/"), ("approver", "/inbox/"), ("acceptor", "/caseview/list/")):
        client = app.test_client()
        login(client, user)
        grants = [s for s in screen_statements(app, client, path) if "ab_permission_view" in s]
        assert len(grants) <= 1, (path, len(grants))


def test_a_grant_revoked_in_another_process_is_refused_on_the_next_request(app, client, login):
    login(client, "approver")
    assert client.get("/inbox/").status_code == 200
    revoke = (
        "FROM ab_permission_view_role WHERE role_id = (SELECT id FROM ab_role WHERE name = 'approver') "
        "AND permission_view_id IN (SELECT pv.id FROM ab_permission_view pv "
        "JOIN ab_view_menu v ON v.id = pv.view_menu_id WHERE v.name = 'InboxView')"
    )
    with app.app_context():  # as another worker would: straight to the database, not through this cache
        with db.engine.begin() as conn:
            kept = conn.execute(text(f"SELECT id, permission_view_id, role_id {revoke}")).all()
            assert kept
            conn.execute(text(f"DELETE {revoke}"))
    assert client.get("/inbox/").status_code != 200
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) VALUES (:i, :p, :r)"),
                [{"i": i, "p": p, "r": r} for i, p, r in kept],
            )
    assert client.get("/inbox/").status_code == 200


def test_a_transition_answer_does_not_grow_with_the_timeline(app, make_item, actor, client, demo_logins):
    from onewindow.cases.models import Case, CaseEvent

    item_id = make_item()
    token = client.post(
        "/api/v1/security/login", json={"username": "acceptor", "password": demo_logins["acceptor"], "provider": "db"}
    ).get_json()["access_token"]
    with app.app_context(), travel_to(dt.date(2026, 11, 23)):
        item = db.session.get(Item, item_id)
        statuses = {m.id: MaterialStatus.submitted for m in item.materials}
        numbers = [
            engine.accept(
                engine.Application(item, ApplicantType.person, "张三", PERSON), actor("acceptor"), statuses
            ).number
            for _ in range(3)
        ]
        long_one = db.session.query(Case).filter_by(number=numbers[2]).one()
        # a long history (stand-in events below the chain head the engine appends to)
        db.session.execute(
            CaseEvent.__table__.insert(),
            [
                {
                    "case_id": long_one.id,
                    "seq": -n,
                    "action": "note",
                    "to_state": "in_review",
                    "actor": "acceptor",
                    "at": dt.datetime(2026, 11, 23, 9),
                    "reason": "沟通记录" * 5,
                    "payload": {},
                    "prev_hash": "0" * 64,
                    "hash": "1" * 64,
                }
                for n in range(1, 51)
            ],
        )
        db.session.commit()
    answers, counts = [], []
    for number in numbers:  # the first fills the per-process caches; compare the other two
        with statements(app) as seen:
            response = client.post(
                f"/api/v1/cases/{number}/withdraw",
                json={"reason": "申请人撤回"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.get_json()
        answers.append(response.get_json())
        counts.append(len(seen))
    answers, counts = answers[1:], counts[1:]
    assert [[e["action"] for e in a["new_events"]] for a in answers] == [["withdraw"], ["withdraw"]]
    assert abs(len(json.dumps(answers[1])) - len(json.dumps(answers[0]))) < 200
    assert counts[0] == counts[1]
    detail = client.get(f"/api/v1/cases/{numbers[2]}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert len(detail["events"]) == 52  # the detail keeps the whole timeline


#: The statements of one transition request, whatever the database holds: the grant
#: fingerprint, the signed-in user (roles, groups, windows with it), the case with what
#: the answer shows (materials, steps, notices: one query each), the transaction, and the
#: engine's own writes (case, step, two events, a notice for approve_step).
TRANSITION_STATEMENTS = 15
#: One inbox page: fingerprint, user, the page's rows with their cases and items, counts.
INBOX_STATEMENTS = 10


def approve_statements(app, client, token, number, step_id) -> list[str]:
    with statements(app) as seen:
        response = client.post(
            f"/api/v1/cases/{number}/approve_step",
            json={"step_id": step_id, "opinion": "同意"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.get_json()
    assert [e["action"] for e in response.get_json()["new_events"]][0] == "approve_step"
    return seen


def waiting_steps(app, count: int) -> list[tuple[str, int]]:
    """``(number, step id)`` of the newest ``count`` cases with an active step."""
    from onewindow.cases.models import Case, CaseStep, StepState

    with app.app_context():
        rows = (
            db.session.query(Case.number, CaseStep.id)
            .join(CaseStep, CaseStep.case_id == Case.id)
            .filter(CaseStep.state == StepState.active)
            .order_by(Case.id.desc())
            .limit(count)
            .all()
        )
    return [(number, step_id) for number, step_id in rows]


def test_a_transition_request_and_an_inbox_page_run_a_bounded_number_of_statements(
    app, make_item, actor, client, login, demo_logins
):
    item_id = make_item()
    token = client.post(
        "/api/v1/security/login", json={"username": "approver", "password": demo_logins["approver"], "provider": "db"}
    ).get_json()["access_token"]
    inbox = app.test_client()
    login(inbox, "approver")
    counts = {}
    for rows in (10, 100):
        accept_cases(app, item_id, actor, rows - len(waiting_steps(app, 1000)) + 2)  # two are approved below
        first, second = waiting_steps(app, 2)
        approve_statements(app, client, token, *first)  # the first request after the seeding fills caches
        transition = approve_statements(app, client, token, *second)
        page = screen_statements(app, inbox, "/inbox/")
        assert len(waiting_steps(app, 1000)) == rows
        counts[rows] = (len(transition), len(page))
        assert len(transition) <= TRANSITION_STATEMENTS, "\n".join([f"{len(transition)} statements:", *transition])
        assert len(page) <= INBOX_STATEMENTS, "\n".join([f"{len(page)} statements:", *page])
    assert counts[10] == counts[100], f"statements grew with the rows: {counts}"
