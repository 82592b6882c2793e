"""The file store of case materials: the filesystem backend always, S3 against moto's server."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import stat

import pytest

from onewindow.storage import FileStorage, TooLarge, from_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_backend(endpoint: str, bucket: str = "ow-files"):
    settings = {
        "STORAGE_URL": f"s3://{bucket}/centre-a",
        "STORAGE_S3_ENDPOINT_URL": endpoint,
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_ACCESS_KEY_ID": "test",
        "STORAGE_S3_SECRET_ACCESS_KEY": "test",
    }
    backend = from_settings(settings, instance_path=None)
    backend.client.create_bucket(Bucket=bucket)
    return backend


@pytest.fixture(params=["file", "s3"])
def backend(request, tmp_path):
    if request.param == "file":
        return from_settings({"STORAGE_URL": ""}, tmp_path)
    return s3_backend(request.getfixturevalue("s3_server"))


class Trickle(io.RawIOBase):
    """A stream that hands out at most 64 KiB a read and counts the reads (no whole-file read)."""

    def __init__(self, data: bytes):
        self.data, self.pos, self.reads = data, 0, 0

    def readable(self):
        return True

    def read(self, n=-1):
        self.reads += 1
        n = 65536 if n is None or n < 0 else min(n, 65536)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


def test_put_streams_and_hashes_while_streaming(backend):
    data = os.urandom(3 * 1024 * 1024 + 17)
    stream = Trickle(data)
    stored = backend.put(stream)
    assert stream.reads > 40  # many chunks, not one read of the whole
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert backend.exists(stored.key)
    with backend.open(stored.key) as fh:
        assert fh.read() == data
    assert stored.key in set(backend.keys())
    backend.delete(stored.key)
    assert not backend.exists(stored.key)


def test_put_over_the_limit_keeps_nothing(backend):
    before = set(backend.keys())
    with pytest.raises(TooLarge):
        backend.put(io.BytesIO(b"x" * 5000), limit=4096)
    assert set(backend.keys()) == before


def test_filesystem_backend_is_owner_only(tmp_path):
    backend = from_settings({"STORAGE_URL": ""}, tmp_path)
    assert isinstance(backend, FileStorage) and backend.root == tmp_path / "files"
    stored = backend.put(io.BytesIO(b"%PDF-1.4"))
    path = backend.root / stored.key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(backend.root.stat().st_mode) == 0o700


def test_filesystem_backend_refuses_keys_outside_its_folder(tmp_path):
    backend = from_settings({"STORAGE_URL": ""}, tmp_path)
    with pytest.raises(KeyError):
        backend.open("../onewindow.toml")


def test_storage_url_that_is_not_an_address_is_refused(tmp_path):
    from onewindow.errors import StartupError

    with pytest.raises(StartupError, match="STORAGE_URL"):
        from_settings({"STORAGE_URL": "ftp://somewhere"}, tmp_path)
