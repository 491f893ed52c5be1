"""Kazakhstan's working-day calendar and term counting.

Convention (national system eOtinish, domain.md): the registration day counts as day 1; the
answer is due by 23:59:59 local time of the last working day; an appeal received on a day off
or after the after-hours cutoff is registered on the next working day.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from policies.loading import load_policy
from runtime.clock import utc_now


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (pure arithmetic, safe in workflows)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def extension_limit(registered_on: date, original_due: date, months: int, counted_from: str) -> date:
    """The latest legal term an extension may set: the total term at most `months` from receipt
    (registration day = day 1), or `months` after the original term (policies/appeals.yaml)."""
    if counted_from == "receipt":
        return add_months(registered_on, months) - timedelta(days=1)
    return add_months(original_due, months)


def local_zone() -> ZoneInfo:
    return ZoneInfo(str(load_policy("terms")["timezone"]))


def local_now(at: datetime | None = None) -> datetime:
    """`at` (the wall clock, runtime/clock.py, if not given) in the local zone. Local dates are the
    zone's (terms.yaml `timezone`), never the UTC date: between 19:00 and 24:00 UTC Almaty is
    already on the next day."""
    return (at or utc_now()).astimezone(local_zone())


def local_today(at: datetime | None = None) -> date:
    """The local calendar day of `at` (the wall clock if not given)."""
    return local_now(at).date()


def local_year(at: datetime | None = None) -> int:
    """The local year of `at`: registration numbers are counted per local year."""
    return local_now(at).year


@cache
def _overrides() -> tuple[frozenset[date], frozenset[date]]:
    return overrides_from(load_policy("calendar_overrides"))


def overrides_from(data: dict[str, Any]) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, working days) of an override file's content."""
    off = frozenset(_as_date(e["date"]) for e in data.get("days_off") or [])
    work = frozenset(_as_date(e["date"]) for e in data.get("working_days") or [])
    return off, work


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@cache
def _national_calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=year)


def national_working_day(day: date) -> bool:
    """The `holidays` package's own answer: weekends, public holidays and the days off it moves,
    and the weekend days the Government made working days by transfer (`weekend_workdays`)."""
    return bool(_national_calendar(day.year).is_working_day(day))


def is_working_day(day: date) -> bool:
    """Kazakhstan's official calendar: the package's working-day knowledge, corrected by the
    project's override file (transfers the package lacks or learns late win over it)."""
    off, work = _overrides()
    if day in work:
        return True
    if day in off:
        return False
    return national_working_day(day)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day counting `start` (moved to a working day) as day 1."""
    if days < 1:
        raise ValueError(f"days: must be at least 1, got {days}")
    current = next_working_day(start)
    counted = 1
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def working_days_before(due: date, days: int) -> date:
    """The working day that lies `days` working days before `due`."""
    current = due
    counted = 0
    while counted < days:
        current -= timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days in the half-open interval (start, end]; negative if end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def registration_day(received_at: datetime) -> date:
    """The day a receipt counts from: next working day if received on a day off or after hours.
    A time without a zone is local time of the date it names (the zone's offset on that date)."""
    local = received_at.astimezone(local_zone()) if received_at.tzinfo else received_at.replace(tzinfo=local_zone())
    cutoff = time.fromisoformat(str(load_policy("terms")["after_hours_cutoff"]))
    day = local.date()
    if local.time() >= cutoff:
        day += timedelta(days=1)
    return next_working_day(day)


def receipt_moment(value: str) -> datetime:
    """An aware receipt time: a value without an offset is local time of the date it names, with
    the offset the zone had on that date (Kazakhstan moved from UTC+6 to UTC+5 on 1 March 2024)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone())


def local_date(moment: str) -> str:
    """The local (Almaty) ISO date of a moment; one without an offset is local already."""
    return receipt_moment(moment).astimezone(local_zone()).date().isoformat()


def due_date(received_at: datetime, term_working_days: int) -> date:
    """Last day of a term of `term_working_days` working days for a receipt at `received_at`."""
    return add_working_days(registration_day(received_at), term_working_days)


def end_of_day(day: date) -> datetime:
    """The first instant after `day` ends in local time, as an aware datetime (what timers wait for)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=local_zone())


def at_local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=local_zone())
