"""File storage (文件存储) for case materials: one interface, two backends.

``put(stream)`` streams the bytes to the backend in chunks, computing the SHA-256 and
the size on the way (a file is never read whole into memory) and returns a
:class:`Stored` with the new key; ``open(key)`` streams them back; ``delete(key)`` and
``exists(key)`` complete it; ``keys()`` lists every stored key and ``modified_at(key)``
tells when it was written (for the orphan sweep).

An upload can be written straight into the filesystem store as it arrives: the app's
request parser (:mod:`onewindow.storage.incoming`) writes each large multipart file into an
:class:`Incoming` file in ``<root>/.incoming/``, hashing it on the way; ``put`` of that
file then renames it to its key instead of copying it (one write of the bytes, not three).
An incoming file nobody stored is deleted when the request closes it.

* ``file``: a folder (default ``<instance>/files``), folders 0700 and files 0600 as the
  rest of the instance. Nothing to set up.
* ``s3``: S3-compatible object storage through boto3 (``STORAGE_URL = "s3://bucket/prefix"``,
  ``STORAGE_S3_ENDPOINT_URL``, credentials from the config or boto3's own environment).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Callable, Iterator, Protocol
from urllib.parse import urlparse

from onewindow.auth.files import FILE_MODE, private_folder
from onewindow.errors import StartupError

CHUNK = 1024 * 1024
#: the first bytes an :class:`Incoming` file keeps for the observer (type detection by content)
HEAD = 64 * 1024
INCOMING = ".incoming"


class TooLarge(Exception):
    """The stream went over the limit given to ``put``; nothing is kept."""


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str


#: Called with each chunk as it streams (content checks that must see the whole file).
ChunkObserver = Callable[[bytes], None]


class Storage(Protocol):
    def put(self, stream: IO[bytes], *, limit: int | None = None, observe: ChunkObserver | None = None) -> Stored: ...

    def open(self, key: str) -> IO[bytes]: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self) -> Iterator[str]: ...

    def modified_at(self, key: str) -> dt.datetime: ...


def new_key() -> str:
    """A random key, spread over 256 folders; it says nothing about the case or the file."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}"


class _Hashing:
    """Wraps a stream: counts, hashes and observes what is read through it, enforces the limit."""

    def __init__(self, stream: IO[bytes], limit: int | None, observe: ChunkObserver | None):
        self.stream, self.limit, self.observe = stream, limit, observe
        self.size = 0
        self.digest = hashlib.sha256()

    def read(self, n: int = CHUNK) -> bytes:
        # fill the request (a short read would look like the end to boto3's uploader)
        want = n if n and n > 0 else CHUNK
        parts = []
        while want > 0:
            part = self.stream.read(want)
            if not part:
                break
            parts.append(part)
            want -= len(part)
        chunk = b"".join(parts)
        if chunk:
            self.size += len(chunk)
            if self.limit is not None and self.size > self.limit:
                raise TooLarge(self.size)
            self.digest.update(chunk)
            if self.observe:
                self.observe(chunk)
        return chunk


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    with stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Incoming:
    """A file being received straight into the store's ``.incoming`` folder: written once,
    hashed and counted as it is written, readable as a file. ``FileStorage.put`` of it
    renames it to a key (it is "taken"); closed without that, it is deleted."""

    def __init__(self, folder: Path):
        private_folder(folder.parent)
        private_folder(folder)
        self.path = folder / secrets.token_hex(16)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        self.file = os.fdopen(fd, "w+b")
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.taken = False
        self.read_from = False

    def write(self, data: bytes) -> int:
        if len(self.head) < HEAD:
            self.head += bytes(data[: HEAD - len(self.head)])
        self.digest.update(data)
        self.size += len(data)
        return self.file.write(data)

    def read(self, n: int = -1) -> bytes:
        self.read_from = True
        return self.file.read(n)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self.file.flush()

    @property
    def closed(self) -> bool:
        return self.file.closed

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()
        if not self.taken:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> "Incoming":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        return iter(partial(self.read, CHUNK), b"")

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing more to do
            pass


class FileStorage:
    def __init__(self, root: Path):
        self.root = Path(root)

    def incoming(self) -> Incoming:
        """A new file for bytes arriving now (see :class:`Incoming`)."""
        return Incoming(self.root / INCOMING)

    def _adopt(self, stream: Incoming, limit: int | None, observe: ChunkObserver | None) -> Stored:
        """Store an incoming file by renaming it: its size, hash and head were taken as it was written."""
        if limit is not None and stream.size > limit:
            raise TooLarge(stream.size)
        if observe and stream.head:
            observe(stream.head)
        key = new_key()
        path = self._path(key)
        private_folder(path.parent)
        stream.file.flush()
        os.rename(stream.path, path)
        stream.taken = True
        stream.file.close()
        return Stored(key, stream.size, stream.digest.hexdigest())

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise KeyError(key)
        return path

    def put(self, stream: IO[bytes], *, limit: int | None = None, observe: ChunkObserver | None = None) -> Stored:
        """Store the bytes of ``stream``; an :class:`Incoming` file of this store, not read
        from yet, is renamed into place (``observe`` then sees its first ``HEAD`` bytes once)."""
        if isinstance(stream, Incoming) and not stream.taken and not stream.read_from and self.owns(stream):
            return self._adopt(stream, limit, observe)
        key = new_key()
        path = self._path(key)
        private_folder(self.root)
        private_folder(path.parent)
        reader = _Hashing(stream, limit, observe)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(reader.read, b""):
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Stored(key, reader.size, reader.digest.hexdigest())

    def open(self, key: str) -> IO[bytes]:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def modified_at(self, key: str) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._path(key).stat().st_mtime, dt.timezone.utc)

    def owns(self, stream: Incoming) -> bool:
        return stream.path.parent == self.root / INCOMING

    def keys(self) -> Iterator[str]:
        """Every stored key, and files left in ``.incoming`` by a crash mid-upload (the sweep removes them)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*/*")):
            if path.is_file():
                yield path.relative_to(self.root).as_posix()


class S3Storage:
    def __init__(self, bucket: str, prefix: str, client):
        self.bucket, self.prefix, self.client = bucket, prefix.strip("/"), client

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, stream: IO[bytes], *, limit: int | None = None, observe: ChunkObserver | None = None) -> Stored:
        from boto3.s3.transfer import TransferConfig

        key = new_key()
        reader = _Hashing(stream, limit, observe)
        # one thread: the chunks are hashed in the order they are read
        config = TransferConfig(use_threads=False, multipart_chunksize=8 * CHUNK)
        try:
            self.client.upload_fileobj(reader, self.bucket, self._name(key), Config=config)
        except BaseException:
            self.delete(key)
            raise
        return Stored(key, reader.size, reader.digest.hexdigest())

    def open(self, key: str) -> IO[bytes]:
        return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def modified_at(self, key: str) -> dt.datetime:
        return self.client.head_object(Bucket=self.bucket, Key=self._name(key))["LastModified"]

    def keys(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            for obj in page.get("Contents", []):
                yield obj["Key"][len(start) :]


class _Lent:
    """A spooled file lent out by ``SpooledStorage.open``: closing it leaves the spool open."""

    def __init__(self, spool: IO[bytes]):
        self.spool = spool

    def __getattr__(self, name: str):
        return getattr(self.spool, name)

    def close(self) -> None:
        pass

    def __enter__(self) -> "_Lent":
        return self

    def __exit__(self, *exc) -> None:
        pass


class SpooledStorage:
    """Bytes held in spooled temporary files (in memory up to ``CHUNK``, then on disk) while
    uploads are checked before there is anything to store them for (an online application
    checks its files before its case exists). ``take(key)`` hands the file over."""

    def __init__(self) -> None:
        self.files: dict[str, IO[bytes]] = {}

    def put(self, stream: IO[bytes], *, limit: int | None = None, observe: ChunkObserver | None = None) -> Stored:
        key = new_key()
        reader = _Hashing(stream, limit, observe)
        spool = tempfile.SpooledTemporaryFile(max_size=CHUNK)
        try:
            for chunk in iter(reader.read, b""):
                spool.write(chunk)
        except BaseException:
            spool.close()
            raise
        self.files[key] = spool  # type: ignore[assignment]
        return Stored(key, reader.size, reader.digest.hexdigest())

    def open(self, key: str) -> IO[bytes]:
        spool = self.files[key]
        spool.seek(0)
        return _Lent(spool)  # type: ignore[return-value]

    def take(self, key: str) -> IO[bytes]:
        spool = self.files.pop(key)
        spool.seek(0)
        return spool

    def delete(self, key: str) -> None:
        spool = self.files.pop(key, None)
        if spool is not None:
            spool.close()


def from_settings(settings: dict, instance_path: Path) -> Storage:
    """The backend the configuration names (``STORAGE_URL``; empty: ``<instance>/files``)."""
    url = settings.get("STORAGE_URL") or ""
    if not url:
        return FileStorage(Path(instance_path) / "files")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return FileStorage(Path(parsed.path))
    if parsed.scheme == "s3" and parsed.netloc:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=settings.get("STORAGE_S3_ENDPOINT_URL") or None,
            region_name=settings.get("STORAGE_S3_REGION") or None,
            aws_access_key_id=settings.get("STORAGE_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=settings.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
        )
        return S3Storage(parsed.netloc, parsed.path, client)
    raise StartupError(
        f"STORAGE_URL {url!r}: not a storage address; use file:///absolute/folder or s3://bucket/prefix "
        "(empty: the instance folder's files/)"
    )


def storage() -> Storage:
    """The app's storage backend (built once per app)."""
    from flask import current_app

    ext = current_app.extensions["onewindow"]
    backend = getattr(ext, "storage", None)
    if backend is None:
        backend = from_settings(ext.settings, Path(current_app.instance_path))
        ext.storage = backend
    return backend
