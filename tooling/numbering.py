"""Registration numbers (APL-2026-000042): allocated from a counter in the registry, one per call."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.registry import RegistrationCounter


def allocate_number(engine: Engine, prefix: str, year: int) -> str:
    """Next free number for prefix and year; the row lock (or SQLite's write lock) serialises callers."""
    with Session(engine) as session:
        row = session.get(RegistrationCounter, (prefix, year), with_for_update=True)
        if row is None:
            row = RegistrationCounter(prefix=prefix, year=year, last=0)
        row.last += 1
        session.add(row)
        session.commit()
        return f"{prefix}-{year}-{row.last:06d}"
