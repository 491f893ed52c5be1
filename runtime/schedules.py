"""The Temporal Schedules the engine needs, created idempotently (worker start-up or the CLI), each
visible and pausable on the Web UI's Schedules page. Times are Almaty's."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)

from models.notices import HalfYearRequest, ReportRequest

HALF_YEAR_SCHEDULE_ID = "half-year-instructions-report"
ZONE = "Asia/Almaty"


@dataclass(frozen=True)
class ReportSchedule:
    schedule_id: str
    kind: str
    calendar: ScheduleCalendarSpec
    note: str


REPORT_SCHEDULES = (
    ReportSchedule(
        "district-problem-cards-monthly",
        "district",
        ScheduleCalendarSpec(day_of_month=[ScheduleRange(1)], hour=[ScheduleRange(8)]),
        "seed 7.2: a problem-issue card per district for the month before, on the 1st at 08:00",
    ),
    ReportSchedule(
        "overdue-digest-weekly",
        "digest",
        ScheduleCalendarSpec(day_of_week=[ScheduleRange(1)], hour=[ScheduleRange(8)]),
        "seed 5.9: overdue and at-risk appeals to each executor, Mondays at 08:00",
    ),
)


async def _create(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True


async def ensure_half_year_schedule(client: Client, task_queue: str) -> bool:
    """Create the half-year report schedule (5 January and 5 July, 09:00 Almaty); True if created,
    False if it already existed."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            "HalfYearReportWorkflow", HalfYearRequest(""), id="half-year-report", task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    month=[ScheduleRange(1), ScheduleRange(7)], day_of_month=[ScheduleRange(5)], hour=[ScheduleRange(9)]
                )
            ],
            time_zone_name=ZONE,
        ),
    )
    return await _create(client, HALF_YEAR_SCHEDULE_ID, schedule)


async def ensure_report_schedules(client: Client, task_queue: str) -> list[str]:
    """Create the monthly district cards and the weekly digest; the ids of those created now."""
    created: list[str] = []
    for entry in REPORT_SCHEDULES:
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                "ReportWorkflow", ReportRequest(entry.kind), id=f"report-{entry.kind}", task_queue=task_queue
            ),
            spec=ScheduleSpec(calendars=[entry.calendar], time_zone_name=ZONE),
        )
        if await _create(client, entry.schedule_id, schedule):
            created.append(entry.schedule_id)
    return created
