"""Files on case materials (电子材料): adding is a transition, bad input stores nothing,
the hash chain covers the files, and a failed transition leaves no orphan."""

from __future__ import annotations

import io
import os
import time

import pytest

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.materialfiles import ACTION, FileRefused, Upload, add_material_files, sweep, verify_files
from onewindow.cases.models import ApplicantType, CaseMaterialFile, Channel, MaterialStatus
from onewindow.models.items import Item
from onewindow.storage import storage
from tests.test_storage import s3_server  # noqa: F401  (moto's S3 server, started once per module)

PERSON = "440304200002291236"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200


def pdf(body: bytes = b"", pages: int = 1) -> bytes:
    """A valid PDF of ``pages`` blank A4 pages sharing one content stream, ``body``
    (padding, a marker that makes the file differ)."""
    kids = " ".join(f"{3 + n} 0 R" for n in range(pages)).encode()
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[%s]/Count %d>>" % (kids, pages)]
    objects += [b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents %d 0 R>>" % (3 + pages)] * pages
    objects.append(b"<</Length %d>>stream\n%s\nendstream" % (len(body), body))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = pdf(b" " * 300)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def case(ctx, make_item, actor):
    item_id = make_item()
    item = db.session.get(Item, item_id)
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name="张三",
        applicant_id=PERSON,
        channel=Channel.window,
    )
    return engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})


def up(name: str, data: bytes) -> Upload:
    return Upload(name, io.BytesIO(data))


def stored_keys() -> set[str]:
    return set(storage().keys())


def first_material(case):
    return case.materials[0]


def test_adding_files_is_a_transition_whose_event_carries_each_sha256(case, actor):
    entry = first_material(case)
    rows = add_material_files(
        case, actor("acceptor"), entry.material_id, [up("身份证.png", PNG), up("申请书.pdf", PDF)], "window"
    )
    assert [r.media_type for r in rows] == ["image/png", "application/pdf"]
    assert [r.original_name for r in rows] == ["身份证.png", "申请书.pdf"]
    db.session.expire_all()
    assert rows[0].added_by == "acceptor" and rows[0].added_at.tzinfo is not None
    event = case.events[-1]
    assert event.action == ACTION
    assert [f["sha256"] for f in event.payload["files"]] == [r.sha256 for r in rows]
    assert db.session.query(CaseMaterialFile).count() == 2
    assert stored_keys() == {r.storage_key for r in rows}
    with storage().open(rows[0].storage_key) as fh:
        assert fh.read() == PNG


def run_cli(app, database, *args):
    from click.testing import CliRunner

    from onewindow.cli import cli

    env = {"ONEWINDOW_DATABASE_URL": database, "ONEWINDOW_INSTANCE": app.instance_path}
    return CliRunner().invoke(cli, list(args), env=env)


def test_audit_verify_detects_a_stored_file_changed_afterwards(case, actor, app, ow_database):
    entry = first_material(case)
    (row,) = add_material_files(case, actor("acceptor"), entry.material_id, [up("申请书.pdf", PDF)])
    assert verify_files(db.session, storage()) == (1, [])
    path = storage().root / row.storage_key
    path.write_bytes(PDF.replace(b"1.4", b"1.5"))
    checked, problems = verify_files(db.session, storage())
    assert checked == 1 and "文件被修改" in str(problems[0]) and "申请书.pdf" in str(problems[0])
    result = run_cli(app, ow_database, "audit", "verify")
    assert result.exit_code == 1 and "文件被修改" in result.output, result.output


def refused(case, actor, uploads, match):
    entry = first_material(case)
    events = len(case.events)
    with pytest.raises(FileRefused, match=match) as info:
        add_material_files(case, actor("acceptor"), entry.material_id, uploads)
    assert entry.name in str(info.value)  # names the material
    assert stored_keys() == set(), "nothing stored"
    assert db.session.query(CaseMaterialFile).count() == 0
    db.session.expire_all()
    assert len(case.events) == events
    return str(info.value)


def test_type_not_allowed_is_detected_by_content_not_by_name(case, actor):
    message = refused(case, actor, [up("good.png", PNG), up("扫描.pdf", b"MZ\x90\x00" + b"\x00" * 100)], "类型")
    assert "扫描.pdf" in message


def test_file_over_the_size_limit_is_refused(case, actor, app):
    app.extensions["onewindow"].settings["FILE_MAX_MB"] = 1
    refused(case, actor, [up("大.pdf", pdf(b" " * (1024 * 1024 + 10)))], "超过单个文件上限 1 MB")


def test_files_over_the_case_limit_are_refused(case, actor, app):
    app.extensions["onewindow"].settings["CASE_FILES_MAX_MB"] = 1
    big = pdf(b" " * (600 * 1024))
    refused(case, actor, [up("一.pdf", big), up("二.pdf", big)], "文件总量超过 1 MB")


def test_empty_file_is_refused(case, actor):
    assert "空.pdf" in refused(case, actor, [up("空.pdf", b"")], "空文件")


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_is_refused(case, actor):
    refused(case, actor, [up("加密.pdf", encrypted_pdf())], "加密")


def test_a_pdf_with_encrypt_in_its_content_is_not_taken_for_encrypted(case, actor):
    entry = first_material(case)
    (row,) = add_material_files(case, actor("acceptor"), entry.material_id, [up("扫描.pdf", pdf(b"(/Encrypt) Tj"))])
    assert row.page_count == 1


def test_the_page_count_of_every_pdf_is_recorded(case, actor):
    entry = first_material(case)
    rows = add_material_files(
        case, actor("acceptor"), entry.material_id, [up("三页.pdf", pdf(pages=3)), up("照片.png", PNG)]
    )
    db.session.expire_all()
    assert [(r.original_name, r.page_count) for r in rows] == [("三页.pdf", 3), ("照片.png", None)]


@pytest.mark.parametrize(
    "body", [b"%PDF-1.4\n1 0 obj<<>>", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", pdf(pages=0)]
)
def test_broken_pdf_is_refused(case, actor, body):
    refused(case, actor, [up("坏.pdf", body)], "损坏")


@pytest.mark.parametrize("name", ["../etc/passwd.pdf", "C:\\scan\\a.pdf", "a\x00b.pdf", "bad\nname.pdf", ""])
def test_name_with_path_parts_or_control_characters_is_refused(case, actor, name):
    refused(case, actor, [up(name, PDF)], "文件名")


def test_too_many_files_at_once_are_refused(case, actor, app):
    app.extensions["onewindow"].settings["FILES_PER_UPLOAD_MAX"] = 2
    refused(case, actor, [up(f"{i}.pdf", PDF) for i in range(3)], "超过上限 2 个")


#: A plugin refusing every file whose name starts with "virus" (an antivirus finding).
ANTIVIRUS = (
    "from onewindow.plugins import hookimpl\n"
    "@hookimpl\n"
    "def material_file_added(case, material, file):\n"
    "    if file.original_name.startswith('virus'):\n"
    "        return '病毒扫描发现 EICAR 测试特征'\n"
)


def test_a_plugin_can_refuse_a_file_through_material_file_added(make_app, make_item, actor, throwaway_plugin):
    plugin = throwaway_plugin(ANTIVIRUS)
    app = make_app(plugins=[("antivirus", plugin)])
    with app.app_context():
        item = db.session.get(Item, make_item())
        application = engine.Application(
            item=item, applicant_type=ApplicantType.person, applicant_name="张三", applicant_id=PERSON
        )
        case = engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})
        refused(case, actor, [up("ok.pdf", PDF), up("virus.pdf", pdf(b"EICAR"))], "病毒扫描")


def test_a_failed_commit_deletes_the_written_files(case, actor, monkeypatch):
    import onewindow.cases.materialfiles as mf

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(mf, "transition", boom)
    with pytest.raises(RuntimeError):
        add_material_files(case, actor("acceptor"), first_material(case).material_id, [up("a.pdf", PDF)])
    assert stored_keys() == set()


def test_storage_sweep_removes_orphans_only(case, actor, app, ow_database):
    (kept,) = add_material_files(case, actor("acceptor"), first_material(case).material_id, [up("a.pdf", PDF)])
    orphan = storage().put(io.BytesIO(b"left behind"))
    assert sweep(db.session, storage(), apply=False) == [], "younger than SWEEP_MIN_AGE_MINUTES: spared"
    hours_ago = time.time() - 7200
    os.utime(storage().root / orphan.key, (hours_ago, hours_ago))
    assert sweep(db.session, storage(), apply=False) == [orphan.key]
    result = run_cli(app, ow_database, "storage", "sweep")
    assert result.exit_code == 0 and "1 orphan" in result.output, result.output
    assert stored_keys() == {kept.storage_key}


# --- the screens and the API ---------------------------------------------------


def test_staff_view_a_file_inline_with_its_type_and_nosniff(case, actor, app, login):
    (row,) = add_material_files(case, actor("acceptor"), first_material(case).material_id, [up("申请书.pdf", PDF)])
    client = app.test_client()
    login(client, "approver")
    answer = client.get(f"/caseview/file/{case.id}/{row.id}")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith("inline")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.data == PDF
    page = client.get(f"/caseview/show/{case.id}").get_data(as_text=True)
    assert "申请书.pdf" in page and f"/caseview/file/{case.id}/{row.id}" in page


def test_a_guessed_file_id_answers_404_and_the_public_never_gets_a_file(case, actor, app, login):
    (row,) = add_material_files(case, actor("acceptor"), first_material(case).material_id, [up("申请书.pdf", PDF)])
    anonymous = app.test_client()
    assert anonymous.get(f"/caseview/file/{case.id}/{row.id}").status_code in (302, 401, 403, 404)
    assert PDF not in anonymous.get(f"/caseview/file/{case.id}/{row.id}", follow_redirects=True).data
    client = app.test_client()
    login(client, "approver")
    assert client.get(f"/caseview/file/{case.id}/{row.id + 1}").status_code == 404
    assert client.get(f"/caseview/file/{case.id + 999}/{row.id}").status_code == 404


def test_upload_on_the_case_page_adds_several_files_to_one_material(case, app, login):
    client = app.test_client()
    login(client, "acceptor")
    entry = first_material(case)
    answer = client.post(
        f"/caseview/upload/{case.id}/{entry.material_id}",
        data={"files": [(io.BytesIO(PNG), "照片.png"), (io.BytesIO(PDF), "补正.pdf")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    assert sorted(f.original_name for f in db.session.query(CaseMaterialFile)) == ["照片.png", "补正.pdf"]


def upload_endpoint(case, app, demo_logins):
    """A test client, the REST upload URL of the case's first material and the acceptor's JWT header."""
    client = app.test_client()
    token = client.post(
        "/api/v1/security/login",
        json={"username": "acceptor", "password": demo_logins["acceptor"], "provider": "db", "refresh": False},
    ).json["access_token"]
    entry = first_material(case)
    url = f"/api/v1/cases/{case.number}/materials/{entry.material_id}/files"
    return client, url, {"Authorization": f"Bearer {token}"}


def test_rest_multipart_upload_goes_through_the_same_transition(case, app, demo_logins):
    client, url, headers = upload_endpoint(case, app, demo_logins)
    ok = client.post(url, data={"files": [(io.BytesIO(PDF), "a.pdf")]}, headers=headers)
    assert ok.status_code == 200, ok.json
    assert ok.json["new_events"][-1]["action"] == ACTION
    (row,) = db.session.query(CaseMaterialFile).all()
    assert row.channel.name == "api"
    bad = client.post(url, data={"files": [(io.BytesIO(b""), "空.pdf")]}, headers=headers)
    assert bad.status_code == 422 and "空.pdf" in bad.json["message"]
    assert db.session.query(CaseMaterialFile).count() == 1


def test_the_workbench_takes_several_files_per_material_at_acceptance(ctx, app, make_item, login):
    from onewindow.cases.models import Case
    from onewindow.models.org import Window

    item = db.session.get(Item, make_item())
    a01 = db.session.query(Window).filter_by(code="A01").one()
    form = {
        "applicant_type": "person",
        "applicant_name": "张三",
        "applicant_id": PERSON,
        "channel": "window",
        "outcome": "accept",
        "window_id": str(a01.id),
    }
    form.update({f"m{m.id}": "submitted" for m in item.materials})
    first = item.materials[0]
    form[f"files{first.id}"] = [(io.BytesIO(PNG), "正面.png"), (io.BytesIO(PNG + b"back"), "反面.png")]
    client = app.test_client()
    login(client, "acceptor")
    answer = client.post(f"/workbench/new/{item.id}", data=form, content_type="multipart/form-data")
    assert answer.status_code == 302
    case = db.session.query(Case).one()
    entry = next(m for m in case.materials if m.material_id == first.id)
    assert sorted(f.original_name for f in entry.files) == ["反面.png", "正面.png"]
    assert {f.channel.name for f in entry.files} == {"window"}


def test_the_same_flow_on_the_s3_backend(make_app, make_item, actor, s3_server):
    """Add, view, verify and sweep against moto's local S3-compatible server."""
    import boto3

    config = {
        "STORAGE_URL": "s3://ow-case-files/centre",
        "STORAGE_S3_ENDPOINT_URL": s3_server,
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_ACCESS_KEY_ID": "test",
        "STORAGE_S3_SECRET_ACCESS_KEY": "test",
    }
    app = make_app(config=config)
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket="ow-case-files")
    with app.app_context():
        item = db.session.get(Item, make_item())
        application = engine.Application(
            item=item, applicant_type=ApplicantType.person, applicant_name="张三", applicant_id=PERSON
        )
        case = engine.accept(application, actor("acceptor"), {m.id: MaterialStatus.submitted for m in item.materials})
        entry = first_material(case)
        (row,) = add_material_files(case, actor("acceptor"), entry.material_id, [up("申请书.pdf", PDF)])
        with pytest.raises(FileRefused):
            add_material_files(case, actor("acceptor"), entry.material_id, [up("空.pdf", b"")])
        assert stored_keys() == {row.storage_key}
        assert verify_files(db.session, storage()) == (1, [])
        client.put_object(Bucket="ow-case-files", Key=f"centre/{row.storage_key}", Body=b"%PDF-1.4 altered %%EOF")
        assert "文件被修改" in str(verify_files(db.session, storage())[1][0])
        storage().put(io.BytesIO(b"orphan"))
        assert sweep(db.session, storage()) == [], "younger than the age guard (S3 LastModified)"
        assert len(sweep(db.session, storage(), min_age_minutes=0)) == 1
        assert stored_keys() == {row.storage_key}


def test_the_same_file_uploaded_twice_on_a_material_is_one_file(case, actor):
    entry = first_material(case)
    (first,) = add_material_files(case, actor("acceptor"), entry.material_id, [up("申请书.pdf", PDF)])
    events = len(case.events)
    again = add_material_files(
        case, actor("acceptor"), entry.material_id, [up("申请书-重传.pdf", PDF), up("b.png", PNG)]
    )
    assert again[0].id == first.id and again[1].original_name == "b.png"
    assert add_material_files(case, actor("acceptor"), entry.material_id, [up("申请书.pdf", PDF)]) == [first]
    db.session.expire_all()
    assert db.session.query(CaseMaterialFile).count() == 2
    assert len(stored_keys()) == 2, "the duplicate's bytes are not kept"
    assert len(case.events) == events + 1, "a repeat alone records nothing"


def test_inline_images_carry_the_viewers_watermark_when_configured(case, actor, app, login):
    from PIL import Image

    source = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(source, format="PNG")
    png = source.getvalue()
    (row,) = add_material_files(case, actor("acceptor"), first_material(case).material_id, [up("照片.png", png)])
    client = app.test_client()
    login(client, "approver")
    url = f"/caseview/file/{case.id}/{row.id}"
    assert client.get(url).data == png, "off by default: the file as stored"
    app.extensions["onewindow"].settings["FILE_WATERMARK"] = True
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    marked = Image.open(io.BytesIO(answer.data)).convert("RGB")
    assert marked.size == (400, 300)
    assert any(pixel != (255, 255, 255) for pixel in marked.getdata()), "the watermark is drawn"
    with storage().open(row.storage_key) as fh:
        assert fh.read() == png, "the stored file is unchanged"


def pdf_text(data: bytes, tmp_path) -> str:
    """The text of a PDF in drawing order, whitespace removed (the watermark is drawn at an
    angle: pdftotext gives it a character a line, in order with ``-raw``)."""
    import subprocess

    path = tmp_path / "served.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


def test_inline_pdfs_carry_the_viewers_name_and_the_stored_bytes_stay(case, actor, app, login, tmp_path):
    import hashlib

    from pypdf import PdfReader

    source = pdf(b"BT /F1 12 Tf 72 720 Td (scan) Tj ET", pages=2)
    (row,) = add_material_files(case, actor("acceptor"), first_material(case).material_id, [up("申请书.pdf", source)])
    app.extensions["onewindow"].settings["FILE_WATERMARK"] = True
    client = app.test_client()
    login(client, "approver")
    answer = client.get(f"/caseview/file/{case.id}/{row.id}")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith("inline")
    assert int(answer.headers["Content-Length"]) == len(answer.data)
    assert answer.data != source and len(PdfReader(io.BytesIO(answer.data)).pages) == 2
    text = pdf_text(answer.data, tmp_path)
    assert "李审批员（approver）" in text, text[:300]  # the demo approver, in Chinese
    assert text.count("李审批员（approver）") >= 4, "tiled across both pages"
    with storage().open(row.storage_key) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == row.sha256 == hashlib.sha256(source).hexdigest()
    assert verify_files(db.session, storage()) == (1, []), "the stored file is unchanged"


def test_a_user_who_may_not_see_the_case_gets_404_for_its_watermarked_pdf(case, actor, app, login):
    (row,) = add_material_files(case, actor("acceptor"), first_material(case).material_id, [up("申请书.pdf", PDF)])
    app.extensions["onewindow"].settings["FILE_WATERMARK"] = True
    client = app.test_client()
    login(client, "approver_re")  # 不动产登记中心: not the case's department
    answer = client.get(f"/caseview/file/{case.id}/{row.id}")
    assert answer.status_code == 404 and b"%PDF" not in answer.data


def test_the_watermark_names_the_viewer_and_the_time_in_shanghai():
    import datetime as dt

    from onewindow.cases.files_web import watermark_text

    moment = dt.datetime(2026, 12, 2, 1, 30, tzinfo=dt.timezone.utc)
    assert watermark_text("approver", moment) == "approver 2026-12-02 09:30"


def test_a_large_upload_is_stored_as_sent_and_leaves_nothing_in_the_incoming_folder(case, app, demo_logins):
    """Files over 500 KB are received straight into the store (``storage.incoming``): the
    stored bytes and SHA-256 are the upload's, and neither a stored nor a refused upload
    leaves a file behind in ``.incoming``."""
    import hashlib

    from onewindow.storage import INCOMING

    client, url, headers = upload_endpoint(case, app, demo_logins)
    body = pdf(os.urandom(1536 * 1024).hex().encode()[: 1536 * 1024])  # a 1.5 MB PDF
    ok = client.post(url, data={"files": [(io.BytesIO(body), "大扫描件.pdf")]}, headers=headers)
    assert ok.status_code == 200, ok.json
    (row,) = db.session.query(CaseMaterialFile).all()
    assert row.size == len(body) and row.sha256 == hashlib.sha256(body).hexdigest()
    with storage().open(row.storage_key) as stored:
        assert stored.read() == body
    incoming = storage().root / INCOMING
    assert not list(incoming.glob("*"))
    bad = client.post(url, data={"files": [(io.BytesIO(b"MZ" + b"\0" * (700 * 1024)), "病毒.pdf")]}, headers=headers)
    assert bad.status_code == 422 and "病毒.pdf" in bad.json["message"]
    assert db.session.query(CaseMaterialFile).count() == 1 and not list(incoming.glob("*"))
