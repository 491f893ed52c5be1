"""The one place outside workflows that reads the wall clock.

Workflows take time from `workflow.now()`; everything else takes "now" from here, or better as a
parameter, so a test can pin it to any hour. The local (Almaty) day and year of a moment are the
calendar's (policies/calendar.py `local_today`, `local_year`).
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The wall clock, aware, in UTC."""
    return datetime.now(UTC)
