"""The policy values a case runs under, snapshotted from `policies/` at registration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class ControlRules:
    """Deadline-control values one case runs under, snapshotted from policy at registration."""

    forward_working_days: int
    hearing_working_days: int
    finalization_working_days: int
    extension_max_months: int
    reminder_working_days_before: list[int]
    reminder_hour: int
    disciplinary_grace_working_days: int
    staff_language: str
    seconds_per_working_day: float | None = None
    utc_offset_minutes: int = 300  # the local zone's offset at registration (policies/terms.yaml timezone)
    lead_seconds: int = 0  # benchmarks only: timers fire this long before the legal moment (runtime/settings.py)
    keep_refusals: int = 100  # policies/limits.yaml
    keep_timeline: int = 300
    new_run_after_events: int = 5000
    new_run_after_signals: int = 100
    seal_max_age_seconds: int = 300


@dataclass
class AppealPolicyRequest:
    """What an appeal's registration asks of the policies: its catalogue values and its term."""

    type: str
    category: str
    district: str
    executor: str = ""  # an executor named by an official (an instruction given at a reception) must be known
    kind: Literal["appeal"] = "appeal"  # tells the kinds' requests apart when the activity decodes one


@dataclass
class ReceptionPolicyRequest:
    category: str
    district: str
    official: str  # the official asked for must receive citizens (policies/receptions.yaml)
    kind: Literal["reception"] = "reception"


@dataclass
class InstructionPolicyRequest:
    issuer: str  # the President or the Presidential Administration (policies/instructions.yaml)
    executors: list[str] = field(default_factory=list)  # every executor must be known
    kind: Literal["instruction"] = "instruction"


# One request per kind (issue 22, step 2): an instruction's issuer is not an appeal's type.
PolicyRequest = AppealPolicyRequest | ReceptionPolicyRequest | InstructionPolicyRequest


@dataclass
class ReceptionRules:
    reminder_hours_before: list[int]
    no_show_grace_minutes: int
    instruction_max_working_days: int


@dataclass
class AppealRules:
    """policies/appeals.yaml, as one appeal runs under it."""

    anonymous_forward_categories: list[str]
    anonymous_competent_body: str
    forward_bodies: list[str]
    closure_outcomes: dict[str, str]  # ground -> left_without_consideration | terminated
    extension_counted_from: str  # receipt | original_term
    extension_notice_working_days: int
    executors: list[str] = field(default_factory=list)  # policies/routing.yaml: whom an appeal may be reassigned to
    proposal_approval_working_days: int = 0  # policies/appeals.yaml disciplinary (0: a snapshot before issue 21)


@dataclass
class PolicySnapshot:
    term_working_days: int
    rules: ControlRules
    grants: dict[str, list[str]]
    own_only: list[str]
    suggested_executor: str
    reception: ReceptionRules | None = None
    instruction: InstructionRules | None = None
    appeal: AppealRules | None = None
    registering_roles: list[str] = field(default_factory=list)  # policies/registration.yaml ([]: before issue 20)
    receipt_clock_skew_seconds: int = 300  # policies/registration.yaml: how far ahead a receipt may be dated
    # The codes the card shows, by name in the staff language (policies/names.py); empty in a
    # snapshot taken before issue 23, whose card shows the codes.
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class InstructionRules:
    late_terms_for_proposal: int
    proposal_approval_working_days: int
    finalization_working_days: int
    continue_as_new_every_periods: int
    late_terms_for_proposal_once: int = 0  # one-term instructions (0: a snapshot taken before issue 21)
    issuer_office_unit: str = ""  # the unit whose users decide for this instruction's issuer ("": none)
