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
    (versions / "b001_broken.py").write_text('''
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
''', encoding="utf-8")
    plugin = throwaway_plugin(f'''
        from onewindow.plugins import hookimpl

        @hookimpl
        def register_migrations(register):
            register("brokenmig", {str(versions)!r})
    ''')
    app = create_app({"TESTING": True}, instance_path=tmp_path / "inst", plugins=[("brokenmig", plugin)])
    with pytest.raises(Exception):
        upgrade(app)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
