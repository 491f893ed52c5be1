"""How a case shows itself: the `status` answer, the card on its Web UI page and its search
attributes. A kind adds its term, its lines, its own attributes and which moves it offers."""

from __future__ import annotations

import copy
from typing import Any

from temporalio import workflow

from models.case_status import CaseStatus
from models.registry_writes import CaseCard
from runtime import search_attributes as sa
from workflows.case_card import (
    CLOSURES,
    AllowedMove,
    CardFacts,
    language_of,
    local_moment,
    render_card,
    value_name,
)
from workflows.case_host import CaseHost, CaseT, InputT
from workflows.case_machine import as_version_reads, bound_example


class CaseView(CaseHost[InputT, CaseT]):
    @workflow.query(
        name="status",
        description="The case: state, term, executor, overdue flag, the kind's own facts and the full trail",
    )
    def status(self) -> CaseStatus:
        """What every kind shows, and the kind's own facts (its term, lateness and `facts` hooks)."""
        term, due_at = self.status_term()
        t = self.trail
        return CaseStatus(
            reg_number=workflow.info().workflow_id,
            kind=self.table.kind,
            state=self.case.state,
            deadline=term,
            due_at=due_at,
            overdue=self.is_overdue(),
            facts=self.facts(),
            executor=self.case.executor,
            closure_reason=t.closure_reason,
            history=list(t.history),
            refusals=list(t.refusals),
            timeline=list(t.timeline),
            refusals_dropped=t.refusals_dropped,
            timeline_dropped=t.timeline_dropped,
            failed_effects=[f"{e.at} {e.label}: {e.message}" for e in t.failed_effects],
            outside_interventions=list(t.outside_interventions),
            table_version=t.table_version,
            runs=t.runs,
        )

    def status_term(self) -> tuple[str, str]:
        """The term the status shows: its date and the moment it ends (the card's, by default)."""
        term, due_at, _ = self.card_term()
        return term, due_at

    def registry_card(self, **fields: Any) -> CaseCard:
        """The case's registry card: what every kind fills the same way (its number, kind, state,
        executor, closure and first run), and the kind's own `fields`."""
        return CaseCard(
            reg_number=workflow.info().workflow_id,
            kind=self.case_kind(),
            state=self.case.state,
            executor=self.case.executor,
            closure_reason=self.trail.closure_reason,
            workflow_run=workflow.info().first_execution_run_id,
            **fields,
        )

    # ---- the case card on the workflow's page in the Web UI ----
    def card_now(self) -> str | None:
        """The case card as the workflow's current details (Web UI: the workflow's page), drawn when
        the metadata query asks (workflows/card_query.py); None before registration (a refused
        start). Not part of the history's commands: cases recorded before it replay unchanged."""
        if self.trail.rules is None:
            return None
        return render_card(self.card_facts())

    def card_facts(self) -> CardFacts:
        """What every kind's card shows; a kind adds its term (`card_term`) and lines (`card_lines`)."""
        rules = self.rules_()
        term, due_at, term_days = self.card_term()
        lines = self.card_lines()
        if self.trail.closure_reason:
            reason = self.trail.closure_reason
            lines.insert(0, ("closure", CLOSURES[language_of(rules.staff_language)].get(reason, reason)))
        if self.trail.failed_effects:
            lines.append(("attention", str(len(self.trail.failed_effects))))
        for intervention in self.trail.outside_interventions[-3:]:
            lines.append(("outside", intervention))
        return CardFacts(
            kind=self.table.kind,
            number=workflow.info().workflow_id,
            state=self.case.state,
            language=rules.staff_language,
            now=workflow.now(),
            utc_offset_minutes=rules.utc_offset_minutes,
            term=term,
            term_days=term_days,
            due_at=due_at,
            executor=self.named(self.case.executor),
            last_move=self.trail.history[-1] if self.trail.history else None,
            facts=lines,
            moves=self.allowed_moves(),
        )

    def card_term(self) -> tuple[str, str, list[str]]:
        """The term the card counts down: its date, the moment it ends (UTC ISO) and its working
        days (ISO dates); none by default (a reception has its slot instead)."""
        return "", "", []

    def card_lines(self) -> list[tuple[str, str]]:
        """The kind's own lines on the card: (label in workflows/case_card.py, value)."""
        return []

    def named(self, code: str) -> str:
        """A unit's, official's, issuer's, category's or district's code by its name (the
        registration's snapshot; a case registered before issue 23 shows the code)."""
        return self.trail.names.get(code, code)

    def in_words(self, value: str) -> str:
        """An enumeration's value (answer character, format, control) in the staff language."""
        return value_name(value, self.rules_().staff_language)

    def local_moment(self, iso: str) -> str:
        """A UTC moment in local time with the zone named (the card's clock is the department's)."""
        rules = self.rules_()
        return f"{local_moment(iso, rules.utc_offset_minutes)} (UTC{rules.utc_offset_minutes // 60:+d})"

    def allowed_moves(self) -> list[AllowedMove]:
        """Operator moves the table allows from the current state, with the roles that may make
        them (permissions policy) and a payload to start from. Conditions that read the payload
        are checked when the move is sent."""
        permissions = self.permissions
        if permissions is None:
            return []
        moves = []
        for trigger in self.table.operator_triggers_from(self.case.state):
            roles = permissions.roles_for(trigger)
            if roles and self.offers(trigger):
                example = as_version_reads(self.table, self.TABLES.current, trigger, self.example_payload(trigger))
                moves.append(AllowedMove(trigger, roles, example))
        return moves

    def offers(self, trigger: str) -> bool:
        """Whether the card offers an allowed trigger now: the table's conditions on the case hold
        (workflows/case_machine.py `offered`), and a retry has something to retry."""
        if trigger == "retry_side_effects" and not self.trail.failed_effects:
            return False
        return self.machine.offered(trigger, workflow.now())

    def example_payload(self, trigger: str) -> dict[str, Any]:
        return bound_example(workflow.info().workflow_id, trigger, copy.deepcopy(self.TABLES.examples.get(trigger, {})))

    # ---- search attributes ----
    def case_kind(self) -> str:
        """The kind operators filter by (CaseKind)."""
        return self.table.kind

    def needs_attention(self) -> bool:
        """CaseAttention: something an operator must act on (a kind may add its own)."""
        return bool(self.trail.failed_effects or self.trail.outside_interventions)

    def upsert_search_attributes(self) -> None:
        if self.trail.rules is None:
            return  # not registered yet: the first upsert comes with registration
        workflow.upsert_search_attributes(
            [
                sa.CASE_KIND.value_set(self.case_kind()),
                sa.CASE_STATE.value_set(self.case.state),
                sa.CASE_ATTENTION.value_set(self.needs_attention()),
                *self.search_attribute_updates(),
            ]
        )
