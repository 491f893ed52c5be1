"""What the periodic reconciliation compares and finds (issue 20): the registry's open cards
against the cases running in Temporal."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReconcileRequest:
    day: str = ""  # the moment the check is for (the workflow fixes it: a retry writes the same notice)
    settle_seconds: float = 5.0  # a difference is looked at again after this, so a move in flight is not one


@dataclass
class Difference:
    reg_number: str
    what: str  # "open card, no running case" | "running case, card closed" | "running case, no card" | "state differs"
    detail: str


@dataclass
class ReconcileResult:
    open_cards: int = 0
    running_cases: int = 0
    differences: list[Difference] = field(default_factory=list)
