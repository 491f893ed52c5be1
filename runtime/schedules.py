"""The Temporal Schedules the engine needs, created idempotently (worker start-up or the CLI)."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)

from models.notices import HalfYearRequest

HALF_YEAR_SCHEDULE_ID = "half-year-instructions-report"


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
            time_zone_name="Asia/Almaty",
        ),
    )
    try:
        await client.create_schedule(HALF_YEAR_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
