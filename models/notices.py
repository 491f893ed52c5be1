"""Letters, notices, proposals and documents the workflows ask activities to produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.case_status import ExecutorTrack, ProposalState
from models.errors import InputError

# The department's staff recipients of notices, by code: the cases write them, the outbox relay
# finds their mailboxes (policies/delivery.yaml) and alerts the controller of a failed delivery.
HEAD_RECIPIENT = "head-of-department"
CONTROLLER_RECIPIENT = "department-controller"
AKIM_RECIPIENT = "akim-office"  # an undecided disciplinary proposal is escalated there (issue 21)
REGISTRY_RECIPIENT = "registry-office"  # the registrars: an e-mail to the intake waits unregistered (issue 25)


@dataclass
class NotificationRequest:
    reg_number: str
    key: str  # idempotency key: one notification per key, whatever the retries
    recipient: str
    template: str
    language: str
    context: dict[str, str]


@dataclass
class ProposalRequest:
    reg_number: str
    key: str
    executor: str
    due_date: str
    overdue_working_days: int
    language: str
    context: dict[str, str]


@dataclass
class InstructionProposalRequest:
    reg_number: str
    key: str
    executors: list[str]
    reason: str
    language: str
    context: dict[str, str]


@dataclass
class ProposalStatusRequest:
    key: str
    status: str
    actor: str
    reason: str = ""


@dataclass
class ConclusionRequest:
    reg_number: str
    key: str
    language: str
    context: dict[str, str]
    executors: list[ExecutorTrack]
    proposals: list[ProposalState]


@dataclass
class HalfYearRequest:
    period_end: str  # ISO date the half-year ends on (the report covers the six months before)


@dataclass
class ReportRequest:
    """A report to write (ReportWorkflow, started by a schedule or the CLI). The period is the one
    before `day` that the kind covers (half-year, the month, the week), unless `start`/`end` say."""

    kind: str
    language: str = ""  # "" = both, Russian and Kazakh
    district: str = ""  # "" for a district card: one card per district
    day: str = ""  # ISO date; "" = the workflow's current date
    start: str = ""
    end: str = ""


# paper: the post's bundle (issue 24); mail-drafts: the intake's e-mails waiting past their term (issue 25)
REPORT_KINDS = ("systemic", "district", "performance", "half-year", "digest", "paper", "mail-drafts")


def parse_report_request(raw: Any) -> ReportRequest:
    """A report request from whatever a client sent (the Web UI, the CLI, a schedule): every
    field checked here, so bad input fails the start naming the field, never a workflow task."""
    from models.fields import choice_field, object_field, text_field

    data = object_field(raw, "request")
    request = ReportRequest(
        kind=choice_field(data, "kind", REPORT_KINDS),
        language=text_field(data, "language", required=False, limit=2),
        district=text_field(data, "district", required=False, limit=40),
        day=text_field(data, "day", required=False, limit=40),
        start=text_field(data, "start", required=False, limit=10),
        end=text_field(data, "end", required=False, limit=10),
    )
    if request.language not in ("", "ru", "kk"):
        raise InputError("language", f"unknown value {request.language!r}; allowed: ru, kk (or empty for both)")
    if bool(request.start) != bool(request.end):
        raise InputError("start, end", "give both, or neither for the period the kind covers")
    return request


@dataclass
class ReportResult:
    kind: str
    paths: list[str]
    summary: dict[str, int]


@dataclass
class RelayRequest:
    """One run of the outbox relay: up to `batch` due notices (0: the policy's batch)."""

    batch: int = 0


@dataclass
class RelayResult:
    sent: int = 0
    retried: int = 0  # a temporary failure: tried again later
    failed: int = 0  # failed for good (the controller is told)
    waiting: int = 0  # due but their channel is not configured here
    remaining: int = 0  # due notices left after this run
    failed_cases: list[str] = field(default_factory=list)  # the cases whose notice failed for good
    news: list[str] = field(default_factory=list)  # cases whose watched letter was sent or failed (issue 24)


# A case's letters whose delivery the law watches (issue 24): the answer is given, and the applicant
# told of an extension, when the letter reaches them (domain.md, "answered and delivered").
WATCHED_LETTERS = ("answer_letter", "extension_notice")
DELIVERY_NEWS = "delivery_news"  # the internal signal that tells a case its letter moved on (it reads the registry)


@dataclass
class DeliveryQuery:
    """Which of a case's letters to read the delivery of (none: every letter to the applicant)."""

    reg_number: str
    keys: list[str] = field(default_factory=list)


@dataclass
class DeliveryFact:
    """A letter's delivery as the registry holds it. `reached_at` is the moment it counts as
    delivered by its channel's rule (policies/delivery.yaml delivered_when), "" until then."""

    key: str
    template: str
    status: str  # queued | sent | delivered | failed | held
    channel: str = ""
    reached_at: str = ""  # UTC ISO
    error: str = ""
    tracking: str = ""  # the post's tracking number (paper)
    to_applicant: bool = True  # not a staff notice

    def not_yet_out(self) -> bool:
        """Still to leave: queued (any channel, or none yet) or failed; can be posted or handed over."""
        return self.to_applicant and self.status in ("queued", "failed")


@dataclass
class DeliveryFacts:
    facts: list[DeliveryFact] = field(default_factory=list)

    def of(self, key: str) -> DeliveryFact | None:
        return next((f for f in self.facts if f.key == key), None)


@dataclass
class OutboxChange:
    """A change to a letter made by a move on its case, written with the move's event."""

    key: str
    action: str  # requeue | posted
    address: str = ""  # requeue: the corrected contact ("" keeps it)
    tracking: str = ""  # posted: the post's tracking number
    at: str = ""  # posted: when (the move's time, UTC ISO)
