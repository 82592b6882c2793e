"""core organisation and security schema

Revision ID: 0001_core
Revises:
Create Date: 2026-11-24

Flask-AppBuilder's security tables (ab_*) plus the organisation model (ow_*).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = ("core",)
depends_on = None


# FAB's models draw ids from named sequences on databases that have them (PostgreSQL).
AB_SEQUENCES = [
    "ab_group_id_seq",
    "ab_permission_id_seq",
    "ab_register_user_id_seq",
    "ab_role_id_seq",
    "ab_view_menu_id_seq",
    "ab_group_role_id_seq",
    "ab_permission_view_id_seq",
    "ab_permission_view_role_id_seq",
    "ab_user_id_seq",
    "ab_api_key_id_seq",
    "ab_user_group_id_seq",
    "ab_user_role_id_seq",
]


def upgrade() -> None:
    if op.get_bind().dialect.supports_sequences:
        for name in AB_SEQUENCES:
            op.execute(sa.schema.CreateSequence(sa.Sequence(name, start=1, increment=1, minvalue=1)))
    op.create_table(
        "ab_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=150), nullable=True),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "ab_permission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "ab_register_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("password", sa.String(length=256), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("registration_date", sa.DateTime(), nullable=True),
        sa.Column("registration_hash", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "ab_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "ab_view_menu",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "ow_region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "level",
            sa.Enum("province", "city", "county", "town", "village", name="regionlevel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["ow_region.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("ow_region", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_region_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "ab_group_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("role_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["ab_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["ab_role.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "role_id"),
    )
    with op.batch_alter_table("ab_group_role", schema=None) as batch_op:
        batch_op.create_index("idx_group_id", ["group_id"], unique=False)
        batch_op.create_index("idx_group_role_id", ["role_id"], unique=False)

    op.create_table(
        "ab_permission_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permission_id", sa.Integer(), nullable=False),
        sa.Column("view_menu_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["ab_permission.id"],
        ),
        sa.ForeignKeyConstraint(
            ["view_menu_id"],
            ["ab_view_menu.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("permission_id", "view_menu_id"),
    )
    with op.batch_alter_table("ab_permission_view", schema=None) as batch_op:
        batch_op.create_index("idx_permission_id", ["permission_id"], unique=False)
        batch_op.create_index("idx_view_menu_id", ["view_menu_id"], unique=False)

    op.create_table(
        "ow_centre",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("opening_hours", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["ow_region.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("ow_centre", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_centre_region_id"), ["region_id"], unique=False)

    op.create_table(
        "ow_department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["ow_region.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_code"),
        sa.UniqueConstraint("region_id", "name", name="uq_ow_department_region_name"),
    )
    with op.batch_alter_table("ow_department", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_department_region_id"), ["region_id"], unique=False)

    op.create_table(
        "ab_permission_view_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permission_view_id", sa.Integer(), nullable=True),
        sa.Column("role_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["permission_view_id"], ["ab_permission_view.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["ab_role.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("permission_view_id", "role_id"),
    )
    with op.batch_alter_table("ab_permission_view_role", schema=None) as batch_op:
        batch_op.create_index("idx_permission_view_id", ["permission_view_id"], unique=False)
        batch_op.create_index("idx_role_id", ["role_id"], unique=False)

    op.create_table(
        "ab_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("password", sa.String(length=256), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("last_login", sa.DateTime(), nullable=True),
        sa.Column("login_count", sa.Integer(), nullable=True),
        sa.Column("fail_login_count", sa.Integer(), nullable=True),
        sa.Column("created_on", sa.DateTime(), nullable=True),
        sa.Column("changed_on", sa.DateTime(), nullable=True),
        sa.Column("created_by_fk", sa.Integer(), nullable=True),
        sa.Column("changed_by_fk", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_fk"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_fk"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["ow_department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["ow_region.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("username"),
    )
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ab_user_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ab_user_region_id"), ["region_id"], unique=False)

    op.create_table(
        "ow_zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "enterprise",
                "real_estate",
                "public_security",
                "construction",
                "special",
                "comprehensive",
                "consultation",
                "self_service",
                name="zonekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["ow_centre.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("centre_id", "number", name="uq_ow_zone_centre_number"),
    )
    with op.batch_alter_table("ow_zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_zone_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "ab_api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("key_hash", sa.String(length=256), nullable=False),
        sa.Column("lookup_hash", sa.String(length=256), nullable=True),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=True),
        sa.Column("expires_on", sa.DateTime(), nullable=True),
        sa.Column("revoked_on", sa.DateTime(), nullable=True),
        sa.Column("last_used_on", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lookup_hash"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("ab_api_key", schema=None) as batch_op:
        batch_op.create_index("idx_api_key_lookup_hash", ["lookup_hash"], unique=True)
        batch_op.create_index("idx_api_key_prefix", ["key_prefix"], unique=False)
        batch_op.create_index("idx_api_key_user_id", ["user_id"], unique=False)

    op.create_table(
        "ab_user_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["ab_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "group_id"),
    )
    with op.batch_alter_table("ab_user_group", schema=None) as batch_op:
        batch_op.create_index("idx_user_group_id", ["group_id"], unique=False)
        batch_op.create_index("idx_user_id", ["user_id"], unique=False)

    op.create_table(
        "ab_user_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["role_id"], ["ab_role.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "role_id"),
    )
    op.create_table(
        "ow_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "comprehensive",
                "specialised",
                "output",
                "consultation",
                "pre_handling",
                "self_service",
                name="windowkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("approval_ref", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["ow_zone.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("zone_id", "code", name="uq_ow_window_zone_code"),
    )
    with op.batch_alter_table("ow_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ow_window_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "ow_staff_window",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "window_id"),
    )
    op.create_table(
        "ow_window_department",
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["ow_department.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["window_id"], ["ow_window.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("window_id", "department_id"),
    )


def downgrade() -> None:
    op.drop_table("ow_window_department")
    op.drop_table("ow_staff_window")
    with op.batch_alter_table("ow_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_window_zone_id"))

    op.drop_table("ow_window")
    op.drop_table("ab_user_role")
    with op.batch_alter_table("ab_user_group", schema=None) as batch_op:
        batch_op.drop_index("idx_user_id")
        batch_op.drop_index("idx_user_group_id")

    op.drop_table("ab_user_group")
    with op.batch_alter_table("ab_api_key", schema=None) as batch_op:
        batch_op.drop_index("idx_api_key_user_id")
        batch_op.drop_index("idx_api_key_prefix")
        batch_op.drop_index("idx_api_key_lookup_hash")

    op.drop_table("ab_api_key")
    with op.batch_alter_table("ow_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_zone_centre_id"))

    op.drop_table("ow_zone")
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ab_user_region_id"))
        batch_op.drop_index(batch_op.f("ix_ab_user_department_id"))

    op.drop_table("ab_user")
    with op.batch_alter_table("ab_permission_view_role", schema=None) as batch_op:
        batch_op.drop_index("idx_role_id")
        batch_op.drop_index("idx_permission_view_id")

    op.drop_table("ab_permission_view_role")
    with op.batch_alter_table("ow_department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_department_region_id"))

    op.drop_table("ow_department")
    with op.batch_alter_table("ow_centre", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_centre_region_id"))

    op.drop_table("ow_centre")
    with op.batch_alter_table("ab_permission_view", schema=None) as batch_op:
        batch_op.drop_index("idx_view_menu_id")
        batch_op.drop_index("idx_permission_id")

    op.drop_table("ab_permission_view")
    with op.batch_alter_table("ab_group_role", schema=None) as batch_op:
        batch_op.drop_index("idx_group_role_id")
        batch_op.drop_index("idx_group_id")

    op.drop_table("ab_group_role")
    with op.batch_alter_table("ow_region", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ow_region_parent_id"))

    op.drop_table("ow_region")
    op.drop_table("ab_view_menu")
    op.drop_table("ab_role")
    op.drop_table("ab_register_user")
    op.drop_table("ab_permission")
    op.drop_table("ab_group")
    if op.get_bind().dialect.supports_sequences:
        for name in reversed(AB_SEQUENCES):
            op.execute(sa.schema.DropSequence(sa.Sequence(name)))
