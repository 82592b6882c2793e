"""Provincial single sign-on against a real OpenID Connect provider (the npm package
``oidc-provider``, tests/support/oidc), started locally: the authorization-code flow with
PKCE, driven by an HTTP client that follows the redirects and posts the provider's own login
and consent forms; the verified ID number claim maps the identity to the citizen account."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from onewindow_hall.models import Citizen
from sqlalchemy import select

from onewindow.app import db
from onewindow.errors import StartupError

SUPPORT = Path(__file__).resolve().parents[1] / "support" / "oidc"
ID = "440304200002291236"
ID2 = "11010519491231002X"
CLIENT_ID, CLIENT_SECRET = "onewindow-hall", "hall-test-secret"
ACCOUNTS = {
    "zhangsan": {
        "name": "张三",
        "id_number": ID,
        "id_number_verified": True,
        "phone_number": "13800138000",
        "phone_number_verified": True,
    },
    "unverified": {"name": "王五", "id_number": ID2, "id_number_verified": False},
}

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: the OpenID provider cannot start"),
    pytest.mark.skipif(
        not (SUPPORT / "node_modules" / "oidc-provider").is_dir(),
        reason="oidc-provider is not installed: run `npm ci --prefix tests/support/oidc` (.ci/run does)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Forms(HTMLParser):
    """The forms of a page: action and the named inputs (hidden values included)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif tag in ("input", "button") and self.forms and a.get("name"):
            if a.get("type") not in ("submit",) or tag == "input":
                self.forms[-1]["fields"].setdefault(a["name"], a.get("value", ""))


def post_first_form(http: requests.Session, response: requests.Response, **values) -> requests.Response:
    parser = Forms()
    parser.feed(response.text)
    assert parser.forms, f"no form on {response.url}: {response.text[:300]}"
    form = parser.forms[0]
    return http.post(urljoin(response.url, form["action"]), data={**form["fields"], **values})


@pytest.fixture
def sso(make_app, monkeypatch):
    """An app with SSO on, served on a port, and the provider knowing its callback."""
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("HALL_SSO_CLIENT_SECRET", CLIENT_SECRET)
    app = make_app(config={"plugins": {"hall": {"sso_issuer": issuer, "sso_client_id": CLIENT_ID}}})
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "REDIRECT_URI": f"{base}/hall/sso/callback",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    provider = subprocess.Popen(
        ["node", "server.js"], cwd=SUPPORT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        seen = []
        while not (seen and seen[-1].startswith("ready")):  # warnings about the dev setup come first
            line = provider.stdout.readline()
            assert line, "the OpenID provider did not start:\n" + "".join(seen)
            seen.append(line)
        yield app, base
    finally:
        provider.terminate()
        provider.wait(timeout=10)
        server.shutdown()
        thread.join(timeout=5)


def sign_in(base: str, login: str) -> tuple[requests.Session, requests.Response]:
    """Click “log in with the provincial identity service”, sign in and consent at the provider."""
    http = requests.Session()
    page = http.get(f"{base}/hall/sso/login?next=/hall/account", timeout=20)
    assert "/interaction/" in page.url, page.url  # the provider's login page
    page = post_first_form(http, page, login=login, password="any")
    for _ in range(3):  # the consent screen (authorise the hall's client)
        if not page.url.startswith(base) and "/interaction/" in page.url:
            page = post_first_form(http, page)
    return http, page


def test_sso_login_creates_the_verified_citizen_on_first_login(sso):
    app, base = sso
    http, page = sign_in(base, "zhangsan")
    assert page.url == f"{base}/hall/account", page.text[:500]
    assert "张三" in page.text and "已通过省统一身份认证" in page.text
    with app.app_context():
        citizen = db.session.execute(select(Citizen)).scalar_one()
        assert citizen.id_number == ID and citizen.identity_verified and citizen.password_hash is None
        assert citizen.mobile == "13800138000" and citizen.mobile_verified
    # a second login finds the same account
    _http, again = sign_in(base, "zhangsan")
    assert again.url == f"{base}/hall/account"
    with app.app_context():
        assert db.session.query(Citizen).count() == 1


def test_sso_login_maps_to_the_account_registered_with_the_same_id_number(sso):
    app, base = sso
    with app.app_context():
        from onewindow_hall.models import CitizenKind, utcnow

        db.session.add(
            Citizen(
                kind=CitizenKind.person,
                name="张三",
                id_number=ID,
                mobile="13900139000",
                mobile_verified=True,
                identity_verified=False,
                active=True,
                created_at=utcnow(),
            )
        )
        db.session.commit()
    _http, page = sign_in(base, "zhangsan")
    assert page.url == f"{base}/hall/account"
    with app.app_context():
        [citizen] = db.session.execute(select(Citizen)).scalars().all()
        assert citizen.identity_verified and citizen.mobile == "13900139000"


def test_sso_login_without_a_verified_id_number_creates_no_account(sso):
    app, base = sso
    _http, page = sign_in(base, "unverified")
    assert page.status_code == 400 and "未确认您的身份证号码" in page.text
    with app.app_context():
        assert db.session.query(Citizen).count() == 0


def test_a_forged_callback_is_refused(sso):
    app, base = sso
    response = requests.get(f"{base}/hall/sso/callback?code=forged&state=forged", timeout=20)
    assert response.status_code == 400 and re.search("拒绝", response.text)


def test_sso_is_off_unless_configured(client):
    assert client.get("/hall/sso/login").status_code == 400
    assert "sso-login" not in client.get("/hall/login").get_data(as_text=True)


def test_sso_issuer_without_the_client_secret_stops_startup(make_app, monkeypatch):
    monkeypatch.delenv("HALL_SSO_CLIENT_SECRET", raising=False)
    with pytest.raises(StartupError, match="HALL_SSO_CLIENT_SECRET"):
        make_app(config={"plugins": {"hall": {"sso_issuer": "http://127.0.0.1:9", "sso_client_id": CLIENT_ID}}})
