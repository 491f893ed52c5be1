"""What workflows ask the registry to write: the case's card and its events."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

from models.moves import MoveRecord
from models.notices import NotificationRequest, OutboxChange

SUMMARY_CHARS = 2000  # enough for the problem an appeal raises; the full text stays in the case


@dataclass
class InstructionDetail:
    """What only an instruction's card keeps (before issue 22 its issuer was put in `category`)."""

    issuer: str  # president | administration (policies/instructions.yaml)
    control: str  # once | monthly
    issuer_official: str
    detail_of: Literal["instruction"] = "instruction"


@dataclass
class ReceptionDetail:
    """What only a reception's card keeps: the official asked for, the format and the slot."""

    official: str
    format: str
    slot_start: str = ""  # UTC ISO ("": not booked)
    place: str = ""
    detail_of: Literal["reception"] = "reception"


# The registry's per-kind detail (issue 22, step 2): the card's common columns are every kind's;
# what one kind alone has goes here, kept as JSON in the card's `detail` column.
KindDetail = InstructionDetail | ReceptionDetail


def detail_json(detail: KindDetail | None) -> str:
    return json.dumps(asdict(detail), ensure_ascii=False, sort_keys=True) if detail is not None else ""


def parse_detail(text: str) -> KindDetail | None:
    """A card's detail as written (None: the kind keeps none, or a card written before issue 22)."""
    data = json.loads(text) if text else {}
    kind = {"instruction": InstructionDetail, "reception": ReceptionDetail}.get(data.pop("detail_of", ""))
    return kind(**data) if kind else None


@dataclass
class CaseCard:
    """The registry card of a case: what records keeping needs, written by activities only."""

    reg_number: str
    kind: str
    appeal_type: str
    channel: str
    language: str
    category: str
    district: str
    applicant_kind: str
    applicant_identity: str
    applicant_name: str
    applicants_count: int
    addressee: str
    received_at: str
    state: str
    executor: str = ""
    deadline: str = ""
    overdue: bool = False
    possible_repeat_of: list[str] = field(default_factory=list)
    closure_reason: str = ""
    answer_character: str = ""
    parent: str = ""  # the reception an instruction was given at
    workflow_run: str = ""  # the first run of the workflow that registered the number (it runs once)
    registered_by: dict[str, str] = field(default_factory=dict)  # the start seal's id, name, role, auth
    related_to: list[str] = field(default_factory=list)  # earlier open appeals of the same applicant
    answered_late: bool = False  # approved after the legal term as it stood
    answer_excerpt: str = ""  # the answer's first words, shown when a later appeal repeats this one
    under_control: bool = False  # taken under the akim's control (seed 5.4)
    summary: str = ""  # the appeal's own words (its first SUMMARY_CHARS): what the content analysis reads
    detail: KindDetail | None = None  # what only this kind keeps


@dataclass
class RegisterResult:
    possible_repeat_of: list[str]  # earlier answered appeals of the applicant on the same category
    related_to: list[str] = field(default_factory=list)  # earlier appeals of the applicant still open
    earlier_answers: dict[str, str] = field(default_factory=dict)  # repeat number -> its answer


@dataclass
class RouteRequest:
    category: str
    district: str


@dataclass
class EventWrite:
    """One accepted move to append to the registry, with the card's fields after it."""

    card: CaseCard
    record: MoveRecord
    key: str  # idempotency key within the case: "move-<seq>" or a system event's key


@dataclass
class MoveCommit:
    """A move made for good: its event, the card after it, and the notices it sends, written in
    one transaction."""

    write: EventWrite
    notices: list[NotificationRequest] = field(default_factory=list)
    outbox: list[OutboxChange] = field(default_factory=list)  # a letter sent again or posted (issue 24)


@dataclass
class EventReceipt:
    """What `record_event`/`commit_move` wrote: a local activity's marker keeps only its result,
    so the audit trail reads the move from here (a server-side activity's input is in its
    scheduled event). A notice whose letter cannot be rendered is not written; the move stands
    and the workflow flags the notice for a retry after the fix."""

    key: str
    record: MoveRecord
    failed_notices: dict[str, str] = field(default_factory=dict)  # notice key -> why


@dataclass
class OutsideReset:
    """A run of a case that Temporal reset outside the engine (issue 20): the registry records it
    and alerts the head and the auditors; the card keeps its state (it never follows a rewind)."""

    reg_number: str
    base_run: str  # the run that was reset (the history's original run id)
    new_run: str
    at: str
    rewound_state: str  # the state the reset run came back in
    language: str = "ru"
