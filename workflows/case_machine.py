"""Runs any workflow kind's transition table for one case: permissions, conditions, refusals.

The table is data (a list of dicts in the kind's `*_table` module); `transitions` executes it.
Extra keys in a row are ours: `requires` (payload fields the move needs), `details` (the schema
of the move's `details`), `closure` (the reason a move into `closed` records), `system` (a
move only the workflow itself makes) and `handler` (the workflow method that makes the move, when
a table version makes it otherwise than `on_<trigger>`: the version names its own behaviour, as
pytransitions names callbacks in a row, so a version is deleted in one place). Conditions are
named methods of the case object; each receives the move and the workflow time as arguments
(never through the case) and has an `explain_<name>` method that says, in words, why it blocks.

A table has a version. A case runs under the version it was registered with (recorded in its
history by a patch marker and carried across runs), so changing a row never changes the rules
of cases already running; see "Changing a table" in the README.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import partial
from typing import Any

from temporalio import workflow

from models.moves import Actor, MoveRequest
from models.permissions import PermissionMatrix
from models.schema import filled_fields
from runtime.failures import Reason

with workflow.unsafe.imports_passed_through():
    from transitions import Event, Machine, Transition

STATES = ["registered", "routed", "under_consideration", "returned_for_finalization", "answered", "closed"]
OUR_KEYS = ("requires", "closure", "description", "system", "details", "handler")


# A row every kind's table has: retry side effects that failed for good, in any state.
RETRY_SIDE_EFFECTS: dict[str, Any] = {
    "trigger": "retry_side_effects",
    "source": STATES,
    "dest": None,
    "description": "retry letters, notices or documents that failed for good, once the cause is fixed",
}


@dataclass(frozen=True)
class Table:
    """One workflow kind's states and moves, as data, at one version."""

    kind: str
    transitions: list[dict[str, Any]]
    version: int = 1
    states: list[str] = field(default_factory=lambda: list(STATES))
    initial: str = "registered"
    # What a version changed beyond its rows, by name (e.g. "legal_term_apart"), for the few places
    # outside a move's handler that differ between versions (planning, notices, attributes).
    features: frozenset[str] = frozenset()

    def has(self, feature: str) -> bool:
        return feature in self.features

    def handler(self, trigger: str) -> str:
        """The workflow method that makes the trigger's move under this version."""
        return next((str(r["handler"]) for r in self.rows(trigger) if r.get("handler")), f"on_{trigger}")

    def triggers(self) -> list[str]:
        return sorted({row["trigger"] for row in self.transitions})

    def operator_triggers(self) -> list[str]:
        """Triggers an operator may send (the others the workflow makes itself)."""
        return [t for t in self.triggers() if not any(r.get("system") for r in self.rows(t))]

    def operator_triggers_from(self, state: str) -> list[str]:
        """The operator triggers some row allows from `state` (conditions aside)."""
        return [t for t in self.operator_triggers() if state in self.sources(t)]

    def description(self, trigger: str) -> str:
        return next((str(r["description"]) for r in self.rows(trigger) if r.get("description")), "")

    def details_schema(self, trigger: str) -> type | None:
        """The schema of the trigger's `details` (None: the trigger takes none)."""
        return next((r["details"] for r in self.rows(trigger) if r.get("details")), None)

    def rows(self, trigger: str) -> list[dict[str, Any]]:
        return [row for row in self.transitions if row["trigger"] == trigger]

    def sources(self, trigger: str) -> list[str]:
        found: list[str] = []
        for row in self.rows(trigger):
            for src in _as_list(row["source"]):
                if src not in found:
                    found.append(src)
        return found

    def conditions(self) -> list[str]:
        """Every condition the table names (each needs a method and an explanation on the case)."""
        names: list[str] = []
        for row in self.transitions:
            for name in [*_as_list(row.get("conditions")), *_as_list(row.get("unless"))]:
                if name not in names:
                    names.append(name)
        return names

    def machine_rows(self) -> list[dict[str, Any]]:
        """The rows as `transitions` expects them (our own keys removed)."""
        return [{k: v for k, v in row.items() if k not in OUR_KEYS} for row in self.transitions]


@dataclass(frozen=True)
class TableVersions:
    """Every version of one kind's table, oldest first; new cases take the newest. `examples`
    holds a payload for each operator trigger (what to type in the Web UI's Signal dialog, the
    actor aside: the codec server seals the logged-in user into it); a test parses each one."""

    tables: tuple[Table, ...]
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def current(self) -> Table:
        return self.tables[-1]

    def version(self, number: int) -> Table:
        return next(t for t in self.tables if t.version == number)

    def operator_triggers(self) -> list[str]:
        return sorted({t for table in self.tables for t in table.operator_triggers()})

    def description(self, trigger: str) -> str:
        return next((t.description(trigger) for t in reversed(self.tables) if t.description(trigger)), "")

    def example(self, trigger: str) -> str:
        """The trigger's example payload as one line of JSON. A move names its case and trigger, which
        its seal binds (issue 20); the case card's payloads carry the case's own number."""
        return json.dumps(bound_example(CASE_PLACEHOLDER, trigger, self.examples.get(trigger, {})), ensure_ascii=False)

    def signal_description(self, trigger: str) -> str:
        """What the Web UI shows for the trigger's signal: what it does and a payload to start from."""
        return f"{self.description(trigger)}. Payload: {self.example(trigger)}"

    def for_new_case(self) -> Table:
        """The version a case registered now runs under. Each version after the first is recorded
        by a patch marker, so a history recorded under an older version replays under it."""
        chosen = self.tables[0]
        for table in self.tables[1:]:
            if workflow.patched(f"{table.kind}-table-v{table.version}"):
                chosen = table
        return chosen


CASE_PLACEHOLDER = "<номер дела / іс нөмірі>"


def bound_example(case: str, trigger: str, example: dict[str, Any]) -> dict[str, Any]:
    """A payload to start from: the case and the trigger first (a seal binds both), then the fields."""
    return {"case": case, "trigger": trigger, **example}


def as_version_reads(table: Table, newest: Table, trigger: str, example: dict[str, Any]) -> dict[str, Any]:
    """An example payload (written for the newest table) as a case under `table` reads it: a
    field the newest details name is sent flat (`target`, `new_deadline`) where the case's own
    version has no such details, and details its version does not know are left out."""
    new_schema, own_schema = newest.details_schema(trigger), table.details_schema(trigger)
    if new_schema is own_schema or new_schema is None:
        return example
    details = dict(example.get("details") or {})
    payload = {key: value for key, value in example.items() if key != "details"}
    for name, flat in filled_fields(new_schema).items():
        if name in details:
            payload[flat] = str(details.pop(name))
    known = {f.name for f in fields(own_schema)} if own_schema else set()
    kept = {key: value for key, value in details.items() if key in known}
    return {**payload, "details": kept} if kept else payload


def revised(
    rows: list[dict[str, Any]], changed: dict[str, dict[str, Any]], added: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The next version of a table, written as what changes: `changed` gives the keys that change
    in the row of each trigger (an empty list or None removes a key), `added` the new rows placed
    after the row of the trigger named. Reviewers read a new version as this difference."""
    result: list[dict[str, Any]] = []
    for row in rows:
        new = {**row, **changed.get(row["trigger"], {})}
        result.append({k: v for k, v in new.items() if v not in ([], None) or k == "dest"})
        result.extend(added.get(row["trigger"], []))
    return result


def case_only(condition: Callable[[Any, MoveRequest, datetime], bool]) -> Callable[[Any, MoveRequest, datetime], bool]:
    """Mark a condition that reads only the case and the time, never the move: the card evaluates
    it to offer only the moves that can be made now (`CaseMachine.offered`)."""
    condition.case_only = True  # type: ignore[attr-defined]
    return condition


def _has_fields(required: tuple[str, ...], move: MoveRequest, now: datetime) -> bool:
    return all(getattr(move, name) for name in required)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class CaseModel:
    """Base of each kind's case object (a dataclass of the case's facts, carried across runs):
    the `transitions` model whose named methods are conditions."""

    state: str
    executor: str

    def is_assigned(self, actor_id: str) -> bool:
        """Whether the acting person is this case's executor (own-only roles act only then)."""
        return actor_id == self.executor

    def explain(self, condition: str, move: MoveRequest, now: datetime) -> str:
        explain = getattr(self, f"explain_{condition}", None)
        return explain(move, now) if explain else f"condition {condition!r} is not met"


@dataclass
class Step:
    """An allowed move made on the machine: where it went and what the row says of it."""

    from_state: str
    to_state: str
    closure: str


_NOBODY = Actor(id="", role="")  # the move a case-only condition is asked with on the card


class RowTransition(Transition):
    """A transition that knows the table row it was made from."""

    def __init__(self, *args: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row = row or {}


class RowEvent(Event):
    """An event whose trigger answers with the transition that fired (False if none did), so the
    machine alone selects the row and its caller learns which, without a callback on the case."""

    def _process(self, event_data: Any) -> bool:
        super()._process(event_data)
        if event_data.result:
            event_data.result = event_data.transition
        return bool(event_data.result)


class TableMachine(Machine):  # type: ignore[misc]
    transition_cls = RowTransition
    event_cls = RowEvent


# One machine per table version, shared by every case that runs under it. It holds no case's state
# (a case's state is its `state` field, passed in as the model at each call) and nothing per call,
# so cases on several workflow-task threads use it at once. Building one per case was 58% of an
# open case's memory in the worker and 6% of the CPU of a burst of reminders (issue 27).
_MACHINES: dict[int, tuple[Table, TableMachine]] = {}


def table_machine(table: Table) -> TableMachine:
    held = _MACHINES.get(id(table))
    if held is None or held[0] is not table:
        machine = TableMachine(
            model=None,
            states=table.states,
            transitions=[_machine_row(row) for row in table.transitions],
            initial=table.initial,
            auto_transitions=False,
            send_event=False,
        )
        held = _MACHINES.setdefault(id(table), (table, machine))
    return held[1]


def _machine_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as `transitions` runs it: the fields it requires are its first condition, so the
    machine alone selects the row (once per check, once per move), and the transition keeps its row
    (for its closure)."""
    machine_row = {k: v for k, v in row.items() if k not in OUR_KEYS}
    required = tuple(row.get("requires", []))
    if required:
        machine_row["conditions"] = [partial(_has_fields, required), *_as_list(row.get("conditions"))]
    machine_row["row"] = row
    return machine_row


class CaseMachine:
    """Decides whether a move is allowed and, if so, makes it, on its table's shared machine.
    Keeps no state of its own: the state is the case object's `state` field."""

    def __init__(self, table: Table, case: CaseModel) -> None:
        self.table = table
        self.case = case
        self.machine = table_machine(table)

    @property
    def state(self) -> str:
        return self.case.state

    def refusal(
        self, move: MoveRequest, now: datetime, permissions: PermissionMatrix | None, *, system: bool = False
    ) -> str | None:
        """Why `move` may not be made now, in words an operator can act on; None if it may."""
        kind, trig, state = self.table.kind, move.trigger, self.case.state
        if trig not in self.table.triggers():
            known = ", ".join(self.table.triggers())
            return Reason(f"unknown trigger {trig!r} for {kind}; known triggers: {known}", "unknown_trigger", move=trig)
        if not system:
            denied = self._permission_refusal(move, permissions)
            if denied:
                return denied
        sources = self.table.sources(trig)
        if state not in sources:
            allowed = ", ".join(sources)
            return Reason(
                f"{trig!r} is not allowed in state {state!r} (table rule: allowed from {allowed})",
                "not_in_state",
                move=trig,
                state=state,
            )
        if self.machine._can_trigger(self.case, trig, move, now):  # noqa: SLF001 (the model's may_trigger)
            return None
        # Refused: say why, from the first row for this source (as `transitions` would try them).
        for row in self.table.rows(trig):
            if state in _as_list(row["source"]):
                refusal = self._row_refusal(row, move, now)
                if refusal:
                    return refusal
        return Reason(
            f"{trig!r} refused in state {state!r} by the transition table", "not_in_state", move=trig, state=state
        )

    def _row_refusal(self, row: dict[str, Any], move: MoveRequest, now: datetime) -> str | None:
        """Why a row does not fire (only asked once the machine has refused the move)."""
        trig, state, case = move.trigger, self.case.state, self.case
        for name in row.get("requires", []):
            if not getattr(move, name):
                return Reason(f"{trig!r} requires the field {name!r}", "field_required", move=trig, field=name)
        for cond in _as_list(row.get("conditions")):
            if not getattr(case, cond)(move, now):
                why = case.explain(cond, move, now)
                text = f"{trig!r} refused in state {state!r}: {why} (condition {cond})"
                return Reason(text, "condition", move=trig, condition=cond, explanation=why)
        for cond in _as_list(row.get("unless")):
            if getattr(case, cond)(move, now):
                why = case.explain(cond, move, now)
                text = f"{trig!r} refused in state {state!r}: {why} (unless {cond})"
                return Reason(text, "condition", move=trig, condition=cond, explanation=why)
        return None

    def offered(self, trigger: str, now: datetime) -> bool:
        """Whether the card offers the trigger now: some row for the current state whose conditions
        that read only the case (marked `@case_only`) hold, and whose conditions that read the move
        have an `offer_<name>` on the case that holds. The rest is checked when the move is sent."""
        case, blank = self.case, MoveRequest(trigger=trigger, actor=_NOBODY)
        for row in self.table.rows(trigger):
            if case.state not in _as_list(row["source"]):
                continue
            met = True
            for cond in _as_list(row.get("conditions")):
                method = getattr(case, cond)
                offer = getattr(case, f"offer_{cond}", None)
                if getattr(method, "case_only", False):
                    met = met and method(blank, now)
                elif offer is not None:
                    met = met and offer(now)
            for cond in _as_list(row.get("unless")):
                method = getattr(case, cond)
                if getattr(method, "case_only", False):
                    met = met and not method(blank, now)
            if met:
                return True
        return False

    def _permission_refusal(self, move: MoveRequest, matrix: PermissionMatrix | None) -> str | None:
        role, trig = move.actor.role, move.trigger
        if matrix is None:
            return Reason("the case is still being registered; try again in a moment", "still_registering")
        if role not in matrix.grants:
            roles = ", ".join(matrix.roles())
            return Reason(f"role {role!r} is not a role of this system (roles: {roles})", "unknown_role", role=role)
        if not matrix.allows(role, trig):
            allowed = ", ".join(matrix.roles_for(trig)) or "nobody"
            text = f"role {role!r} may not trigger {trig!r} (permissions policy: allowed to {allowed})"
            return Reason(text, "role_may_not", role=role, move=trig, allowed=",".join(matrix.roles_for(trig)))
        acting_for = move.actor.unit or move.actor.id  # an authenticated executor acts for their unit
        if role in matrix.own_only and not self.case.is_assigned(acting_for):
            assigned = self.case.executor or "nobody yet"
            text = f"{role} {acting_for!r} may act only on cases assigned to them (assigned: {assigned})"
            return Reason(text, "own_cases_only", role=role, assigned=self.case.executor)
        return None

    def apply(self, move: MoveRequest, now: datetime) -> Step:
        """Make an allowed move (call `refusal` first)."""
        before = self.case.state
        fired = self.machine.events[move.trigger].trigger(self.case, move, now)
        if not isinstance(fired, RowTransition):
            raise RuntimeError(f"{move.trigger!r} did not fire in {before!r}: call refusal() first")
        return Step(before, self.case.state, str(fired.row.get("closure") or ""))
