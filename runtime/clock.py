"""The one place outside workflows that reads the wall clock, and the local (Almaty) day of a moment.

Workflows take time from `workflow.now()`; everything else takes "now" from here, or better as a
parameter, so a test can pin it to any hour. Local dates are the zone's (policies/terms.yaml
`timezone`), never the UTC date: between 19:00 and 24:00 UTC Almaty is already on the next day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from policies.calendar import local_zone


def utc_now() -> datetime:
    """The wall clock, aware, in UTC."""
    return datetime.now(UTC)


def local_now(at: datetime | None = None) -> datetime:
    """`at` (the wall clock if not given) in the local zone."""
    return (at or utc_now()).astimezone(local_zone())


def local_today(at: datetime | None = None) -> date:
    """The local calendar day of `at` (the wall clock if not given)."""
    return local_now(at).date()


def local_year(at: datetime | None = None) -> int:
    """The local year of `at`: registration numbers are counted per local year."""
    return local_now(at).year
