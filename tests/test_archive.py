"""E-archive (电子归档) and retention (保管期限): a closed case gets one package — manifest,
notices as PDF, every file — that verifies offline and detects a changed file, a removed
file and a changed manifest; files past retention are purged, the package and an event stay."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
import zipfile

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.archive import ArchiveError, archive_case, archive_closed, verify_package
from onewindow.cases.clock import travel_to
from onewindow.cases.materialfiles import Upload, add_material_files, sweep, verify_files
from onewindow.cases.models import ApplicantType, CaseArchive, CaseMaterialFile, Channel, MaterialStatus
from onewindow.cases.retention import expired, purge
from onewindow.models.items import Item
from onewindow.storage import storage
from tests.test_material_files import PDF
from tests.test_storage import s3_server  # noqa: F401  (moto's S3 server, once per module)

PERSON = "440304200002291236"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def open_case(make_item, actor, **item):
    item_id = make_item(**item)
    it = db.session.get(Item, item_id)
    application = engine.Application(
        item=it, applicant_type=ApplicantType.person, applicant_name="张三", applicant_id=PERSON, channel=Channel.window
    )
    case = engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in it.materials})
    add_material_files(
        case,
        actor("acceptor"),
        case.materials[0].material_id,
        [Upload("身份证.png", io.BytesIO(PNG)), Upload("申请书.pdf", io.BytesIO(PDF))],
    )
    return case


@pytest.fixture
def closed(ctx, make_item, actor):
    with travel_to(dt.datetime(2026, 11, 23, 10, 0)):
        case = open_case(make_item, actor)
        engine.withdraw(case, actor("acceptor"), "申请人书面申请撤回")
    return case


def package_of(case, tmp_path):
    from onewindow.cases.archive import export

    return export(case, tmp_path)


def rewrite(path, change):
    """Copy the zip entry by entry, letting ``change(name, data)`` return new bytes or None (drop)."""
    with zipfile.ZipFile(path) as zf:
        entries = [(i.filename, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            data = change(name, data)
            if data is not None:
                zf.writestr(name, data)


def test_a_closed_case_gets_a_package_with_manifest_notices_and_every_file(closed, tmp_path):
    record = archive_case(closed)
    path = package_of(closed, tmp_path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(f"{closed.number}/manifest.json"))
    assert path.name == f"{closed.number}.zip"
    assert manifest["case"]["number"] == closed.number and manifest["item"]["name"]
    files = manifest["materials"][0]["files"]
    assert [f["name"] for f in files] == ["身份证.png", "申请书.pdf"]
    assert all(f["path"] in names and len(f["sha256"]) == 64 for f in files)
    assert manifest["notices"] and all(n["path"].endswith(".pdf") and n["path"] in names for n in manifest["notices"])
    assert [e["hash"] for e in manifest["events"]] == [e.hash for e in closed.events[:-1]]
    assert closed.events[-1].action == "archive" and closed.events[-1].payload["sha256"] == record.sha256
    report = verify_package(path)
    assert report.problems == [] and report.files == 2 and report.events == len(manifest["events"])


def test_archiving_twice_gives_the_same_one_package(closed):
    first = archive_case(closed)
    assert archive_case(closed).id == first.id
    assert db.session.query(CaseArchive).count() == 1


def test_an_open_case_is_not_archived(ctx, make_item, actor):
    case = open_case(make_item, actor)
    with pytest.raises(ArchiveError, match="尚未办结"):
        archive_case(case)
    assert archive_closed() == []


def test_verify_detects_a_changed_file(closed, tmp_path):
    path = package_of(closed, tmp_path)
    rewrite(path, lambda name, data: data + b"x" if name.endswith("身份证.png") else data)
    problems = verify_package(path).problems
    assert any("身份证.png" in p and "文件被修改" in p for p in problems), problems


def test_verify_detects_a_removed_file(closed, tmp_path):
    path = package_of(closed, tmp_path)
    rewrite(path, lambda name, data: None if name.endswith("申请书.pdf") else data)
    problems = verify_package(path).problems
    assert any("缺少文件" in p and "申请书.pdf" in p for p in problems), problems


def test_verify_detects_a_changed_manifest(closed, tmp_path):
    path = package_of(closed, tmp_path)
    rewrite(
        path, lambda name, data: data.replace("张三".encode(), "李四".encode()) if "manifest.json" in name else data
    )
    problems = verify_package(path).problems
    assert any("清单被修改" in p for p in problems), problems


def test_verify_detects_an_event_changed_with_a_re_signed_manifest(closed, tmp_path, app):
    """Even a re-signed manifest (a forger with the key) cannot hide an edited event."""
    import hashlib

    from onewindow.cases.checkpoints import load_key
    from onewindow.licences import crypto

    path = package_of(closed, tmp_path)
    key = load_key()
    root = closed.number

    def forge(name, data):
        if name == f"{root}/manifest.json":
            manifest = json.loads(data)
            manifest["events"][0]["actor"] = "someone-else"
            forge.body = json.dumps(manifest, ensure_ascii=False).encode()
            return forge.body
        if name == f"{root}/manifest.sig.json":
            sig = json.loads(data)
            digest = hashlib.sha256(forge.body).hexdigest()
            sig["manifest_sha256"] = digest
            sig["signature"] = crypto.sign(key.private_key, key.public_key, digest.encode())
            return json.dumps(sig).encode()
        return data

    rewrite(path, forge)
    problems = verify_package(path, public_key=key.public_key).problems
    assert any("事件被修改" in p for p in problems), problems


def test_archive_cli_exports_and_verifies_offline(closed, app, ow_database, tmp_path):
    from click.testing import CliRunner

    from onewindow.cli import cli

    env = {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": app.instance_path}
    db.session.commit()
    out = CliRunner().invoke(
        cli, ["archive", "export", "--closed-since", "2026-11-01", "--out", str(tmp_path)], env=env
    )
    assert out.exit_code == 0, out.output
    package = tmp_path / f"{closed.number}.zip"
    ok = CliRunner().invoke(cli, ["archive", "verify", str(package)], env=env)
    assert ok.exit_code == 0 and "OK" in ok.output, ok.output
    rewrite(package, lambda name, data: None if name.endswith("身份证.png") else data)
    bad = CliRunner().invoke(cli, ["archive", "verify", str(package)], env=env)
    assert bad.exit_code == 1 and "缺少文件" in bad.output, bad.output


# --- retention ------------------------------------------------------------------------


def test_files_past_retention_are_listed_and_purged_leaving_the_package_and_an_event(closed, app):
    keys = {f.storage_key for f in closed.materials[0].files}
    archive_case(closed)
    assert expired(dt.datetime(2030, 1, 1)) == [], "kept 30 years by default"
    (entry,) = expired(dt.datetime(2056, 11, 24))
    assert entry.years == 30 and len(entry.files) == 2 and entry.archive is not None
    purge(entry)
    db.session.expire_all()
    assert all(f.purged_at is not None for f in closed.materials[0].files)
    assert not keys & set(storage().keys()), "the bytes are gone"
    record = db.session.query(CaseArchive).one()
    assert storage().exists(record.storage_key), "the package stays"
    event = closed.events[-1]
    assert event.action == "retention_purge" and event.payload["archive_sha256"] == record.sha256
    assert verify_files(db.session, storage())[1] == [], "purged files are not reported missing"
    assert expired(dt.datetime(2056, 11, 24)) == []


def test_an_item_declares_its_own_retention(ctx, make_item, actor):
    with travel_to(dt.datetime(2026, 11, 23, 10, 0)):
        case = open_case(make_item, actor)
        engine.withdraw(case, actor("acceptor"), "撤回")
    case.item.retention_years = 2
    db.session.commit()
    (entry,) = expired(dt.datetime(2028, 11, 24))
    assert entry.years == 2 and entry.archive is None, "not archived yet: listed, not purgeable"
    with pytest.raises(ValueError, match="尚无归档包"):
        purge(entry)


def test_a_file_reused_by_a_later_case_keeps_its_bytes_when_the_first_case_is_purged(closed, actor):
    from onewindow.cases.reuse import reuse_material_files

    source = closed.materials[0].files[0]
    later = open_case_for(closed, actor)
    reuse_material_files(later, actor("acceptor"), later.materials[0].material_id, [source.id])
    archive_case(closed)
    (entry,) = [e for e in expired(dt.datetime(2056, 11, 24)) if e.case.id == closed.id]
    deleted = purge(entry)
    assert source.storage_key not in deleted and storage().exists(source.storage_key)


def open_case_for(case, actor):
    application = engine.Application(
        item=case.item, applicant_type=ApplicantType.person, applicant_name="张三", applicant_id=PERSON
    )
    return engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in case.item.materials})


def test_retention_cli_lists_then_applies(closed, app, ow_database):
    from click.testing import CliRunner

    from onewindow.cli import cli

    archive_case(closed)
    closed.item.retention_years = 0  # 0 years: past retention at once
    db.session.commit()
    env = {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": app.instance_path}
    listed = CliRunner().invoke(cli, ["archive", "retention"], env=env)
    assert listed.exit_code == 0 and closed.number in listed.output and "dry run" in listed.output, listed.output
    assert db.session.query(CaseMaterialFile).filter(CaseMaterialFile.purged_at.is_not(None)).count() == 0
    applied = CliRunner().invoke(cli, ["archive", "retention", "--apply"], env=env)
    assert applied.exit_code == 0 and "purged 2 file(s)" in applied.output, applied.output


# --- the sweep's age guard --------------------------------------------------------------


def test_sweep_never_removes_a_file_younger_than_the_age_guard(ctx, app):
    young = storage().put(io.BytesIO(b"being uploaded"))
    old = storage().put(io.BytesIO(b"left behind"))
    two_hours_ago = time.time() - 7200
    os.utime(storage().root / old.key, (two_hours_ago, two_hours_ago))
    assert sweep(db.session, storage(), apply=True) == [old.key]
    assert storage().exists(young.key) and not storage().exists(old.key)


def test_a_pack_item_declares_retention_years_and_the_install_records_it(app, tmp_path):
    from onewindow.catalogue.install import install
    from onewindow.catalogue.packs import load_pack
    from tests.test_packs_install import ESTABLISH, copy_demo, edit_items

    pack_dir = copy_demo(tmp_path, version="1.1.0")

    def change(items):
        establish = next(it for it in items if it["basic_code"] == ESTABLISH)
        establish["retention_years"] = 10
        establish["change"] = {"action": "change", "reason": "档案馆通知：设立登记材料保管10年"}

    edit_items(pack_dir, "items/enterprise.yaml", change)
    with app.app_context():
        install(load_pack(pack_dir), app, db.session, "admin")
        current = db.session.query(Item).filter_by(basic_code=ESTABLISH, is_current=True).one()
        assert current.retention_years == 10 and current.version == 2
        others = db.session.query(Item).filter(Item.is_current.is_(True), Item.basic_code != ESTABLISH)
        assert {i.retention_years for i in others} == {None} and {i.version for i in others} == {1}


def test_a_retention_that_is_not_a_number_of_years_is_refused_by_the_pack_schema(app, tmp_path):
    from tests.test_packs_install import copy_demo, edit_items
    from tests.test_packs_validation import problems

    pack_dir = copy_demo(tmp_path, version="1.1.0")
    edit_items(pack_dir, "items/enterprise.yaml", lambda items: items[0].update(retention_years="永久"))
    found = problems(app, pack_dir)
    assert any("retention_years" in line for line in found), found


def test_the_same_flow_on_the_s3_backend_archives_and_verifies(make_app, make_item, actor, s3_server, tmp_path):
    """Upload, a correction file, close, archive into S3 (moto's local server), export, verify."""
    import boto3

    from tests.test_browser_archive import close

    config = {
        "STORAGE_URL": "s3://ow-archive/centre",
        "STORAGE_S3_ENDPOINT_URL": s3_server,
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_ACCESS_KEY_ID": "test",
        "STORAGE_S3_SECRET_ACCESS_KEY": "test",
    }
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket="ow-archive")
    app = make_app(config=config)
    with app.app_context():
        case = open_case(make_item, actor)
        add_material_files(
            case, actor("acceptor"), case.materials[0].material_id, [Upload("补正页.pdf", io.BytesIO(PDF + b" "))]
        )
        close(case, actor)
        (record,) = archive_closed()
        stored = {o["Key"] for o in client.list_objects_v2(Bucket="ow-archive")["Contents"]}
        assert f"centre/{record.storage_key}" in stored
        package = package_of(case, tmp_path)
        assert sweep(db.session, storage(), min_age_minutes=0) == [], "the package is not an orphan"
    report = verify_package(package)
    assert report.problems == [] and report.files == 3, report.problems


def test_a_case_with_a_missing_file_is_reported_and_does_not_hold_back_the_others(ctx, make_item, actor):
    with travel_to(dt.datetime(2026, 11, 23, 10, 0)):
        broken = open_case(make_item, actor)
        engine.withdraw(broken, actor("acceptor"), "撤回")
        fine = open_case(make_item, actor)
        engine.withdraw(fine, actor("acceptor"), "撤回")
    storage().delete(broken.materials[0].files[0].storage_key)
    problems: list[str] = []
    made = archive_closed(problems=problems)
    assert [r.case_id for r in made] == [fine.id]
    assert len(problems) == 1 and broken.number in problems[0] and "缺失" in problems[0]
    with pytest.raises(ArchiveError, match="缺失"):
        archive_closed()
    assert db.session.query(CaseArchive).count() == 1, "no half package for the broken case"
