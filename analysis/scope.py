"""What a report covers: a period of local dates (both ends included), a district or all, a language."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

LANGUAGES = ("ru", "kk")


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    district: str = ""  # "" = every district
    language: str = "ru"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period: the end {self.end} is before the start {self.start}")
        if self.language not in LANGUAGES:
            raise ValueError(f"language: {self.language!r} is not one of {', '.join(LANGUAGES)}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Scope:
        """The period of the same length just before: what a trend is measured against."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def label(self) -> str:
        return f"{self.start.isoformat()} — {self.end.isoformat()}"


def half_year_of(day: date) -> Scope:
    """The half-year that ended before `day` (a report run on 5 July covers January-June)."""
    if day.month > 6:
        return Scope(date(day.year, 1, 1), date(day.year, 6, 30))
    return Scope(date(day.year - 1, 7, 1), date(day.year - 1, 12, 31))


def month_before(day: date) -> Scope:
    """The calendar month before `day`'s month."""
    last = day.replace(day=1) - timedelta(days=1)
    return Scope(last.replace(day=1), last)


def week_before(day: date) -> Scope:
    """The seven days before `day`."""
    return Scope(day - timedelta(days=7), day - timedelta(days=1))
