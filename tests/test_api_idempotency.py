"""Idempotency-Key on the cases API: a retry answers the first result and creates nothing."""

import datetime as dt
import threading

import pytest
from sqlalchemy import create_engine, func, select, text
from test_cases_api import accepted, api, application, item_info, jwt  # noqa: F401  (fixtures)

from onewindow.app import db
from onewindow.cases.models import Case, CaseEvent


def count(app, model, **where):
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).filter_by(**where))
        db.session.remove()
        return n


@pytest.fixture
def body(app, make_item):
    return application(*item_info(app, make_item()))


def test_repeated_create_with_the_same_key_answers_the_first_case_and_creates_nothing(app, client, jwt, body):
    headers = {**jwt("acceptor"), "Idempotency-Key": "create-1"}
    first = client.post("/api/v1/cases/", json=body, headers=headers)
    again = client.post("/api/v1/cases/", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Case) == 1
    other = client.post("/api/v1/cases/", json=body, headers={**jwt("acceptor"), "Idempotency-Key": "create-2"})
    assert other.status_code == 201 and other.get_json()["number"] != first.get_json()["number"]
    plain = client.post("/api/v1/cases/", json=body, headers=jwt("acceptor"))  # no key: no replay
    assert plain.status_code == 201 and count(app, Case) == 3


def test_same_key_with_another_body_is_refused_with_422(app, client, jwt, body):
    headers = {**jwt("acceptor"), "Idempotency-Key": "k"}
    assert client.post("/api/v1/cases/", json=body, headers=headers).status_code == 201
    changed = {**body, "applicant": {**body["applicant"], "name": "李四"}}
    response = client.post("/api/v1/cases/", json=changed, headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["message"] and count(app, Case) == 1


def test_keys_are_per_user(app, client, jwt, body):
    assert (
        client.post("/api/v1/cases/", json=body, headers={**jwt("acceptor"), "Idempotency-Key": "shared"}).status_code
        == 201
    )
    response = client.post("/api/v1/cases/", json=body, headers={**jwt("chief_rep"), "Idempotency-Key": "shared"})
    assert "Idempotent-Replayed" not in response.headers


def test_repeated_transition_with_the_same_key_records_one_event(app, client, jwt, accepted):
    number = accepted()["number"]
    headers = {**jwt("approver"), "Idempotency-Key": "approve-1"}
    first = client.post(f"/api/v1/cases/{number}/approve_step", json={"opinion": "同意"}, headers=headers)
    again = client.post(f"/api/v1/cases/{number}/approve_step", json={"opinion": "同意"}, headers=headers)
    assert first.status_code == again.status_code == 200 and again.get_json() == first.get_json()
    assert count(app, CaseEvent, action="approve_step") == 1
    # the same key on another transition is another request
    response = client.post(
        f"/api/v1/cases/{number}/hand_to_output", json={"result_description": "许可证1份"}, headers=headers
    )
    assert response.status_code == 422 and count(app, CaseEvent, action="hand_to_output") == 0


def test_a_bad_key_is_400_naming_the_header(client, jwt, body):
    response = client.post("/api/v1/cases/", json=body, headers={**jwt("acceptor"), "Idempotency-Key": "x" * 256})
    assert response.status_code == 400 and response.get_json()["problems"][0]["field"] == "Idempotency-Key"


def test_an_expired_key_is_forgotten_and_the_cleanup_job_deletes_it(app, client, jwt, body):
    from onewindow.api.idempotency import TABLE, delete_expired

    headers = {**jwt("acceptor"), "Idempotency-Key": "old"}
    assert client.post("/api/v1/cases/", json=body, headers=headers).status_code == 201
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(TABLE.update().values(expires_at=dt.datetime(2000, 1, 1)))
    response = client.post("/api/v1/cases/", json=body, headers=headers)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert count(app, Case) == 2
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(TABLE.update().values(expires_at=dt.datetime(2000, 1, 1)))
        assert delete_expired() == 1
        assert db.session.scalar(select(func.count()).select_from(TABLE)) == 0


def test_the_default_expiry_is_24_hours(app, client, jwt, body):
    from onewindow.api.idempotency import TABLE

    assert (
        client.post("/api/v1/cases/", json=body, headers={**jwt("acceptor"), "Idempotency-Key": "e"}).status_code == 201
    )
    with app.app_context():
        row = db.session.execute(select(TABLE)).one()
        assert row.expires_at - row.created_at == dt.timedelta(hours=24)


def test_concurrent_requests_with_one_key_execute_once(app, jwt, body, ow_database):
    """Two threads, each its own client, the same key at once: one case; both answers are the
    stored one, or one of them 409."""
    headers = {**jwt("acceptor"), "Idempotency-Key": "race"}
    answers, barrier = [], threading.Barrier(4)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/cases/", json=body, headers=headers)
        answers.append((response.status_code, (response.get_json() or {}).get("number")))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine = create_engine(ow_database)
    with engine.connect() as conn:
        numbers = [n for (n,) in conn.execute(text("select number from ow_case"))]
    engine.dispose()
    assert len(numbers) == 1, answers
    assert all(code == 409 or (code == 201 and number == numbers[0]) for code, number in answers), answers
    assert sum(code == 201 for code, _ in answers) >= 1


def test_openapi_documents_the_header(client, jwt):
    spec = client.get("/api/v1/_openapi", headers=jwt("acceptor")).get_json()
    for path in ("/api/v1/cases/", "/api/v1/cases/{number}/approve_step"):
        params = spec["paths"][path]["post"]["parameters"]
        assert "Idempotency-Key" in [p["name"] for p in params]
