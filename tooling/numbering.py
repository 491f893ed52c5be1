"""Registration numbers (APL-2026-000042): allocated from a counter in the registry, one per call.

The counter moves in one statement (`UPDATE ... SET last = last + 1 ... RETURNING last`), atomic in
SQLite and PostgreSQL alike, across threads and processes: a read followed by a write let two
concurrent registrations take the same number (found by bench/intake.py: 140 of 1,000 appeals sent at
once shared a number with another, and the second was lost)."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from models.registry import RegistrationCounter

_COUNTERS = RegistrationCounter.__table__  # type: ignore[attr-defined]


def allocate_number(engine: Engine, prefix: str, year: int) -> str:
    """The next free number for prefix and year."""
    step = (
        update(_COUNTERS)
        .where(_COUNTERS.c.prefix == prefix, _COUNTERS.c.year == year)
        .values(last=_COUNTERS.c.last + 1)
        .returning(_COUNTERS.c.last)
    )
    for _ in range(2):
        with engine.begin() as conn:
            last = conn.execute(step).scalar()
        if last is not None:
            return f"{prefix}-{year}-{last:06d}"
        try:  # the year's first number: its counter row, then the step again
            with engine.begin() as conn:
                conn.execute(insert(_COUNTERS).values(prefix=prefix, year=year, last=0))
        except IntegrityError:
            pass  # a concurrent caller made it
    raise RuntimeError(f"no counter for {prefix}-{year}")
