"""Policy look-ups as activities: their answers are recorded in the history, so a policy change
applies to new cases and never makes a running one replay differently."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib import import_module

from temporalio.exceptions import ApplicationError

from models.activity_names import CHECK_POLICIES, PLAN_DEADLINE, PLAN_WORKING_TIME, ROUTE_CASE
from models.deadlines import DeadlinePlan, DeadlineRequest, TimerPoint, WorkingTimeRequest
from models.errors import InputError
from models.policy_snapshot import (
    ControlRules,
    PolicyRequest,
    PolicySnapshot,
)
from models.registry_writes import RouteRequest
from policies import calendar
from policies.names import card_names
from policies.permissions import permission_matrix, receipt_clock_skew_seconds, registering_roles
from policies.routing import executor_for
from policies.terms import control_rules


@CHECK_POLICIES.function
def check_policies(req: PolicyRequest) -> PolicySnapshot:
    """What every new case takes from the policies (control rules, permissions, registration) and
    what its kind does: `registration_check` of the kind's own policies module, found by name
    (policies/appeals.py for an appeal's request), so a new kind brings its own."""
    try:
        kind_part = import_module(f"policies.{req.kind}s").registration_check(req)
    except InputError as err:
        raise ApplicationError(str(err), type="InvalidInput", non_retryable=True) from None
    matrix = permission_matrix(req.kind)
    return PolicySnapshot(
        **{"term_working_days": 0, "suggested_executor": "", **kind_part},
        rules=(rules := control_rules()),
        names=card_names(rules.staff_language),
        grants=matrix.grants,
        own_only=matrix.own_only,
        registering_roles=registering_roles(),
        receipt_clock_skew_seconds=receipt_clock_skew_seconds(),
    )


@ROUTE_CASE.function
def route_case(req: RouteRequest) -> str:
    return executor_for(req.category, req.district)


def _compress(now: datetime, legal: datetime, rules: ControlRules) -> datetime:
    """When a timer for the legal moment fires: the moment itself (moved `lead_seconds` earlier in
    benchmarks), or in demo timing, one working day per `seconds_per_working_day` counted from now."""
    spd = rules.seconds_per_working_day
    if not spd:
        return legal - timedelta(seconds=rules.lead_seconds)
    zone = calendar.local_zone()
    today = now.astimezone(zone).date()
    local = legal.astimezone(zone)
    days = calendar.working_days_between(today, local.date())
    fraction = (local.hour * 3600 + local.minute * 60) / 86400
    return now + timedelta(seconds=spd * (days + fraction))


def _day_of(moment: datetime) -> str:
    """The local day a moment belongs to; the end of a day (00:00 of the next) belongs to that day."""
    local = moment.astimezone(calendar.local_zone())
    day = local.date() - timedelta(days=1) if local.time() == datetime.min.time() else local.date()
    return day.isoformat()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@PLAN_DEADLINE.function
def plan_deadline(req: DeadlineRequest) -> DeadlinePlan:
    """The due date and the timer points of reminders, escalation and disciplinary proposal."""
    rules: ControlRules = req.rules
    now = datetime.fromisoformat(req.now)
    start = datetime.fromisoformat(req.start)
    if req.due_date:
        due = calendar.previous_working_day(date.fromisoformat(req.due_date))
    elif req.from_receipt:
        due = calendar.due_date(start, req.term_working_days)
    else:
        due = calendar.add_working_days(start.astimezone(calendar.local_zone()).date(), req.term_working_days)
    due_at = calendar.end_of_day(due)
    points: list[TimerPoint] = []
    for days in sorted(rules.reminder_working_days_before, reverse=True):
        legal = calendar.at_local(calendar.working_days_before(due, days), rules.reminder_hour)
        if legal > now:  # a reminder already in the past at planning time would only be noise
            points.append(TimerPoint("reminder", _utc(legal), _utc(_compress(now, legal, rules)), days))
    points.append(TimerPoint("escalation", _utc(due_at), _utc(_compress(now, due_at, rules)), 0))
    grace = rules.disciplinary_grace_working_days
    proposal_at = calendar.end_of_day(
        calendar.add_working_days(calendar.next_working_day(due + timedelta(days=1)), grace)
    )
    points.append(TimerPoint("disciplinary", _utc(proposal_at), _utc(_compress(now, proposal_at, rules)), grace))
    if req.watch_hearing_start:
        # The last day a preliminary decision can be sent so that the hearing (counted from the next
        # day) and then the decision still fit inside the term (APPC art. 73, 76; issue 21): the
        # decision comes after the hearing, so the hearing ends before the term's last working day.
        start_by = calendar.working_days_before(due, rules.hearing_working_days + 1)
        legal = calendar.at_local(start_by, rules.reminder_hour)
        if legal > now:
            point = TimerPoint(
                "hearing_start", _utc(legal), _utc(_compress(now, legal, rules)), rules.hearing_working_days
            )
            point.local_day = start_by.isoformat()
            points.append(point)
    forward_by = registered_on = ""
    if req.from_receipt:
        registered = calendar.registration_day(start)
        registered_on = registered.isoformat()
        forward_day = calendar.add_working_days(registered, rules.forward_working_days)
        forward_end = calendar.end_of_day(forward_day)
        forward_by = _utc(forward_end)
        if req.watch_forwarding:
            remind = calendar.at_local(forward_day, rules.reminder_hour)
            if remind > now:
                points.append(TimerPoint("forward_reminder", _utc(remind), _utc(_compress(now, remind, rules)), 0))
            points.append(TimerPoint("forward_escalation", forward_by, _utc(_compress(now, forward_end, rules)), 0))
    for point in points:
        point.local_day = point.local_day or _day_of(datetime.fromisoformat(point.legal_at))
    return DeadlinePlan(
        due_date=due.isoformat(),
        due_at=_utc(due_at),
        points=points,
        forward_by=forward_by,
        registered_on=registered_on,
        term_days=_working_days_through(now, due),
    )


def _working_days_through(now: datetime, due: date) -> list[str]:
    """The working days from today through the term's last day (at most a year's worth): those
    not yet over are the working days left, which a workflow counts without the calendar."""
    day = now.astimezone(calendar.local_zone()).date()
    days: list[str] = []
    while day <= due and len(days) < 260:
        if calendar.is_working_day(day):
            days.append(day.isoformat())
        day += timedelta(days=1)
    return days


@PLAN_WORKING_TIME.function
def plan_working_time(req: WorkingTimeRequest) -> TimerPoint:
    """The end of `working_days` working days from `start` (day 1 = the start day), as a timer point."""
    now = datetime.fromisoformat(req.now)
    start = datetime.fromisoformat(req.start).astimezone(calendar.local_zone()).date()
    end = calendar.end_of_day(calendar.add_working_days(start, req.working_days))
    fire = _compress(now, end, req.rules)
    return TimerPoint(req.kind, _utc(end), _utc(fire), req.working_days, local_day=_day_of(end))


ACTIVITIES = [check_policies, route_case, plan_deadline, plan_working_time]
