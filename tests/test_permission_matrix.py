"""Every route × every demo login (and anonymous) answers what ``permission_matrix.tsv`` says.

The table has one row per route of the app's URL map: the route, the method probed, the
concrete URL requested (ids from the demo data, or a placeholder that matches no row:
``0`` for ids, ``NONE`` for other names), then one column per identity with the expected
answer: ``200``, ``403``, ``404``, ``405`` … or ``302>/path`` for a redirect (``302>/login/``:
sign in first). Every identity works on its own fresh copy of the demo database with a
few rows of department-owned tables seeded (``_seed``), so one identity's deletes do not
change another's answers; within an identity the requests that may change data (POST,
``delete``, ``action``, logout) run after all the reads.

A route without a row fails, naming it; to add rows, run
``ONEWINDOW_UPDATE_PERMISSION_MATRIX=1 python -m pytest tests/test_permission_matrix.py``, which
rewrites the table with the answers observed, and review the diff line by line before
committing it (docs/api-errors.md, "Permission matrix").
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

MATRIX = Path(__file__).with_name("permission_matrix.tsv")
UPDATE = os.environ.get("ONEWINDOW_UPDATE_PERMISSION_MATRIX") == "1"
ANONYMOUS = "anonymous"
#: Columns after route, method, url: anonymous, then one demo login per role (approver_re is
#: the 不动产登记中心's approver: a second department to test scoping across departments).
IDENTITIES = [
    ANONYMOUS,
    "admin",
    "acceptor",
    "approver",
    "approver_re",
    "chief_rep",
    "seal_admin",
    "output_clerk",
    "supervisor",
]
FIXED = ["route", "method", "url"]
HEADER_COMMENT = (
    "# Permission matrix: the answer each identity gets from each route (tests/test_permission_matrix.py).\n"
    "# 302>/login/ = sent to sign in; 403 = signed in but not allowed; 404 = no such row or not in your\n"
    "# department; url = the concrete request (0 / NONE = placeholder matching no row). Review every change.\n"
)
#: Concrete values for path arguments that are not a model's primary key.
PLACEHOLDERS = {"filename": "NONE.txt", "path": "NONE", "version": "v1"}


def _read_matrix() -> dict[str, dict[str, str]]:
    if not MATRIX.exists():
        return {}
    lines = [line for line in MATRIX.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return {row["route"]: row for row in csv.DictReader(lines, delimiter="\t")}


def _write_matrix(rows: dict[str, dict[str, str]]) -> None:
    with MATRIX.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER_COMMENT)
        writer = csv.DictWriter(fh, FIXED + IDENTITIES, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for route in sorted(rows):
            writer.writerow(rows[route])


def _routes(app) -> dict[str, tuple[str, str]]:
    """route → (method probed, endpoint) for every rule of the URL map."""
    routes = {}
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"}
        routes[rule.rule] = ("GET" if "GET" in methods else sorted(methods)[0], rule.endpoint)
    return routes


def _first_id(app, endpoint: str) -> str:
    from onewindow.app import db

    view = {type(v).__name__: v for v in app.appbuilder.baseviews}.get(endpoint.split(".")[0])
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None:
        return "0"
    with app.app_context():
        pk = getattr(datamodel.obj, datamodel.get_pk_name())
        first = db.session.query(pk).order_by(pk).first()
    return str(first[0]) if first else "0"


def _proposed_url(app, route: str, endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.rule == route)
    values = {}
    for name in rule.arguments:
        if name == "pk":
            values[name] = _first_id(app, endpoint)
        else:
            values[name] = PLACEHOLDERS.get(name, "0" if name.endswith("id") else "NONE")
    url = route
    for name, value in values.items():
        url = url.replace(f"<{name}>", value)
        for prefix in ("int", "string", "path"):
            url = url.replace(f"<{prefix}:{name}>", value)
    return url


def _changes_data(route: str, method: str, endpoint: str) -> bool:
    name = endpoint.rsplit(".", 1)[-1]
    return method != "GET" or name in {"delete", "action", "action_post", "logout"} or "logout" in route


def _answer(response) -> str:
    """The status; for a redirect to sign in ``302>/login/`` (other targets follow FAB's
    page history, so only the status is kept)."""
    if 300 <= response.status_code < 400:
        target = urlsplit(response.headers.get("Location", "")).path
        return f"{response.status_code}>/login/" if target.startswith("/login") else str(response.status_code)
    return str(response.status_code)


def _seed(app) -> None:
    """Rows of department-owned plugin tables in two departments, so scoping shows in the table."""
    import datetime as dt

    from onewindow.app import db
    from onewindow.models import Department

    with app.app_context():
        police = db.session.query(Department).filter(Department.name.contains("公安")).first()
        estate = db.session.query(Department).filter(Department.name.contains("不动产")).first()
        try:
            from onewindow_public_security.models import Capture
        except ImportError:  # plugin not installed
            Capture = None
        if Capture is not None and police is not None:
            db.session.add(
                Capture(
                    case_number="MATRIX-CAPTURE-1",
                    item_name="普通护照签发",
                    applicant_name="张三",
                    department_id=police.id,
                    captured_by="acceptor",
                    captured_at=dt.datetime(2026, 12, 1, 9, 0),
                )
            )
        try:
            from onewindow_realestate.models import PropertyUnit
        except ImportError:
            PropertyUnit = None
        if PropertyUnit is not None and estate is not None:
            db.session.add(
                PropertyUnit(
                    unit_number="530100001001GB00001F0001000",
                    location="云溪县示范路 1 号",
                    area=88,
                    use="住宅",
                    right_type="国有建设用地使用权/房屋所有权",
                    owner_name="赵六",
                    owner_id="440304200002291236",
                    department_id=estate.id,
                )
            )
        db.session.commit()


def _probe(app, client, rows: list[tuple[str, str, str, str]], token: str | None) -> dict[str, str]:
    """REST routes are called with the identity's JWT (as API clients do), screens with its session."""
    answers = {}
    for route, method, url, _endpoint in rows:
        headers = {"Authorization": f"Bearer {token}"} if token and url.startswith("/api/") else {}
        response = client.open(url, method=method, headers=headers, follow_redirects=False)
        answers[route] = _answer(response)
    return answers


def test_permission_matrix_every_route_every_role(_ow_databases, tmp_path, demo_logins):
    from onewindow.app import create_app, db

    matrix = _read_matrix()
    observed: dict[str, dict[str, str]] = {}
    routes = None
    for identity in IDENTITIES:
        url = _ow_databases.clone()
        app = create_app(
            {"DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False}, instance_path=tmp_path / identity
        )
        app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer to record, not a crash
        _seed(app)
        if routes is None:
            routes = _routes(app)
            missing = sorted(set(routes) - set(matrix))
            if missing and not UPDATE:
                pytest.fail(
                    f"{len(missing)} route(s) have no row in {MATRIX.name}: {', '.join(missing)}; add them with "
                    f"ONEWINDOW_UPDATE_PERMISSION_MATRIX=1 python -m pytest {Path(__file__).name} and review the new "
                    "rows (each role's answer) before committing"
                )
            for route, (method, endpoint) in routes.items():
                row = matrix.get(route) if not UPDATE else None
                observed[route] = {
                    "route": route,
                    "method": method,
                    "url": (row or {}).get("url") or _proposed_url(app, route, endpoint),
                }
        client = app.test_client()
        token = None
        if identity != ANONYMOUS:
            response = client.post(
                "/api/v1/security/login",
                json={"username": identity, "password": demo_logins[identity], "provider": "db"},
            )
            assert response.status_code == 200, f"API login of {identity} failed: {response.status_code}"
            token = response.get_json()["access_token"]
            response = client.post("/login/", data={"username": identity, "password": demo_logins[identity]})
            assert response.status_code == 302, f"login of {identity} failed"
        plan = sorted(
            ((r, routes[r][0], observed[r]["url"], routes[r][1]) for r in routes),
            key=lambda row: (_changes_data(row[0], row[1], row[3]), "logout" in row[0], row[0]),
        )
        for route, answer in _probe(app, client, plan, token).items():
            observed[route][identity] = answer
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _ow_databases.drop(url)

    if UPDATE:
        _write_matrix(observed)
    server_errors = [
        f"{route} as {who}: {row[who]}"
        for route, row in observed.items()
        for who in IDENTITIES
        if row[who].startswith("5")
    ]
    assert not server_errors, "server errors: " + "; ".join(server_errors)
    if UPDATE:
        pytest.skip(f"{MATRIX.name} rewritten from the observed answers: review the diff")
    stale = sorted(set(matrix) - set(routes))
    assert not stale, f"rows for routes that no longer exist in {MATRIX.name}: {', '.join(stale)}; delete them"
    mismatches = [
        f"{route} ({observed[route]['url']}) as {who}: expected {matrix[route][who]}, got {row[who]}"
        for route, row in sorted(observed.items())
        for who in IDENTITIES
        if row[who] != matrix[route][who]
    ]
    assert not mismatches, f"{len(mismatches)} answer(s) differ from {MATRIX.name}:\n" + "\n".join(mismatches)


# --- scoping rules the matrix exposed (issue #15 item 8) ----------------------


@pytest.fixture
def seeded(app):
    _seed(app)
    from onewindow_public_security.models import Capture
    from onewindow_realestate.models import PropertyUnit

    from onewindow.app import db

    with app.app_context():
        return {"capture": db.session.query(Capture.id).scalar(), "unit": db.session.query(PropertyUnit.id).scalar()}


@pytest.mark.parametrize(
    "username, status",
    [("approver", 404), ("approver_re", 404), ("chief_rep", 404), ("acceptor", 200), ("supervisor", 200)],
)
def test_in_person_captures_are_seen_by_public_security_and_the_centre_only(
    app, client, login, seeded, username, status
):
    login(client, username)
    assert client.get(f"/publicsecuritycaptureview/show/{seeded['capture']}").status_code == status
    listing = client.get("/publicsecuritycaptureview/list/").get_data(as_text=True)
    assert ("MATRIX-CAPTURE-1" in listing) == (status == 200)


def test_a_department_cannot_create_a_property_unit_under_another_department(app, client, login, seeded):
    from onewindow_realestate.models import PropertyUnit

    from onewindow.app import db
    from onewindow.models import Department, Staff

    with app.app_context():
        own = db.session.query(Staff).filter_by(username="approver").one().department_id
        other = db.session.query(Department.id).filter(Department.id != own).first()[0]
    login(client, "approver")
    form = client.get("/propertyunitview/add").get_data(as_text=True)
    assert f'value="{other}"' not in form
    response = client.post(
        "/propertyunitview/add",
        data={
            "unit_number": "530100001001GB00001F0001999",
            "location": "别处",
            "area": "10",
            "use": "住宅",
            "right_type": "房屋所有权",
            "owner_name": "某某",
            "owner_id": "440304200002291236",
            "department": str(other),
        },
    )
    assert response.status_code == 200  # the form again, with the refused choice
    with app.app_context():
        assert db.session.query(PropertyUnit).filter_by(location="别处").count() == 0


def test_the_inbox_applies_the_department_rule(app):
    """The inbox filters with security.department_condition, the same rule as every list."""
    from sqlalchemy import select

    from onewindow.app import db
    from onewindow.cases.models import CaseStep
    from onewindow.models import Staff
    from onewindow.security import department_condition

    with app.app_context():
        staff = {s.username: s for s in db.session.query(Staff)}
        assert department_condition(staff["admin"], CaseStep.department_id) is None
        assert department_condition(staff["acceptor"], CaseStep.department_id) is None
        own = str(
            select(CaseStep.id)
            .where(department_condition(staff["approver"], CaseStep.department_id))
            .compile(compile_kwargs={"literal_binds": True})
        )
        assert f"department_id = {staff['approver'].department_id}" in own
        staff["approver"].department_id = None
        nothing = department_condition(staff["approver"], CaseStep.department_id)
        assert db.session.execute(select(CaseStep.id).where(nothing)).first() is None
        assert str(nothing.compile()) in ("false", "0 = 1", "0")
