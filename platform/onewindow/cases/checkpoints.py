"""Keyed audit checkpoints (审计签名检查点): the hash chain of every case, signed.

The event hash chain (:mod:`onewindow.cases.audit`) shows any edit that was not
followed by recomputing the hashes; someone who can write the database can recompute
them. A checkpoint closes that gap for the past: it records the head (last ``seq`` and
its hash) of every case, computes a Merkle root over the heads sorted by case id and
signs it with SM2 (SM3 digest) under a key held **outside** the database
(``AUDIT_KEY_FILE``). ``onewindow audit verify`` then checks that the stored heads
still give the signed root and that every case's timeline still reaches that head:
a rewrite with recomputed hashes changes the head of the rewritten case.

The Merkle tree uses SHA-256 like the chain itself (millions of leaves; ``gmssl``'s SM3
is pure Python); the signature is SM2-with-SM3 (:mod:`onewindow.licences.crypto`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from flask import current_app
from flask_appbuilder import Model
from flask_babel import gettext
from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.errors import ValidationError
from onewindow.licences import crypto

FORMAT = "onewindow-audit-checkpoint/1"
KEY_FORMAT = "onewindow-audit-key/1"
DEFAULT_KEY_FILE = "audit-sm2.key"
#: Prefixes of hardware key references; only key files are supported today.
HSM_PREFIXES = ("pkcs11:", "hsm:")


class AuditKeyError(ValidationError):
    """The checkpoint key is missing, unreadable or not the key that signed a checkpoint."""


class AuditCheckpoint(Model):
    """One signed checkpoint: the Merkle root of every case's chain head at ``created_at``."""

    __tablename__ = "ow_audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    case_count: Mapped[int] = mapped_column(Integer, nullable=False)
    root: Mapped[str] = mapped_column(String(64), nullable=False)
    algorithm: Mapped[str] = mapped_column(String(20), nullable=False, default=crypto.ALGORITHM)
    signature: Mapped[str] = mapped_column(String(128), nullable=False)
    key_fingerprint: Mapped[str] = mapped_column(String(16), nullable=False)

    def signed_document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "case_count": self.case_count,
            "root": self.root,
        }

    def exported(self) -> dict[str, Any]:
        return {
            **self.signed_document(),
            "id": self.id,
            "algorithm": self.algorithm,
            "signature": self.signature,
            "key_fingerprint": self.key_fingerprint,
        }


class AuditCheckpointHead(Model):
    """The head of one case's chain as a checkpoint signed it (a leaf of its Merkle tree)."""

    __tablename__ = "ow_audit_checkpoint_head"

    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("ow_audit_checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no FK: a deleted case must show
    case_number: Mapped[str] = mapped_column(String(43), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


# --- the key, outside the database ---------------------------------------------------


@dataclass(frozen=True)
class AuditKey:
    path: Path
    private_key: str
    public_key: str

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(self.public_key)


def key_path(app=None) -> Path:
    app = app or current_app
    configured = app.extensions["onewindow"].settings.get("AUDIT_KEY_FILE")
    if configured and str(configured).startswith(HSM_PREFIXES):
        raise AuditKeyError(
            f"AUDIT_KEY_FILE = {configured!r}: hardware security modules are not supported yet; "
            "give the path of a key file (created by `onewindow init`)"
        )
    return Path(configured) if configured else Path(app.instance_path) / DEFAULT_KEY_FILE


def ensure_key(app=None) -> tuple[Path, bool]:
    """Create the SM2 checkpoint key file (mode 600) when absent: (path, created)."""
    path = key_path(app)
    if path.exists():
        load_key(app)  # a damaged file is reported now, not at the first checkpoint
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    private_hex, public_hex = crypto.generate_keypair()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(
            {"format": KEY_FORMAT, "algorithm": crypto.ALGORITHM, "private_key": private_hex, "public_key": public_hex},
            fh,
        )
    return path, True


def load_key(app=None) -> AuditKey:
    path = key_path(app)
    if not path.exists():
        raise AuditKeyError(
            f"{path}: the audit checkpoint key does not exist; run `onewindow init` to create it, "
            "or set AUDIT_KEY_FILE to the key file"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        private_hex, public_hex = raw["private_key"], raw["public_key"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuditKeyError(
            f"{path}: not an audit checkpoint key file ({type(exc).__name__}: {exc}); "
            "restore it from the backup of the keys"
        ) from None
    problem = crypto.public_key_problem(public_hex)
    if problem:
        raise AuditKeyError(f"{path}: {problem}")
    return AuditKey(path, private_hex, public_hex)


def checkpoint_key(session) -> AuditKey:
    """The signing key; created on a first checkpoint (like ``onewindow init`` does), but a
    missing key after checkpoints were signed is refused: a new key would hide the loss."""
    if not key_path().exists():
        signed = session.execute(select(AuditCheckpoint.key_fingerprint).limit(1)).scalar()
        if signed:
            raise AuditKeyError(
                f"{key_path()}: the audit checkpoint key is missing, but checkpoints signed by key "
                f"{signed} exist; restore that key file from the backup of the keys "
                "(or point AUDIT_KEY_FILE at it)"
            )
        ensure_key()
    return load_key()


# --- Merkle root ----------------------------------------------------------------------


def leaf(case_id: int, seq: int, head: str) -> bytes:
    return hashlib.sha256(b"\x00" + f"{case_id}:{seq}:{head}".encode()).digest()


def merkle_root(leaves: Iterable[bytes]) -> str:
    """Root over leaves in the given order (0x00 leaf / 0x01 node prefixes; an odd node moves up)."""
    level = list(leaves)
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


# --- taking and checking checkpoints --------------------------------------------------


def take_checkpoint(session, key: AuditKey | None = None) -> AuditCheckpoint:
    """Verify every chain, then sign the heads of every case; refused when a chain is broken."""
    from onewindow.cases.audit import verify_all
    from onewindow.cases.models import Case

    key = key or checkpoint_key(session)
    _checked, broken = verify_all()
    if broken:
        raise ValidationError(
            gettext(
                "checkpoint refused: %(count)s broken link(s), first: %(first)s; "
                "a checkpoint never signs a broken chain — investigate with `onewindow audit verify`",
                count=len(broken),
                first=broken[0],
            )
        )
    heads = session.execute(
        select(Case.id, Case.number, Case.chain_seq, Case.chain_hash).where(Case.chain_seq > 0).order_by(Case.id)
    ).all()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    checkpoint = AuditCheckpoint(
        created_at=now,
        case_count=len(heads),
        root=merkle_root(leaf(i, s, h) for i, _n, s, h in heads),
        algorithm=crypto.ALGORITHM,
        key_fingerprint=key.fingerprint,
        signature="",
    )
    checkpoint.signature = crypto.sign(
        key.private_key, key.public_key, crypto.canonical_bytes(checkpoint.signed_document())
    )
    session.add(checkpoint)
    session.flush()
    if heads:
        session.execute(
            AuditCheckpointHead.__table__.insert(),
            [
                {"checkpoint_id": checkpoint.id, "case_id": i, "case_number": n, "seq": s, "hash": h}
                for i, n, s, h in heads
            ],
        )
    return checkpoint


def checkpoint_job() -> None:
    """Scheduler entry point (``register_jobs``): take the daily checkpoint and commit."""
    from onewindow.app import db

    take_checkpoint(db.session)
    db.session.commit()


@dataclass
class CheckpointProblem:
    checkpoint_id: int
    problem: str
    case_number: str | None = None

    def __str__(self) -> str:
        where = f"办件 {self.case_number}: " if self.case_number else ""
        return f"检查点 #{self.checkpoint_id}: {where}{self.problem}"


def verify_checkpoint(session, checkpoint: AuditCheckpoint, key: AuditKey) -> list[CheckpointProblem]:
    """Problems of one checkpoint: signature, root over its heads, and every case still at its head."""
    from onewindow.cases.models import Case, CaseEvent

    cid = checkpoint.id
    if checkpoint.key_fingerprint != key.fingerprint:
        return [
            CheckpointProblem(
                cid,
                f"由另一把密钥（指纹 {checkpoint.key_fingerprint}）签名，"
                f"当前密钥指纹为 {key.fingerprint}（检查点记录被替换，或密钥已更换）",
            )
        ]
    if not crypto.verify(key.public_key, crypto.canonical_bytes(checkpoint.signed_document()), checkpoint.signature):
        return [CheckpointProblem(cid, "SM2 签名验证失败（检查点记录被篡改）")]
    heads = (
        session.execute(
            select(AuditCheckpointHead)
            .where(AuditCheckpointHead.checkpoint_id == cid)
            .order_by(AuditCheckpointHead.case_id)
        )
        .scalars()
        .all()
    )
    if (
        len(heads) != checkpoint.case_count
        or merkle_root(leaf(h.case_id, h.seq, h.hash) for h in heads) != checkpoint.root
    ):
        return [CheckpointProblem(cid, "保存的各办件链头与已签名的默克尔根不符（链头记录被篡改）")]
    problems = []
    current = dict(
        session.execute(
            select(CaseEvent.case_id, CaseEvent.hash)
            .join(
                AuditCheckpointHead,
                (AuditCheckpointHead.case_id == CaseEvent.case_id) & (AuditCheckpointHead.seq == CaseEvent.seq),
            )
            .where(AuditCheckpointHead.checkpoint_id == cid)
        ).all()
    )
    cases = {
        i
        for (i,) in session.execute(
            select(Case.id)
            .join(AuditCheckpointHead, AuditCheckpointHead.case_id == Case.id)
            .where(AuditCheckpointHead.checkpoint_id == cid)
        )
    }
    for head in heads:
        if head.case_id not in cases:
            problems.append(CheckpointProblem(cid, "办件已被删除", head.case_number))
        elif current.get(head.case_id) != head.hash:
            problems.append(
                CheckpointProblem(
                    cid, f"事件 #{head.seq} 的哈希与签名时不同（检查点之前的时间线被改写）", head.case_number
                )
            )
    return problems


def verify_checkpoints(session, last: int = 1) -> tuple[int, list[CheckpointProblem]]:
    """(checkpoints checked, problems) for the ``last`` checkpoints (0: all)."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())
    if last:
        query = query.limit(last)
    checkpoints = session.execute(query).scalars().all()
    if not checkpoints:
        return 0, []
    key = load_key()
    problems = []
    for checkpoint in checkpoints:
        problems += verify_checkpoint(session, checkpoint, key)
    return len(checkpoints), problems


def export_checkpoints(session) -> dict[str, Any]:
    """Every checkpoint with the public key, for an external notary (JSON)."""
    key = load_key()
    rows = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars().all()
    return {
        "format": "onewindow-audit-checkpoints/1",
        "algorithm": crypto.ALGORITHM,
        "user_id": crypto.DEFAULT_USER_ID.decode(),
        "public_key": key.public_key,
        "key_fingerprint": key.fingerprint,
        "signed_fields": ["format", "created_at", "case_count", "root"],
        "serialisation": "JSON, keys sorted, no whitespace, UTF-8",
        "checkpoints": [c.exported() for c in rows],
    }
