"""The Temporal Schedules the engine needs, created idempotently (worker start-up or the CLI), each
visible and pausable on the Web UI's Schedules page. Times are Almaty's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
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
    ReportSchedule(
        "paper-bundle-daily",
        "paper",
        ScheduleCalendarSpec(day_of_week=[ScheduleRange(1, 5)], hour=[ScheduleRange(15)]),
        "issue 24: the print queue's bundle and register list for the registry office, working days at 15:00 "
        "(Model Regulation para 9: the registry office dispatches outgoing correspondence)",
    ),
    ReportSchedule(
        "mail-drafts-hourly",
        "mail-drafts",
        ScheduleCalendarSpec(minute=[ScheduleRange(5)], hour=[ScheduleRange(0, 23)]),
        "issue 25: e-mails to the intake not registered by the end of the next working day are reported to the "
        "registry office (registration is mandatory: domain.md), hourly at :05",
    ),
)


async def _create(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True


def half_year_schedule(task_queue: str) -> Schedule:
    """The half-year report: 5 January and 5 July, 09:00 Almaty."""
    return Schedule(
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


def report_schedule(entry: ReportSchedule, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "ReportWorkflow", ReportRequest(entry.kind), id=f"report-{entry.kind}", task_queue=task_queue
        ),
        spec=ScheduleSpec(calendars=[entry.calendar], time_zone_name=ZONE),
    )


RECONCILIATION_SCHEDULE_ID = "case-reconciliation-hourly"


def reconciliation_schedule(task_queue: str) -> Schedule:
    """Open cards against running cases (issue 20): every hour at :15."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "ReconciliationWorkflow", None, id="case-reconciliation", task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(minute=[ScheduleRange(15)], hour=[ScheduleRange(0, 23)])],
            time_zone_name=ZONE,
        ),
    )


OUTBOX_SCHEDULE_ID = "outbox-relay"


def outbox_schedule(task_queue: str) -> Schedule:
    """The outbox relay (issue 24): every minute; a run still sending makes the next one skip."""
    return Schedule(
        action=ScheduleActionStartWorkflow("OutboxRelayWorkflow", None, id="outbox-relay", task_queue=task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def engine_schedules(task_queue: str) -> dict[str, Schedule]:
    """Every schedule the engine owns, by id."""
    return {
        HALF_YEAR_SCHEDULE_ID: half_year_schedule(task_queue),
        RECONCILIATION_SCHEDULE_ID: reconciliation_schedule(task_queue),
        OUTBOX_SCHEDULE_ID: outbox_schedule(task_queue),
        **{entry.schedule_id: report_schedule(entry, task_queue) for entry in REPORT_SCHEDULES},
    }


async def ensure_half_year_schedule(client: Client, task_queue: str) -> bool:
    """Create the half-year report schedule; True if created, False if it already existed."""
    return await _create(client, HALF_YEAR_SCHEDULE_ID, half_year_schedule(task_queue))


async def ensure_reconciliation_schedule(client: Client, task_queue: str) -> bool:
    """Create the hourly reconciliation of cards and cases; True if created now."""
    return await _create(client, RECONCILIATION_SCHEDULE_ID, reconciliation_schedule(task_queue))


async def ensure_outbox_schedule(client: Client, task_queue: str) -> bool:
    """Create the outbox relay's schedule (every minute); True if created now."""
    return await _create(client, OUTBOX_SCHEDULE_ID, outbox_schedule(task_queue))


async def ensure_report_schedules(client: Client, task_queue: str) -> list[str]:
    """Create the monthly district cards and the weekly digest; the ids of those created now."""
    created: list[str] = []
    for entry in REPORT_SCHEDULES:
        if await _create(client, entry.schedule_id, report_schedule(entry, task_queue)):
            created.append(entry.schedule_id)
    return created


def _times(spec: ScheduleSpec) -> tuple[object, ...]:
    """When a spec fires, as plain tuples (the server answers with tuples where we wrote lists)."""
    fields = ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week")
    calendars = tuple(tuple(tuple(getattr(c, f)) for f in fields) for c in spec.calendars)
    return calendars, tuple(spec.intervals), tuple(spec.cron_expressions), tuple(spec.skip)


def _what_differs(ours: Schedule, theirs: Schedule, paused: bool) -> str:
    """How a schedule on the server differs from ours ("" when it does not)."""
    mine, found = ours.action, theirs.action
    if not isinstance(found, ScheduleActionStartWorkflow) or not isinstance(mine, ScheduleActionStartWorkflow):
        return "its action"
    if (found.workflow, found.id, found.task_queue) != (mine.workflow, mine.id, mine.task_queue):
        return f"its action (starts {found.workflow} {found.id} on {found.task_queue})"
    if theirs.spec.time_zone_name != ours.spec.time_zone_name or _times(theirs.spec) != _times(ours.spec):
        return "its times"
    return "it was paused" if paused else ""


async def reconcile_schedules(client: Client, task_queue: str) -> list[str]:
    """Restore every engine schedule that was deleted, paused or changed outside the engine (the
    Web UI's Schedules page lets anyone with access do that); what was restored, in words. The
    worker runs this periodically, so a deleted weekly digest comes back within minutes, logged."""
    restored: list[str] = []
    for schedule_id, ours in engine_schedules(task_queue).items():
        if await _create(client, schedule_id, ours):
            restored.append(f"{schedule_id}: it was missing (deleted?): created again")
            continue
        handle = client.get_schedule_handle(schedule_id)
        description = await handle.describe()
        why = _what_differs(ours, description.schedule, description.schedule.state.paused)
        if why:

            def ours_again(_: ScheduleUpdateInput, ours: Schedule = ours) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=ours)

            await handle.update(ours_again)
            restored.append(f"{schedule_id}: {why}: restored")
    return restored
