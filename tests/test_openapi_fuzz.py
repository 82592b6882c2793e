"""Schemathesis over the whole OpenAPI (``/api/v1/_openapi``): no operation answers 5xx.

Runs in-process against the WSGI app with the admin's JWT (the widest access, so the
most code runs), a few generated requests per operation (``MAX_EXAMPLES``, derandomised
so a failure reproduces), which keeps the run to a few minutes. Every failing operation
is reported with the request that broke it; the test fails if any did.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="pip install -e '.[test]' installs schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402  (after the importorskip)

MAX_EXAMPLES = 3


@pytest.fixture
def admin_token(client, demo_logins):
    response = client.post(
        "/api/v1/security/login",
        json={"username": "admin", "password": demo_logins["admin"], "provider": "db", "refresh": False},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def test_openapi_documents_the_error_answers(client, admin_token):
    spec = client.get("/api/v1/_openapi", headers={"Authorization": f"Bearer {admin_token}"}).get_json()
    cases = spec["paths"]["/api/v1/cases/{number}/approve_step"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(cases)
    put = spec["paths"]["/api/v1/departments/{pk}"]["put"]["responses"]
    assert {"400", "401", "404", "422"} <= set(put)


def test_no_operation_of_the_openapi_answers_a_server_error(app, admin_token):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer to report, not a crash
    auth = {"Authorization": f"Bearer {admin_token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=auth)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(headers=auth)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} answered {response.status_code}: {response.text[:300]}; "
                f"reproduce with: {case.as_curl_command(headers=auth)}"
            )

        try:
            call()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert operations > 30, f"only {operations} operations in the OpenAPI"
    assert not failures, f"{len(failures)} operation(s) answered 5xx:\n" + "\n".join(failures)
