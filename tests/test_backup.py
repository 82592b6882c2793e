"""Backups (issue #21 item 8): `onewindow backup` and `onewindow restore`, round trip.

The archive holds the database (SQLite backup API / pg_dump), the instance files and
the keys, with SHA-256 hashes; restore refuses a damaged archive and a database that
is not empty, and verifies what it restored (file hashes, audit verify).
"""

import datetime as dt
import io
import json
import tarfile
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, make_url, text

from onewindow.app import db
from onewindow.backup import pg_tool
from onewindow.cases import engine
from onewindow.cases.checkpoints import ensure_key, take_checkpoint
from onewindow.cases.clock import travel_to
from onewindow.cases.models import ApplicantType, Channel, MaterialStatus
from onewindow.cli import cli
from onewindow.models.items import Item
from onewindow.testing import database_fingerprint


@pytest.fixture
def source(app, make_item, actor, ow_database, tmp_path):
    """A database with a case, a signed checkpoint and an uploaded file in the instance."""
    with app.app_context():
        ensure_key(app)
        item = db.session.get(Item, make_item())
        application = engine.Application(
            item=item,
            applicant_type=ApplicantType.person,
            applicant_name="张三",
            applicant_id="440304200002291236",
            channel=Channel.window,
        )
        with travel_to(dt.date(2026, 11, 23)):
            engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})
        take_checkpoint(db.session)
        db.session.commit()
        db.session.remove()
    upload = tmp_path / "instance" / "uploads" / "材料.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("营业执照副本", encoding="utf-8")
    return {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": str(tmp_path / "instance")}


@pytest.fixture
def empty_target(ow_database, tmp_path):
    """An empty database of the same kind, and its instance folder."""
    instance = tmp_path / "restored"
    if ow_database.startswith("sqlite"):
        yield {"ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'restored.db'}", "ONEWINDOW_INSTANCE": str(instance)}
        return
    name = f"ow_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ow_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ow_database).set(database=name).render_as_string(hide_password=False)
    try:
        yield {"ONEWINDOW_DATABASE_URL": url, "ONEWINDOW_INSTANCE": str(instance)}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _run(args, env):
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_backup_then_restore_round_trip_gives_the_same_database_files_and_keys(source, empty_target, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    made = _run(["backup", str(archive)], source)
    assert made.exit_code == 0, made.output
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # it holds keys
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert {"instance/uploads/材料.txt", "instance/audit-sm2.key", "instance/secret_key"} <= set(manifest["files"])
    assert (
        "database.sqlite" if source["ONEWINDOW_DATABASE_URL"].startswith("sqlite") else "database.pgdump"
    ) in manifest["files"]

    restored = _run(["restore", str(archive)], empty_target)
    assert restored.exit_code == 0, restored.output
    assert "file hashes and audit verify OK" in restored.output
    assert database_fingerprint(empty_target["ONEWINDOW_DATABASE_URL"]) == database_fingerprint(
        source["ONEWINDOW_DATABASE_URL"]
    )
    instance = tmp_path / "restored"
    assert (instance / "uploads" / "材料.txt").read_text(encoding="utf-8") == "营业执照副本"
    assert (instance / "audit-sm2.key").read_bytes() == (tmp_path / "instance" / "audit-sm2.key").read_bytes()
    verified = _run(["audit", "verify", "--checkpoints", "0"], empty_target)
    assert verified.exit_code == 0 and "checked 1 signed checkpoint(s): OK" in verified.output, verified.output


def test_restore_refuses_a_database_that_is_not_empty_without_force(source, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert _run(["backup", str(archive)], source).exit_code == 0
    before = database_fingerprint(source["ONEWINDOW_DATABASE_URL"])
    refused = _run(["restore", str(archive)], source)
    assert refused.exit_code == 1 and "refuses to overwrite" in refused.output and "--force" in refused.output
    assert database_fingerprint(source["ONEWINDOW_DATABASE_URL"]) == before
    forced = _run(["restore", "--force", str(archive)], source)
    assert forced.exit_code == 0, forced.output
    assert database_fingerprint(source["ONEWINDOW_DATABASE_URL"]) == before


def test_a_damaged_archive_is_refused_before_anything_is_written(source, empty_target, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert _run(["backup", str(archive)], source).exit_code == 0
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(archive) as tar, tarfile.open(altered, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name == "instance/uploads/材料.txt":
                data = "伪造的副本".encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    refused = _run(["restore", str(altered)], empty_target)
    assert refused.exit_code == 1 and "instance/uploads/材料.txt does not match its SHA-256" in refused.output
    assert not (tmp_path / "restored" / "uploads").exists()


def test_pg_dump_is_found_even_when_not_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert pg_tool("pg_dump").endswith("/bin/pg_dump")
