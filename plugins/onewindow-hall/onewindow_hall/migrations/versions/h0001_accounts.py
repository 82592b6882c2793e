"""hall: citizen and company accounts, company members, one-time codes

Revision ID: h0001_accounts
Revises:
Create Date: 2026-12-02

The first revision of the plugin's own branch ``hall``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h0001_accounts"
down_revision = None
branch_labels = ("hall",)
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "hall_citizen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("citizenkind", "person", "company"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("legal_rep_name", sa.String(length=100), nullable=True),
        sa.Column("legal_rep_id_number", sa.String(length=18), nullable=True),
        sa.Column("mobile", sa.String(length=11), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("mobile_verified", sa.Boolean(), nullable=False),
        sa.Column("identity_verified", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
        sa.UniqueConstraint("mobile"),
        sa.UniqueConstraint("uscc"),
    )
    op.create_table(
        "hall_company_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", _enum("memberrole", "legal_rep", "agent"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["hall_citizen.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["hall_citizen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "person_id", name="uq_hall_company_member"),
    )
    op.create_index("ix_hall_company_member_person_id", "hall_company_member", ["person_id"])
    op.create_table(
        "hall_one_time_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hall_one_time_code_target", "hall_one_time_code", ["target"])


def downgrade() -> None:
    op.drop_index("ix_hall_one_time_code_target", table_name="hall_one_time_code")
    op.drop_table("hall_one_time_code")
    op.drop_index("ix_hall_company_member_person_id", table_name="hall_company_member")
    op.drop_table("hall_company_member")
    op.drop_table("hall_citizen")
