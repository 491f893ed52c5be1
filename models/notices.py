"""Letters, notices, proposals and documents the workflows ask activities to produce."""

from __future__ import annotations

from dataclasses import dataclass

from models.case_status import ExecutorTrack, ProposalState


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


@dataclass
class ReportResult:
    kind: str
    paths: list[str]
    summary: dict[str, int]
