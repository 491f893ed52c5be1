"""Alembic's environment for the registry: always run from `models.migrations.upgrade`, which
hands over an open connection (there is no alembic.ini and no URL here)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models.registry  # noqa: F401  (every table on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
