"""Alembic environment: run by `onewindow init` / `onewindow db ...` with the app's connection.

The core branch lives in versions/core; each plugin contributes its own version
location and branch through the ``register_migrations`` hook.
"""

from __future__ import annotations

from alembic import context
from flask_appbuilder import Model

import onewindow.models  # noqa: F401  (core tables on FAB's metadata)
from onewindow.migrate import include_object

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through the onewindow CLI
    raise SystemExit("run migrations through `onewindow init` or `onewindow db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Model.metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
