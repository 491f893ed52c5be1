"""A case's durable timers: points on the trail (reminders, terms, hearings), fired when due and
handled by name, as triggers are (issue 22, step 5): a kind handles a point in `on_point_<kind>`."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

from models.activity_names import PLAN_DEADLINE, PLAN_WORKING_TIME
from models.deadlines import DeadlinePlan, DeadlineRequest, TimerPoint, WorkingTimeRequest
from workflows.case_host import CaseT, InputT
from workflows.effects import Effects


class TimerPoints(Effects[InputT, CaseT]):
    def next_timer_delay(self) -> timedelta | None:
        if not self.trail.points:
            return None
        return min(datetime.fromisoformat(p.fire_at) for p in self.trail.points) - workflow.now()

    async def fire_due_points(self) -> None:
        now = workflow.now()
        due = sorted(
            (p for p in self.trail.points if datetime.fromisoformat(p.fire_at) <= now), key=lambda p: p.fire_at
        )
        self.trail.points = [p for p in self.trail.points if datetime.fromisoformat(p.fire_at) > now]
        for point in due:
            await self.guarded(f"timer {point.kind}", lambda point=point: self.on_timer(point))  # type: ignore[misc]

    async def on_timer(self, point: TimerPoint) -> None:
        """A due point is handled by the kind's `on_point_<kind>`; a point with no handler is
        noted, never silently dropped."""
        handler = getattr(self, f"on_point_{point.kind}", None)
        if handler is None:
            self.note("timer_unhandled", f"no handler for a {point.kind!r} point at {point.legal_at}")
            return
        await handler(point)

    async def working_days_after_today(self, days: int, kind: str) -> TimerPoint:
        """A timer point at the end of `days` working days counted from tomorrow (hearings,
        approval terms): the calendar is read by an activity, so replay never depends on it."""
        start = (workflow.now() + timedelta(days=1)).isoformat()
        request = WorkingTimeRequest(workflow.now().isoformat(), start, days, kind, self.rules_())
        return await self.call(PLAN_WORKING_TIME, request)

    async def plan_from_now(self, *, term_working_days: int = 0, due_date: str = "", **watch: bool) -> DeadlinePlan:
        """A term planned from now: `term_working_days` from today, or ending on `due_date`, with
        its reminders and escalation (the calendar is read by an activity)."""
        now = workflow.now().isoformat()
        request = DeadlineRequest(
            workflow.info().workflow_id,
            now,
            now,
            self.rules_(),
            term_working_days=term_working_days,
            due_date=due_date,
            **watch,
        )
        return await self.call(PLAN_DEADLINE, request)
