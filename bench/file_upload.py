"""Benchmark: case files through HTTP against ``cp``, a server worker's memory while a
large file streams, and the e-archive export (issue #16, figures).

    python bench/file_upload.py [--cases 1000] [--files 5] [--mb 2] [--clients 4]
                                [--workers 3] [--threads 1] [--big-mb 100]
                                [--url postgresql+psycopg://…] [--no-archive]

Seeds a fresh database (SQLite in a temporary folder, or a throwaway database on the
PostgreSQL server of ``--url``): the demo organisation and users, a 5-material item, and
``--cases`` accepted cases. Starts the README's production command, ``onewindow serve
--production --workers N`` (gunicorn; ``--workers``/``--threads`` default to the shipped
``SERVE_WORKERS``/``SERVE_THREADS``: 3 sync workers) on the filesystem backend, then:

* ``big``: one ``--big-mb`` MB PDF uploaded through the REST API (multipart, streamed from
  disk); every worker's peak resident memory (``VmHWM``) before and after, the highest
  printed;
* ``cp``: ``cp`` of the same ``--files`` × ``--mb`` MB files per case into a folder per case;
* ``http``: ``--clients`` clients upload them, one file per material of each case
  (``POST /api/v1/cases/<number>/materials/<id>/files``), keep-alive connections;
* ``cp`` again (the two ``cp`` runs bracket the HTTP run on a shared machine);
* ``archive``: every case closed through the engine, then ``archive_many`` builds their
  packages (manifest, notices as PDF, files) in this process, 100 cases at a time, the
  time printed after each hundred: seconds per case.

Prints MB/s of both and their ratio (target: HTTP within 3× of ``cp``), the worker's peak
RSS (target below 200 MB) and the archive time. Asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PERSON, add_bench_item, throwaway_database  # noqa: E402
from http_load import AMR, Server  # noqa: E402

from onewindow.config import DEFAULTS  # noqa: E402

MB = 1024 * 1024


def prepare(url: str, instance: Path, cases: int, files: int) -> tuple[list[str], list[int], dict[str, str]]:
    """Migrate, load the demo, add the item and ``cases`` accepted cases."""
    from onewindow.app import create_app, db
    from onewindow.cases import engine
    from onewindow.cases.models import ApplicantType, MaterialStatus
    from onewindow.models import Department, Staff
    from onewindow.setup import initialise

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    report = initialise(app, demo=True)
    logins = {u: p for u, p, _r in report.logins}
    with app.app_context():
        dept = db.session.query(Department).filter_by(credit_code=AMR).one()
        item = add_bench_item(dept, materials=files)
        db.session.commit()
        materials = [m.id for m in item.materials]
        acceptor = engine.Actor.of(db.session.query(Staff).filter_by(username="acceptor").one())
        statuses = {m: MaterialStatus.submitted for m in materials}
        numbers = [
            engine.accept(engine.Application(item, ApplicantType.person, f"上传{n}", PERSON), acceptor, statuses).number
            for n in range(cases + 1)  # the last one takes the big file
        ]
        db.session.remove()
        db.engine.dispose()
    return numbers, materials, logins


def pdf_file(path: Path, size: int) -> Path:
    """A valid one-page PDF of about ``size`` bytes: the bulk is an image stream of random
    bytes (nothing compresses it) that the page lists but does not draw; written in chunks."""
    head = b"%PDF-1.4\n"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im1 5 0 R>>>>/Contents 4 0 R>>",
        b"<</Length 0>>stream\n\nendstream",
    ]
    bulk = max(size - 1024, 1)
    offsets = []
    with open(path, "wb") as out:
        out.write(head)
        for number, obj in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
        offsets.append(out.tell())
        out.write(b"5 0 obj\n<</Type/XObject/Subtype/Image/Width 1/Height 1/BitsPerComponent 8")
        out.write(b"/ColorSpace/DeviceGray/Length %d>>stream\n" % bulk)
        left = bulk
        while left > 0:
            chunk = os.urandom(min(left, MB))
            out.write(chunk)
            left -= len(chunk)
        out.write(b"\nendstream\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets))
        out.write(b"trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return path


def token(port: int, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = {"username": "acceptor", "password": password, "provider": "db", "refresh": False}
    conn.request("POST", "/api/v1/security/login", body=json.dumps(body), headers={"Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    conn.close()
    return answer["access_token"]


def upload(conn: http.client.HTTPConnection, jwt: str, number: str, material: int, path: Path) -> int:
    """One multipart POST, the file streamed from disk; the status."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size

    def body():
        yield head
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(MB), b""):
                yield chunk
        yield tail

    headers = {
        "Authorization": f"Bearer {jwt}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail)),
    }
    conn.request("POST", f"/api/v1/cases/{number}/materials/{material}/files", body=body(), headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def worker_pids(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == master:
                found.append(int(entry.name))
    return found


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cp_run(files: list[Path], count: int, target: Path) -> float:
    """Seconds for ``cp`` of the files into one folder per case."""
    started = time.perf_counter()
    for n in range(count):
        folder = target / str(n)
        folder.mkdir(parents=True)
        subprocess.run(["cp", *map(str, files), str(folder)], check=True)
    seconds = time.perf_counter() - started
    shutil.rmtree(target)
    return seconds


def http_run(port: int, jwt: str, numbers: list[str], materials: list[int], files: list[Path], clients: int):
    errors: list[int] = []
    queue = list(numbers)
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                if not queue:
                    break
                number = queue.pop()
            for material, path in zip(materials, files):
                status = upload(conn, jwt, number, material, path)
                if status != 200:
                    errors.append(status)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, errors


def close_cases(numbers: list[str]) -> None:
    """Close the cases through the engine (in an app context): approve, hand out, deliver."""
    from onewindow.app import db
    from onewindow.cases import engine
    from onewindow.cases.models import Case
    from onewindow.models import Staff

    def actor(username: str):
        return engine.Actor.of(db.session.query(Staff).filter_by(username=username).one())

    approver, clerk = actor("approver"), actor("output_clerk")
    for number in numbers:
        case = db.session.query(Case).filter_by(number=number).one()
        engine.approve_step(case, case.steps[0].id, approver, "同意")
        engine.hand_to_output(case, approver, "许可证1份")
        engine.deliver_pickup(case, clerk, "张三", PERSON)


def archive_run(url: str, instance: Path, numbers: list[str]) -> tuple[float, int]:
    """Close the cases, then package them as the job does (``archive_many``), printing the
    time every 100 cases (a long run on a shared machine can be read before it ends)."""
    from onewindow.app import create_app, db
    from onewindow.cases.archive import archive_many
    from onewindow.cases.models import Case

    app = create_app({"DATABASE_URL": url}, instance_path=instance)
    with app.app_context():
        close_cases(numbers)
        made = 0
        started = time.perf_counter()
        for start in range(0, len(numbers), 100):
            cases = db.session.query(Case).filter(Case.number.in_(numbers[start : start + 100])).order_by(Case.id).all()
            made += len(archive_many(cases))
            db.session.expunge_all()
            seconds = time.perf_counter() - started
            print(f"  archive: {made} cases in {seconds:.1f} s ({seconds / made:.2f} s a case)", flush=True)
        db.session.remove()
        db.engine.dispose()
    return seconds, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--mb", type=float, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--big-mb", type=int, default=100)
    parser.add_argument("--workers", type=int, default=DEFAULTS["SERVE_WORKERS"], help="server processes")
    parser.add_argument("--threads", type=int, default=DEFAULTS["SERVE_THREADS"], help="threads a process")
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--no-archive", action="store_true", help="skip the archive phase (upload and memory only)")
    args = parser.parse_args()

    url, drop = throwaway_database(args.url)
    work = Path(tempfile.mkdtemp(prefix="ow-bench-files-"))
    instance = work / "instance"
    # the big file and the case total must fit the limits of the server under test
    os.environ["ONEWINDOW_FILE_MAX_MB"] = str(max(20, args.big_mb + 10))
    os.environ["ONEWINDOW_CASE_FILES_MAX_MB"] = str(max(200, args.big_mb + 10, int(args.files * args.mb) + 10))
    try:
        numbers, materials, logins = prepare(url, instance, args.cases, args.files)
        files = [pdf_file(work / f"材料{i + 1}.pdf", int(args.mb * MB)) for i in range(args.files)]
        big = pdf_file(work / "大文件.pdf", args.big_mb * MB)
        os.environ["ONEWINDOW_SERVE_THREADS"] = str(args.threads)
        onewindow = Path(sys.executable).parent / "onewindow"
        command = f"{onewindow} --instance {{instance}} serve --production --port {{port}} --workers {args.workers}"
        server = Server(SimpleNamespace(server="command", server_cmd=command), url, instance)
        try:
            jwt = token(server.port, logins["acceptor"])
            workers = worker_pids(server.popen.pid)
            before = max(peak_rss_mb(w) for w in workers)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            started = time.perf_counter()
            status = upload(conn, jwt, numbers[-1], materials[0], big)
            big_seconds = time.perf_counter() - started
            conn.close()
            after = max(peak_rss_mb(w) for w in workers)
            print(f"database: {url.split(':')[0]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            print(f"server: {command.format(instance='…', port=server.port)}, {args.threads} thread(s) a worker")
            rss = f"highest worker peak RSS {before:.0f} → {after:.0f} MB ({len(workers)} workers)"
            print(f"big file: {args.big_mb} MB in {big_seconds:.1f} s (HTTP {status}); {rss}", flush=True)
            total_mb = args.cases * args.files * args.mb
            cp1 = cp_run(files, args.cases, work / "cp1")
            http_seconds, errors = http_run(server.port, jwt, numbers[:-1], materials, files, args.clients)
            cp2 = cp_run(files, args.cases, work / "cp2")
        finally:
            server.stop()
        cp_seconds = (cp1 + cp2) / 2
        print(f"upload: {args.cases} cases × {args.files} files × {args.mb:g} MB = {total_mb:.0f} MB")
        print(f"  cp:   {total_mb / cp_seconds:8.1f} MB/s ({cp1:.1f} s, {cp2:.1f} s)")
        clients = f"{http_seconds:.1f} s, {args.clients} clients, errors {len(errors)}"
        print(f"  http: {total_mb / http_seconds:8.1f} MB/s ({clients})")
        print(f"  http / cp time: {http_seconds / cp_seconds:.2f}× (target ≤ 3×)", flush=True)
        print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)
        if args.no_archive:
            return
        archive_seconds, archived = archive_run(url, instance, numbers[:-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        drop()

    per_case = archive_seconds / max(archived, 1)
    print(f"archive: {archived} closed cases in {archive_seconds:.1f} s ({per_case:.2f} s a case)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
