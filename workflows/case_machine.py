"""Runs any workflow kind's transition table for one case: permissions, refusals, history.

The table is data (a list of dicts in the kind's `*_table` module); `transitions` executes it.
Extra keys in a row are ours: `requires` (payload fields the move needs), `closure` (the
reason a move into `closed` records) and `system` (a move only the workflow itself makes).
Conditions are named methods of the case object, and each has an `explain_<name>` method that
says, in words, why it blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import workflow

from models.moves import MoveRecord, MoveRequest
from models.permissions import PermissionMatrix

with workflow.unsafe.imports_passed_through():
    from transitions import Machine

STATES = ["registered", "routed", "under_consideration", "returned_for_finalization", "answered", "closed"]
OUR_KEYS = ("requires", "closure", "description", "system")


@dataclass(frozen=True)
class Table:
    """One workflow kind's states and moves, as data."""

    kind: str
    transitions: list[dict[str, Any]]
    states: list[str] = field(default_factory=lambda: list(STATES))
    initial: str = "registered"

    def triggers(self) -> list[str]:
        return sorted({row["trigger"] for row in self.transitions})

    def operator_triggers(self) -> list[str]:
        """Triggers an operator may send (the others the workflow makes itself)."""
        return [t for t in self.triggers() if not any(r.get("system") for r in self.rows(t))]

    def description(self, trigger: str) -> str:
        return next((str(r["description"]) for r in self.rows(trigger) if r.get("description")), "")

    def rows(self, trigger: str) -> list[dict[str, Any]]:
        return [row for row in self.transitions if row["trigger"] == trigger]

    def sources(self, trigger: str) -> list[str]:
        found: list[str] = []
        for row in self.rows(trigger):
            for src in _as_list(row["source"]):
                if src not in found:
                    found.append(src)
        return found

    def machine_rows(self) -> list[dict[str, Any]]:
        """The rows as `transitions` expects them (our own keys removed)."""
        return [{k: v for k, v in row.items() if k not in OUR_KEYS} for row in self.transitions]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class CaseModel:
    """Base of each kind's case object: the `transitions` model whose named methods are conditions."""

    state: str
    pending: MoveRequest | None = None
    executor: str = ""
    now: datetime | None = None  # workflow time, set before each check (conditions may compare with it)

    def is_assigned(self, actor_id: str) -> bool:
        """Whether the acting person is this case's executor (own-only roles act only then)."""
        return actor_id == self.executor

    def explain(self, condition: str) -> str:
        explain = getattr(self, f"explain_{condition}", None)
        return explain() if explain else f"condition {condition!r} is not met"


class CaseMachine:
    """Decides whether a move is allowed and, if so, makes it and records it."""

    def __init__(self, table: Table, case: CaseModel, initial: str | None = None) -> None:
        self.table = table
        self.case = case
        self.permissions: PermissionMatrix | None = None
        self.history: list[MoveRecord] = []
        Machine(
            model=case,
            states=table.states,
            transitions=table.machine_rows(),
            initial=initial or table.initial,  # a continued run resumes in its carried state
            auto_transitions=False,
            send_event=False,
        )

    @property
    def state(self) -> str:
        return self.case.state

    def refusal(self, move: MoveRequest, *, system: bool = False) -> str | None:
        """Why `move` may not be made now, in words an operator can act on; None if it may."""
        kind, trig, state = self.table.kind, move.trigger, self.case.state
        if trig not in self.table.triggers():
            return f"unknown trigger {trig!r} for {kind}; known triggers: {', '.join(self.table.triggers())}"
        if not system:
            denied = self._permission_refusal(move)
            if denied:
                return denied
        sources = self.table.sources(trig)
        if state not in sources:
            return f"{trig!r} is not allowed in state {state!r} (table rule: allowed from {', '.join(sources)})"
        # Like `transitions`: the first row (for this source) whose requirements and conditions hold wins.
        first_refusal: str | None = None
        for row in self.table.rows(trig):
            if state not in _as_list(row["source"]):
                continue
            refusal = self._row_refusal(row, move)
            if refusal is None:
                return None
            first_refusal = first_refusal or refusal
        return first_refusal

    def _row_refusal(self, row: dict[str, Any], move: MoveRequest) -> str | None:
        trig, state = move.trigger, self.case.state
        for name in row.get("requires", []):
            if not getattr(move, name):
                return f"{trig!r} requires the field {name!r}"
        self.case.pending = move
        try:
            for cond in _as_list(row.get("conditions")):
                if not getattr(self.case, cond)():
                    return f"{trig!r} refused in state {state!r}: {self.case.explain(cond)} (condition {cond})"
            for cond in _as_list(row.get("unless")):
                if getattr(self.case, cond)():
                    return f"{trig!r} refused in state {state!r}: {self.case.explain(cond)} (unless {cond})"
            if not self.case.may_trigger(trig):  # type: ignore[attr-defined]
                return f"{trig!r} refused in state {state!r} by the transition table"
        finally:
            self.case.pending = None
        return None

    def _permission_refusal(self, move: MoveRequest) -> str | None:
        matrix, role, trig = self.permissions, move.actor.role, move.trigger
        if matrix is None:
            return "the case is still being registered; try again in a moment"
        if role not in matrix.grants:
            return f"role {role!r} is not a role of this system (roles: {', '.join(matrix.roles())})"
        if not matrix.allows(role, trig):
            allowed = ", ".join(matrix.roles_for(trig)) or "nobody"
            return f"role {role!r} may not trigger {trig!r} (permissions policy: allowed to {allowed})"
        if role in matrix.own_only and not self.case.is_assigned(move.actor.id):
            assigned = self.case.executor or "nobody yet"
            return f"{role} {move.actor.id!r} may act only on cases assigned to them (assigned: {assigned})"
        return None

    def apply(self, move: MoveRequest, now: datetime, detail: dict[str, str] | None = None) -> MoveRecord:
        """Make an allowed move (call `refusal` first) and append it to the history."""
        before = self.case.state
        row = next(
            r
            for r in self.table.rows(move.trigger)
            if before in _as_list(r["source"]) and self._row_refusal(r, move) is None
        )
        self.case.pending = move
        try:
            if not self.case.trigger(move.trigger):  # type: ignore[attr-defined]
                raise RuntimeError(f"{move.trigger!r} did not fire in {before!r}: call refusal() first")
        finally:
            self.case.pending = None
        extra = dict(detail or {})
        if row.get("closure"):
            extra["closure"] = row["closure"]
        record = MoveRecord(
            seq=len(self.history) + 1,
            trigger=move.trigger,
            actor_id=move.actor.id,
            actor_role=move.actor.role,
            from_state=before,
            to_state=self.case.state,
            at=now.isoformat(),
            reason=move.reason,
            detail=extra,
        )
        self.history.append(record)
        return record
