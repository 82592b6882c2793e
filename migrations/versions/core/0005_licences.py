"""e-licence library

Revision ID: 0005_licences
Revises: 0004_workdays
Create Date: 2026-11-25

E-licence library (电子证照库): licence types, licences (GB/T 36903 metadata, SM2 seal
fields), append-only lifecycle events, department seals (encrypted private keys) and
the per-type-per-issuer serial counter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_licences"
down_revision = "0004_workdays"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_licence_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("type_oid", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("validity_years", sa.Integer(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "ow_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("algorithm", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.String(length=128), nullable=False),
        sa.Column("private_key_enc", sa.Text(), nullable=False),
        sa.Column("kek_id", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("rotated_at", sa.DateTime(), nullable=True),
        sa.Column("rotated_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id"),
    )
    op.create_index(op.f("ix_ow_seal_active"), "ow_seal", ["active"], unique=False)
    op.create_index(op.f("ix_ow_seal_department_id"), "ow_seal", ["department_id"], unique=False)
    op.create_table(
        "ow_licence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("holder_id", sa.String(length=18), nullable=False),
        sa.Column(
            "holder_id_type",
            sa.Enum("resident_id", "credit_code", name="holderidtype", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("issuer_code", sa.String(length=18), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("case_number", sa.String(length=43), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending_seal",
                "active",
                "superseded",
                "revoked",
                "expired",
                name="licencestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("access_code", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seal_id", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("signature", sa.String(length=128), nullable=True),
        sa.Column("sealed_at", sa.DateTime(), nullable=True),
        sa.Column("sealed_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["ow_licence.id"],
        ),
        sa.ForeignKeyConstraint(
            ["seal_id"],
            ["ow_seal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sealed_by_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["ow_licence_type.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identifier"),
        sa.UniqueConstraint("type_id", "issuer_code", "serial", "version", name="uq_ow_licence_serial_version"),
    )
    op.create_index(op.f("ix_ow_licence_case_number"), "ow_licence", ["case_number"], unique=False)
    op.create_index(op.f("ix_ow_licence_department_id"), "ow_licence", ["department_id"], unique=False)
    op.create_index(op.f("ix_ow_licence_holder_id"), "ow_licence", ["holder_id"], unique=False)
    op.create_index(op.f("ix_ow_licence_status"), "ow_licence", ["status"], unique=False)
    op.create_index(op.f("ix_ow_licence_type_id"), "ow_licence", ["type_id"], unique=False)
    op.create_index(op.f("ix_ow_licence_valid_until"), "ow_licence", ["valid_until"], unique=False)
    op.create_table(
        "ow_licence_serial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("issuer_code", sa.String(length=18), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["ow_licence_type.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("type_id", "issuer_code", name="uq_ow_licence_serial_type_issuer"),
    )
    op.create_table(
        "ow_licence_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "issued",
                "sealed",
                "updated",
                "superseded",
                "revoked",
                "expired",
                name="licenceaction",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["ow_licence.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ow_licence_event_licence_id"), "ow_licence_event", ["licence_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ow_licence_event_licence_id"), table_name="ow_licence_event")
    op.drop_table("ow_licence_event")
    op.drop_table("ow_licence_serial")
    op.drop_index(op.f("ix_ow_licence_valid_until"), table_name="ow_licence")
    op.drop_index(op.f("ix_ow_licence_type_id"), table_name="ow_licence")
    op.drop_index(op.f("ix_ow_licence_status"), table_name="ow_licence")
    op.drop_index(op.f("ix_ow_licence_holder_id"), table_name="ow_licence")
    op.drop_index(op.f("ix_ow_licence_department_id"), table_name="ow_licence")
    op.drop_index(op.f("ix_ow_licence_case_number"), table_name="ow_licence")
    op.drop_table("ow_licence")
    op.drop_index(op.f("ix_ow_seal_department_id"), table_name="ow_seal")
    op.drop_index(op.f("ix_ow_seal_active"), table_name="ow_seal")
    op.drop_table("ow_seal")
    op.drop_table("ow_licence_type")
