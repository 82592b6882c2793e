"""service items

Revision ID: 0002_items
Revises: 0001_core
Create Date: 2026-11-24

Service item catalogue (事项): items, materials, routing steps, form fields, FAQ, events.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_items"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ow_item_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "ow_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("basic_code", sa.String(length=12), nullable=False),
        sa.Column("implementation_code", sa.String(length=31), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("item_type_id", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=31), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "superseded", "cancelled", name="itemstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("exercise_level", sa.String(length=1), nullable=False),
        sa.Column("pack_key", sa.String(length=60), nullable=True),
        sa.Column("service_area", sa.String(length=40), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("entrusted_department_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("special_procedures", sa.JSON(), nullable=False),
        sa.Column("legal_days", sa.Integer(), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column(
            "handling_type",
            sa.Enum("immediate", "promised", "joint", "reported", name="handlingtype", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("correction_limit_days", sa.Integer(), nullable=False),
        sa.Column("pre_review_days", sa.Integer(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("extension_rule", sa.Text(), nullable=False),
        sa.Column("warning_days", sa.Integer(), nullable=False),
        sa.Column(
            "service_mode",
            sa.Enum(
                "zero_visit",
                "immediate",
                "window_post",
                "online_prereview",
                "appointment",
                name="servicemode",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("visits_required", sa.Integer(), nullable=False),
        sa.Column("online_depth", sa.Integer(), nullable=False),
        sa.Column("postal_delivery", sa.Boolean(), nullable=False),
        sa.Column("appointment", sa.Boolean(), nullable=False),
        sa.Column("in_person_required", sa.Boolean(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("charged", sa.Boolean(), nullable=False),
        sa.Column("fees", sa.JSON(), nullable=False),
        sa.Column("joint_fee", sa.Boolean(), nullable=False),
        sa.Column(
            "routing_mode",
            sa.Enum("sequential", "parallel", name="routingmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("form_key", sa.String(length=80), nullable=True),
        sa.Column("licence_type_code", sa.String(length=40), nullable=True),
        sa.Column("guide", sa.Text(), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entrusted_department_id"],
            ["ow_department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_type_id"],
            ["ow_item_type.id"],
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["ow_zone.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("implementation_code", "version", name="uq_ow_item_impl_version"),
    )
    with op.batch_alter_table("ow_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_item_basic_code"), ["basic_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_item_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_item_implementation_code"), ["implementation_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_item_is_current"), ["is_current"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_item_pack_key"), ["pack_key"], unique=False)

    op.create_table(
        "ow_item_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("implementation_code", sa.String(length=31), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum("setup", "change", "split", "delegate", "cancel", name="itemaction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["ow_item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_item_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_item_event_implementation_code"), ["implementation_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_ow_item_event_item_id"), ["item_id"], unique=False)

    op.create_table(
        "ow_item_faq",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_item_faq", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_item_faq_item_id"), ["item_id"], unique=False)

    op.create_table(
        "ow_item_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "text",
                "number",
                "date",
                "select",
                "id_number",
                "credit_code",
                "phone",
                "address",
                name="fieldtype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("regex", sa.String(length=200), nullable=True),
        sa.Column("help_text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_item_field", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_item_field_item_id"), ["item_id"], unique=False)

    op.create_table(
        "ow_item_joint_department",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "department_id"),
    )
    op.create_table(
        "ow_item_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "necessity",
            sa.Enum("required", "optional", "deferrable", name="necessity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "form",
            sa.Enum("original", "copy", "electronic", name="materialform", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("applicant", "government", "other", name="materialsource", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("licence_type_code", sa.String(length=40), nullable=True),
        sa.Column("sample_ref", sa.String(length=200), nullable=True),
        sa.Column("standard", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_item_material", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_item_material_item_id"), ["item_id"], unique=False)

    op.create_table(
        "ow_item_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("silence_consents", sa.Boolean(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ow_item_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_item_step_item_id"), ["item_id"], unique=False)

    op.create_table(
        "ow_item_window",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ow_item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["ow_window.id"],
        ),
        sa.PrimaryKeyConstraint("item_id", "window_id"),
    )


def downgrade() -> None:
    op.drop_table("ow_item_window")
    with op.batch_alter_table("ow_item_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_item_step_item_id"))

    op.drop_table("ow_item_step")
    with op.batch_alter_table("ow_item_material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_item_material_item_id"))

    op.drop_table("ow_item_material")
    op.drop_table("ow_item_joint_department")
    with op.batch_alter_table("ow_item_field", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_item_field_item_id"))

    op.drop_table("ow_item_field")
    with op.batch_alter_table("ow_item_faq", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_item_faq_item_id"))

    op.drop_table("ow_item_faq")
    with op.batch_alter_table("ow_item_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_item_event_item_id"))
        batch_op.drop_index(batch_op.f("ix_ow_item_event_implementation_code"))

    op.drop_table("ow_item_event")
    with op.batch_alter_table("ow_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_item_pack_key"))
        batch_op.drop_index(batch_op.f("ix_ow_item_is_current"))
        batch_op.drop_index(batch_op.f("ix_ow_item_implementation_code"))
        batch_op.drop_index(batch_op.f("ix_ow_item_department_id"))
        batch_op.drop_index(batch_op.f("ix_ow_item_basic_code"))

    op.drop_table("ow_item")
    op.drop_table("ow_item_type")
