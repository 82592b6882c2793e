"""Keyed audit (issue #21 item 3): signed checkpoints of every case's chain head.

Someone with database access only can rewrite a case's timeline and recompute every
hash: the unkeyed chain then verifies. The checkpoint, signed with an SM2 key kept
outside the database, does not.
"""

import datetime as dt
import json
import os
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from onewindow.app import db
from onewindow.cases import engine
from onewindow.cases.audit import verify_all
from onewindow.cases.checkpoints import (
    AuditCheckpoint,
    AuditKeyError,
    ensure_key,
    key_path,
    leaf,
    merkle_root,
    take_checkpoint,
    verify_checkpoints,
)
from onewindow.cases.clock import travel_to
from onewindow.cases.core import GENESIS, event_digest
from onewindow.cases.models import ApplicantType, Case, CaseEvent, Channel, MaterialStatus
from onewindow.cli import cli
from onewindow.licences import crypto
from onewindow.models.items import Item

PERSON = "440304200002291236"


@pytest.fixture
def ctx(app):
    with app.app_context():
        ensure_key(app)
        yield app


def _case(item_id, acceptor, approver):
    item = db.session.get(Item, item_id)
    application = engine.Application(
        item=item,
        applicant_type=ApplicantType.person,
        applicant_name="张三",
        applicant_id=PERSON,
        channel=Channel.window,
    )
    with travel_to(dt.date(2026, 11, 23)):
        case = engine.accept(application, acceptor, {m.id: MaterialStatus.submitted for m in item.materials})
        engine.approve_step(case, case.steps[0].id, approver, "同意")
    return case


def _rewrite_with_recomputed_hashes(case_id: int, seq: int, reason: str) -> None:
    """What an attacker with database access only does: change an event, then recompute
    the hash of it and of every later event, and the head kept on the case row."""
    number = db.session.scalar(select(Case.number).where(Case.id == case_id))
    db.session.execute(
        text("UPDATE ow_case_event SET reason = :r WHERE case_id = :c AND seq = :s"),
        {"r": reason, "c": case_id, "s": seq},
    )
    db.session.commit()
    db.session.expire_all()
    previous = GENESIS
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)):
        event.prev_hash = previous
        digest = event_digest(number, event)
        db.session.execute(
            text("UPDATE ow_case_event SET prev_hash = :p, hash = :h WHERE id = :i"),
            {"p": previous, "h": digest, "i": event.id},
        )
        previous = digest
    db.session.execute(text("UPDATE ow_case SET chain_hash = :h WHERE id = :c"), {"h": previous, "c": case_id})
    db.session.commit()
    db.session.expire_all()


def test_rewrite_with_recomputed_hashes_passes_the_chain_but_fails_the_signed_checkpoint(ctx, make_item, actor):
    first = _case(make_item(), actor("acceptor"), actor("approver"))
    second = _case(make_item(), actor("acceptor"), actor("approver"))
    checkpoint = take_checkpoint(db.session)
    db.session.commit()
    assert checkpoint.case_count == 2 and verify_checkpoints(db.session) == (1, [])

    _rewrite_with_recomputed_hashes(first.id, 2, "不同意")

    assert verify_all() == (2, [])  # the unkeyed chain alone is fooled
    checked, problems = verify_checkpoints(db.session)
    assert checked == 1 and len(problems) == 1
    assert problems[0].case_number == first.number and "改写" in problems[0].problem
    assert second.number not in str(problems)


def test_rewriting_the_stored_heads_too_breaks_the_signature_of_the_root(ctx, make_item, actor):
    case = _case(make_item(), actor("acceptor"), actor("approver"))
    take_checkpoint(db.session)
    db.session.commit()
    _rewrite_with_recomputed_hashes(case.id, 2, "不同意")
    head = db.session.scalar(select(Case.chain_hash).where(Case.id == case.id))
    db.session.execute(text("UPDATE ow_audit_checkpoint_head SET hash = :h"), {"h": head})
    db.session.commit()
    _checked, problems = verify_checkpoints(db.session)
    assert len(problems) == 1 and "默克尔根" in problems[0].problem
    # …and re-signing needs the private key, which is not in the database: a new root
    # written into the row fails the SM2 signature
    root = merkle_root([leaf(case.id, 3, head)])
    db.session.execute(text("UPDATE ow_audit_checkpoint SET root = :r"), {"r": root})
    db.session.commit()
    _checked, problems = verify_checkpoints(db.session)
    assert len(problems) == 1 and "签名验证失败" in problems[0].problem


def test_a_checkpoint_signed_by_another_key_is_reported(ctx, make_item, actor):
    _case(make_item(), actor("acceptor"), actor("approver"))
    take_checkpoint(db.session)
    db.session.commit()
    private_hex, public_hex = crypto.generate_keypair()  # the attacker's own key
    cp = db.session.scalar(select(AuditCheckpoint))
    signature = crypto.sign(private_hex, public_hex, crypto.canonical_bytes(cp.signed_document()))
    db.session.execute(
        text("UPDATE ow_audit_checkpoint SET signature = :s, key_fingerprint = :f"),
        {"s": signature, "f": crypto.fingerprint(public_hex)},
    )
    db.session.commit()
    _checked, problems = verify_checkpoints(db.session)
    assert len(problems) == 1 and "另一把密钥" in problems[0].problem


def test_a_deleted_case_is_reported_by_the_checkpoint(ctx, make_item, actor):
    case = _case(make_item(), actor("acceptor"), actor("approver"))
    take_checkpoint(db.session)
    db.session.commit()
    for table in ("ow_case_event", "ow_case_step", "ow_case_material"):
        db.session.execute(text(f"DELETE FROM {table} WHERE case_id = :c"), {"c": case.id})
    db.session.execute(text("DELETE FROM ow_case WHERE id = :c"), {"c": case.id})
    db.session.commit()
    _checked, problems = verify_checkpoints(db.session)
    assert [p.case_number for p in problems] == [case.number] and "删除" in problems[0].problem


def test_checkpoint_is_refused_over_a_broken_chain(ctx, make_item, actor):
    case = _case(make_item(), actor("acceptor"), actor("approver"))
    db.session.execute(text("UPDATE ow_case_event SET reason = 'x' WHERE case_id = :c AND seq = 2"), {"c": case.id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(Exception, match="检查点从不为断裂的链签名"):
        take_checkpoint(db.session)


def test_key_file_is_created_mode_600_outside_the_database(ctx):
    path = key_path()
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text())["public_key"]
    assert str(path).startswith(ctx.instance_path)  # the instance folder, not a database row


def test_a_lost_key_is_not_silently_replaced_once_checkpoints_exist(ctx, make_item, actor):
    path = key_path()
    path.unlink()
    take_checkpoint(db.session)  # no checkpoint yet: the first one creates the key
    db.session.commit()
    assert path.exists()
    path.unlink()
    with pytest.raises(AuditKeyError, match="restore that key file"):
        take_checkpoint(db.session)
    assert not path.exists()


def test_hsm_key_reference_is_refused_with_a_clear_message(make_app):
    app = make_app(config={"AUDIT_KEY_FILE": "pkcs11:token=onewindow"})
    with app.app_context(), pytest.raises(AuditKeyError, match="not supported yet"):
        key_path()


def test_cli_checkpoint_verify_and_export_for_a_notary(ctx, make_item, actor, ow_database, tmp_path):
    case = _case(make_item(), actor("acceptor"), actor("approver"))
    env = {"ONEWINDOW_DATABASE_URL": ow_database, "ONEWINDOW_INSTANCE": ctx.instance_path}
    taken = CliRunner().invoke(cli, ["audit", "checkpoint"], env=env)
    assert taken.exit_code == 0, taken.output
    assert "1 case(s)" in taken.output
    ok = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    assert ok.exit_code == 0 and "checked 1 signed checkpoint(s): OK" in ok.output, ok.output
    out = tmp_path / "checkpoints.json"
    exported = CliRunner().invoke(cli, ["audit", "export-checkpoints", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    notary = json.loads(out.read_text(encoding="utf-8"))
    entry = notary["checkpoints"][0]
    signed = {k: entry[k] for k in notary["signed_fields"]}
    assert crypto.verify(notary["public_key"], crypto.canonical_bytes(signed), entry["signature"])
    _rewrite_with_recomputed_hashes(case.id, 1, "改写")
    broken = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    assert broken.exit_code == 1 and case.number in broken.output and "1 problem(s)" in broken.output


def test_daily_checkpoint_job_is_registered(app):
    from onewindow.scheduling.registry import collect_jobs

    jobs = {j.id: j for j in collect_jobs(app.extensions["onewindow"].plugins)}
    assert jobs["audit.checkpoint"].trigger == "cron"
    assert jobs["audit.checkpoint"].ref == "onewindow.cases.checkpoints:checkpoint_job"
