"""The schema comes from migrations only, and the migrations equal the models."""

import pytest
from sqlalchemy import inspect

from onewindow.app import create_app, db
from onewindow.migrate import current_heads, pending_diff, upgrade


def test_migrated_schema_has_no_pending_autogenerate_diff(app):
    assert pending_diff(app) == []


def test_database_is_at_every_head(app):
    applied, heads = current_heads(app)
    assert applied == heads and heads


def test_app_creation_does_not_create_tables(tmp_path):
    app = create_app({"TESTING": True}, instance_path=tmp_path)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_failing_plugin_migration_leaves_no_half_created_schema(tmp_path, throwaway_plugin):
    versions = tmp_path / "broken_versions"
    versions.mkdir()
    (versions / "b001_broken.py").write_text(
        """
from alembic import op
import sqlalchemy as sa

revision = "b001"
down_revision = None
branch_labels = ("brokenmig",)
depends_on = "0001_core"


def upgrade():
    op.create_table("brokenmig_first", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("THIS IS NOT SQL")


def downgrade():
    pass
""",
        encoding="utf-8",
    )
    plugin = throwaway_plugin(f"""
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_migrations(register):
            register("brokenmig", {str(versions)!r})
    """)
    app = create_app({"TESTING": True}, instance_path=tmp_path / "inst", plugins=[("brokenmig", plugin)])
    with pytest.raises(Exception):  # noqa: B017 (whatever the broken script raises, nothing is left)
        upgrade(app)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []


def _cases_across(tmp_path, revision: str, case_ids, events, query: str) -> list[tuple]:
    """A SQLite database migrated to ``revision``, bare cases (only their required
    columns; foreign keys off) and their ``events`` (case id, seq, action, actor; event
    ``seq``'s hash is the digit repeated) written straight in, then migrated to the
    head: the rows of ``query``."""
    import sqlite3

    path = tmp_path / "ow.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"}, instance_path=tmp_path)
    upgrade(app, revision)
    raw = sqlite3.connect(path)
    for case_id in case_ids:
        raw.execute(
            "INSERT INTO ow_case (id, number, query_code, item_id, department_id, state, channel, applicant_type, "
            "applicant_name, applicant_id, data, received_at, due_confirmed, stopped_days, extended_days, simulated, "
            "corrections_issued, confidential, updated_at, version) VALUES (?, ?, 'ABCDEFGH', 1, 1, 'in_review', "
            "'window', 'person', '张三', '440304200002291236', '{}', '2026-11-23 09:30:00', 1, 0, 0, 0, 0, 0, "
            "'2026-11-23 09:30:00', 1)",
            (case_id, f"N{case_id:042d}"),
        )
    for case_id, seq, action, actor in events:
        raw.execute(
            "INSERT INTO ow_case_event (case_id, seq, action, to_state, actor, at, reason, payload, prev_hash, "
            "hash) VALUES (?, ?, ?, 'in_review', ?, '2026-11-23 09:30:00', '', '{}', ?, ?)",
            (case_id, seq, action, actor, "0" * 64, f"{seq}" * 64),
        )
    raw.commit()
    raw.close()
    upgrade(app)
    raw = sqlite3.connect(path)
    rows = raw.execute(query).fetchall()
    raw.close()
    return rows


def test_chain_head_migration_takes_each_cases_last_event(tmp_path):
    """0008 gives existing cases the head of their recorded timeline (or none)."""
    heads = _cases_across(
        tmp_path,
        "0007_case_list_indexes",
        (1, 2),
        [(1, 1, "x", "a"), (1, 2, "x", "a")],
        "SELECT id, chain_seq, chain_hash FROM ow_case ORDER BY id",
    )
    assert heads == [(1, 2, "2" * 64), (2, 0, "0" * 64)]


def test_accepted_by_migration_takes_each_cases_last_acceptor(tmp_path):
    """0009 gives existing cases the actor of their last acceptance (accept or
    accept_deferred, after a correction the second one), or none if never accepted."""
    events = [
        (1, 1, "accept", "wang"),
        (1, 2, "request_correction", "li"),
        (1, 3, "accept_deferred", "zhao"),
        (1, 4, "approve_step", "chen"),
        (2, 1, "accept", "sun"),
        (3, 1, "submit", "public"),
    ]
    acceptors = _cases_across(
        tmp_path, "0008_case_chain_head", (1, 2, 3), events, "SELECT id, accepted_by FROM ow_case ORDER BY id"
    )
    assert acceptors == [(1, "zhao"), (2, "sun"), (3, None)]
