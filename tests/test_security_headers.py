"""Headers, file modes and public throttling (issue #21): no clickjacking or content-security
headers, a world-readable SQLite file, and 100 wrong progress codes in 0.6 s."""

import re
import stat

import pytest

from onewindow.app import create_app, db
from onewindow.setup import initialise

PAGES = ["/login/", "/progress", "/api/v1/public/progress/X?code=Y", "/departmentview/list/"]


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(client, login, path):
    login(client, "admin")
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'", csp)
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "no-referrer"}
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored or wrong


def test_hsts_when_the_request_is_https(client):
    headers = client.get("/login/", base_url="https://onewindow.example").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_progress_page_keeps_its_no_referrer_policy(client):
    assert client.get("/progress").headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/login/", "/", "/users/list/", "/loginlockoutview/list/", "/swagger/v1"])
def test_every_inline_script_carries_the_pages_nonce(client, login, path):
    if path != "/login/":
        login(client, "admin")
    response = client.get(path)
    assert response.status_code == 200 and "html" in response.content_type
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script\b([^>]*)>", response.get_data(as_text=True))
    assert scripts
    for attributes in scripts:
        if "src=" in attributes:
            assert re.search(r'src="/', attributes), attributes  # the platform's own files only
        else:
            assert f'nonce="{nonce}"' in attributes, attributes
    assert not re.search(r"\son(click|load|change|submit)=", response.get_data(as_text=True))


# --- file modes -------------------------------------------------------------------


def test_a_new_instance_folder_is_owner_only(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"TESTING": True}, instance_path=instance)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("create table t (x integer)")
            conn.exec_driver_sql("insert into t values (1)")
        wal = [p for p in instance.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert _mode(instance) == 0o700
        assert _mode(instance / "secret_key") == 0o600
        assert _mode(instance / "onewindow.db") == 0o600
        assert wal and all(_mode(p) == 0o600 for p in wal)
        db.session.remove()
        db.engine.dispose()


def test_init_tightens_an_existing_instance_folder(app):
    from pathlib import Path

    instance = Path(app.instance_path)
    instance.mkdir(exist_ok=True)
    (instance / "uploads").mkdir(exist_ok=True)
    loose = [instance / "secret_key", instance / "seal.key", instance / "uploads" / "scan.pdf"]
    for path in loose:
        path.touch(exist_ok=True)
        path.chmod(0o644)
    instance.chmod(0o755)
    (instance / "uploads").chmod(0o755)
    report = initialise(app)
    assert _mode(instance) == 0o700 and _mode(instance / "uploads") == 0o700
    assert all(_mode(p) == 0o600 for p in loose)
    assert "owner-only" in report.summary()


# --- public lookups ---------------------------------------------------------------


def test_100_wrong_progress_codes_get_429(client):
    answers = [
        client.get(f"/progress/1136992110234560831234567890120261123{n:04d}?code=WRONG{n}").status_code
        for n in range(100)
    ]
    assert answers.count(404) == 30 and answers[-1] == 429
    page = client.get("/progress/X?code=Y")
    assert page.status_code == 429 and "请求过于频繁" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) > 0


def test_the_progress_api_is_throttled_with_a_json_answer(client):
    for _ in range(30):
        client.get("/api/v1/public/progress/X?code=Y")
    response = client.get("/api/v1/public/progress/X?code=Y")
    assert response.status_code == 429 and "请求过于频繁" in response.get_json()["message"]


def test_licence_verification_is_throttled_per_address(client):
    answers = [client.get(f"/licences/verify/1.2.156.3005.2.11.{n}").status_code for n in range(40)]
    assert 429 in answers and answers[-1] == 429
    assert client.get("/licences/verify/x", environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code != 429


def test_the_public_limit_is_configurable(make_app):
    client = make_app(config={"PUBLIC_LOOKUP_RATE_LIMIT": "2 per minute"}).test_client()
    assert [client.get("/progress/X?code=Y").status_code for _ in range(3)] == [404, 404, 429]


def test_an_uploaded_pack_is_owner_only(app, client, login, tmp_path):
    import shutil
    from pathlib import Path

    from onewindow.demo import DEMO_DIR
    from tests.test_catalogue_screens import zipped

    login(client, "admin")
    pack = tmp_path / "upload" / "demo-county"
    shutil.copytree(DEMO_DIR, pack)
    page = client.post(
        "/packs/upload/", data={"archive": (zipped(pack), "pack.zip")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "apply-pack" in page
    uploads = Path(app.instance_path) / "pack-uploads"
    files = [p for p in uploads.rglob("*") if p.is_file()]
    assert files and all(_mode(p) == 0o600 for p in files)
    assert all(_mode(p) == 0o700 for p in [uploads, *(p for p in uploads.rglob("*") if p.is_dir())])
