"""A Presidential (or Presidential Administration) instruction under control: the input and the
payload schemas of its moves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from models.appeal import LANGUAGES, MAX_TEXT_CHARS, parse_received_at
from models.appeal_moves import ISO_DATE
from models.errors import InputError
from models.fields import CASE_NUMBER, IDENTIFIER, choice_field, identifier, input_object, name_field, text_field
from models.schema import rule

ISSUERS = ("president", "state_adviser", "administration", "appeals_department", "akim")  # instructions.yaml
CONTROL_KINDS = ("once", "monthly")
NUMBER = re.compile(r"^[A-ZА-ЯӘҒҚҢӨҰҮҺІ]{2,4}-\d{4}-\d{6,8}$")
MAX_EXECUTORS = 30


@dataclass
class InstructionInput:
    reg_number: str
    issuer: str
    issuer_official: str
    text: str
    control: str  # once: one term; monthly: a report every month
    first_term: str  # ISO date of the (first) term
    periods: int = 1
    executors: list[str] = field(default_factory=list)  # first-named coordinates
    related_appeals: list[str] = field(default_factory=list)
    language: str = "ru"
    received_at: str = ""


@dataclass
class AssignDetails:
    """`assign`'s details: the executors; the first named coordinates."""

    executors: list[str] = rule(default_factory=list, items=MAX_EXECUTORS, limit=100, required=True, unique=True)


@dataclass
class FindingsDetails:
    """`record_findings`' details: the verdict of the check and who was found poor."""

    verdict: Literal["satisfactory", "poor"]
    poor_executors: list[str] = rule(default_factory=list, items=MAX_EXECUTORS, limit=100, required=True, unique=True)


@dataclass
class VerificationDetails:
    """`schedule_verification`'s details: where the on-site check takes place."""

    place: str = rule(default="", limit=300)


@dataclass
class IssuerDecision:
    """`approve_extension` / `refuse_extension`: the issuer's decision as the department records it.
    Only the issuer decides on a term it set (Decree No. 976; domain.md "Presidential
    instructions"): `decided_by` must be the instruction's issuer, `document_ref` its document."""

    decided_by: str = rule(limit=40, required=True)
    document_ref: str = rule(limit=200, required=True)


@dataclass
class IssuerDocument:
    """`approve_extension` / `refuse_extension` from table v3 (issue 21): the issuer is the
    instruction's own, never typed; the decision is recorded with the incoming document's number
    and date (both required), which the trail shows."""

    document_number: str = rule(limit=100, required=True)
    document_date: str = rule(limit=10, required=True, pattern=r"\d{4}-\d{2}-\d{2}")


def _names(raw: Any, field_name: str, limit: int, *, pattern: re.Pattern[str] = IDENTIFIER) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(field_name, "must be a list of identifiers")
    if len(raw) > limit:
        raise InputError(field_name, f"at most {limit} entries")
    raw = [identifier(x, f"{field_name}[{i}]", pattern) for i, x in enumerate(raw)]
    if len(set(raw)) != len(raw):
        raise InputError(field_name, "lists an entry twice")
    return [x.strip() for x in raw]


def parse_instruction(raw: Any) -> InstructionInput:
    """Check an instruction; raise InputError naming the first field that breaks a rule."""
    raw, number = input_object(raw, "instruction", NUMBER, "PRI-2026-000042")
    control = choice_field(raw, "control", CONTROL_KINDS)
    first_term = text_field(raw, "first_term")
    try:
        date.fromisoformat(first_term)
    except ValueError:
        raise InputError("first_term", f"not an ISO date (YYYY-MM-DD): {first_term!r}") from None
    periods = raw.get("periods", 1)
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= 60:
        raise InputError("periods", "must be a whole number from 1 to 60")
    if control == "once" and periods != 1:
        raise InputError("periods", "a one-term instruction has exactly 1 period")
    received = text_field(raw, "received_at")
    parse_received_at(received)
    related = _names(raw.get("related_appeals"), "related_appeals", 100, pattern=CASE_NUMBER)
    return InstructionInput(
        reg_number=number,
        issuer=choice_field(raw, "issuer", ISSUERS),
        issuer_official=name_field(raw, "issuer_official"),
        text=text_field(raw, "text", limit=MAX_TEXT_CHARS),
        control=control,
        first_term=first_term,
        periods=periods,
        executors=_names(raw.get("executors"), "executors", MAX_EXECUTORS),
        related_appeals=related,
        language=choice_field(raw, "language", LANGUAGES) if raw.get("language") else "ru",
        received_at=received,
    )


# Table v4 (issue 22, step 2): what `target` and `new_deadline` meant is named in each trigger's
# details; a client that still sends the flat field is read the same (`rule(fills=...)`).
@dataclass
class ReturnDetails:
    """`return_for_finalization`: a new term (none: the policy's finalization term)."""

    new_deadline: str = rule(default="", limit=10, pattern=ISO_DATE, fills="new_deadline")


@dataclass
class ExtensionAsked:
    """`request_extension`: the term the executors ask for."""

    new_deadline: str = rule(limit=10, required=True, pattern=ISO_DATE, fills="new_deadline")


@dataclass
class VerificationScheduled:
    """`schedule_verification`: the day and the place of the on-site check."""

    date: str = rule(limit=10, required=True, pattern=ISO_DATE, fills="new_deadline")
    place: str = rule(default="", limit=300)


@dataclass
class TransferDetails:
    """`transfer`: the executor the instruction is handed to."""

    executor: str = rule(limit=100, required=True, fills="target")
