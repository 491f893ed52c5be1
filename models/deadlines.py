"""Terms and the timer points that watch them."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.policy_snapshot import ControlRules


@dataclass
class DeadlineRequest:
    """Plan a term: either `term_working_days` counted from `start`, or an explicit `due_date`."""

    reg_number: str
    now: str  # workflow time (UTC ISO); compressed timing counts from here
    start: str
    rules: ControlRules
    term_working_days: int = 0
    due_date: str = ""
    from_receipt: bool = False  # count from receipt (after-hours and day-off rules apply)
    watch_forwarding: bool = False  # points for the 3-working-day forwarding term (from receipt)
    watch_hearing_start: bool = False  # a point on the last day a hearing can start inside the term


@dataclass
class TimerPoint:
    """A moment the case must act at; removed from the case once it has fired."""

    kind: str  # reminder | escalation | disciplinary | hearing_end | proposal_term | reception_reminder | no_show
    legal_at: str  # the legal moment (UTC ISO)
    fire_at: str  # when the workflow's timer fires (UTC ISO; earlier than legal_at in demo timing)
    working_days: int = 0  # reminders: working days before the term; disciplinary: working days overdue
    hours_before: int = 0  # reception reminders: hours before the slot
    local_day: str = ""  # the local date of legal_at (ISO), for terms shown to people

    def key(self) -> str:
        """The point's idempotency key: what it writes or sends happens once per point."""
        return f"{self.kind}-{self.legal_at}"


@dataclass
class DeadlinePlan:
    due_date: str
    due_at: str
    points: list[TimerPoint]
    forward_by: str = ""  # end of the term to forward outside competence (UTC ISO), from receipt only
    registered_on: str = ""  # the day the term counts from (ISO date), from receipt only
    term_days: list[str] = field(default_factory=list)  # the working days from today through the term (ISO dates)


@dataclass
class WorkingTimeRequest:
    now: str
    start: str
    working_days: int
    kind: str
    rules: ControlRules
