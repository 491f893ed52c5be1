"""The working-day calendar: national-system vectors and properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import calendar
from policies.terms import term_working_days

KZ = timezone(timedelta(hours=5))


@pytest.mark.parametrize(
    ("received", "kind", "due"),
    [
        # National system (eOtinish) convention: registration day is day 1.
        (datetime(2022, 5, 26, 10, 0, tzinfo=KZ), "request", date(2022, 6, 15)),
        # After 18:30: counting starts the next working day.
        (datetime(2022, 5, 26, 19, 0, tzinfo=KZ), "request", date(2022, 6, 16)),
        # Received on Saturday: starts Monday.
        (datetime(2026, 11, 28, 11, 0, tzinfo=KZ), "application", date(2026, 12, 21)),  # 16 Dec skipped
        # Complaint: 20 working days; Independence Day (16 Dec 2026) is skipped.
        (datetime(2026, 12, 1, 9, 0, tzinfo=KZ), "complaint", date(2026, 12, 29)),
    ],
)
def test_due_date_vectors(received: datetime, kind: str, due: date) -> None:
    assert calendar.due_date(received, term_working_days(kind)) == due


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 5, 4), True),  # Saturday worked by transfer (override file)
        (date(2024, 5, 8), False),  # Wednesday off by transfer
        (date(2026, 3, 23), False),  # Nauryz
        (date(2026, 12, 16), False),  # Independence Day
        (date(2026, 1, 7), False),  # Orthodox Christmas
        (date(2026, 11, 25), True),
        (date(2026, 11, 29), False),  # Sunday
    ],
)
def test_known_days(day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(days, st.integers(min_value=1, max_value=60))
def test_due_date_is_never_a_day_off(start: date, n: int) -> None:
    assert calendar.is_working_day(calendar.add_working_days(start, n))


@settings(max_examples=300, deadline=None)
@given(days, st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=20))
def test_more_days_never_earlier(start: date, n: int, extra: int) -> None:
    assert calendar.add_working_days(start, n + extra) >= calendar.add_working_days(start, n)


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=1, max_value=40))
def test_counting_round_trips(start: date, n: int) -> None:
    first = calendar.next_working_day(start)
    due = calendar.add_working_days(start, n)
    assert calendar.working_days_between(first, due) == n - 1
    assert calendar.working_days_before(due, n - 1) == first if n > 1 else due == first


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)))
def test_registration_day_is_a_working_day_not_before_receipt(moment: datetime) -> None:
    received = moment.replace(tzinfo=KZ)
    day = calendar.registration_day(received)
    assert calendar.is_working_day(day) and day >= received.date()
