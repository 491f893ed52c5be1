"""The registry's schema, changed only by Alembic migrations (`versions/`): the worker and the CLI
bring a registry to the newest revision when they open it (`starter.py db upgrade` does it alone).

A registry the previous release created (its tables, no `alembic_version`) is that release's
schema, the baseline `0001`: it is stamped so, then upgraded like any other.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).resolve().parent
BASELINE = "0001"


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the registry to `revision` (the newest by default); the revision it is at after."""
    with engine.begin() as connection:
        at = current(connection)
        if revision == "head" and at == head():
            return at
        if at is None and inspect(connection).has_table("cases"):
            command.stamp(config(connection), BASELINE)  # the previous release's registry
        command.upgrade(config(connection), revision)
        return current(connection) or ""
