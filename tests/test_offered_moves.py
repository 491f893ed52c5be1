"""Offered moves come from the table (issue 22, step 6): the card offers a move when the table's
conditions that read only the case hold, and the machine selects a row once per check and once
per move instead of evaluating every condition three or four times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.case_status import ProposalState
from models.moves import Actor, MoveRequest
from workflows.appeal_case import AppealCase
from workflows.appeal_table import APPEAL_TABLES
from workflows.case_machine import CaseMachine

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
HEAD = Actor(id="head-1", role="head")


def machine(**facts: object) -> tuple[CaseMachine, AppealCase]:
    case = AppealCase(**facts)  # type: ignore[arg-type]
    return CaseMachine(APPEAL_TABLES.current, case), case


def test_the_card_offers_what_the_case_s_conditions_allow() -> None:
    waiting, _ = machine(state="registered", possible_repeat_of=["APL-2026-0000001"])
    assert waiting.offered("consider_as_new", NOW) and not waiting.offered("route", NOW)
    fresh, _ = machine(state="registered")
    assert fresh.offered("route", NOW) and not fresh.offered("consider_as_new", NOW)

    hearing_until = (NOW + timedelta(days=3)).isoformat()
    hearing, case = machine(
        state="answered", answer_character="refused", hearing_until=hearing_until, hearing_fires_at=hearing_until
    )
    assert hearing.offered("record_applicant_reply", NOW)
    assert not hearing.offered("approve", NOW)  # the hearing runs: approval would be refused
    case.applicant_replied = True
    assert hearing.offered("approve", NOW) and not hearing.offered("record_applicant_reply", NOW)

    due = (NOW - timedelta(hours=1)).isoformat()
    past_term, _ = machine(state="under_consideration", due_at=due, deadline="2026-12-02")
    assert not past_term.offered("extend_deadline", NOW)  # table v5: only while the term runs


def test_a_decision_on_a_proposal_is_offered_while_one_awaits() -> None:
    m, case = machine(state="closed")
    assert not m.offered("approve_proposal", NOW)
    case.proposals.append(ProposalState("p-1", ["housing-dept"], "late", "awaiting_approval", NOW.isoformat()))
    assert m.offered("approve_proposal", NOW) and m.offered("reject_proposal", NOW)


class Counting(AppealCase):
    calls = 0

    def target_is_known_body(self, move: MoveRequest, now: datetime) -> bool:
        Counting.calls += 1
        return super().target_is_known_body(move, now)


def test_a_move_evaluates_its_conditions_once_to_check_and_once_to_make() -> None:
    case = Counting(state="routed", executor="housing-dept", forward_bodies=["police"])
    m = CaseMachine(APPEAL_TABLES.current, case)
    forward = MoveRequest(trigger="forward", actor=HEAD, target="police", reason="not ours")
    assert m.refusal(forward, NOW, None, system=True) is None
    step = m.apply(forward, NOW)
    assert (step.to_state, step.closure) == ("closed", "forwarded")
    assert Counting.calls == 2  # before: 5 (our check, may_trigger, again in apply, then the trigger)


def test_a_refusal_still_names_the_field_and_the_condition() -> None:
    m, _ = machine(state="routed", executor="housing-dept", forward_bodies=["police"])
    missing = MoveRequest(trigger="forward", actor=HEAD, target="police")
    assert m.refusal(missing, NOW, None, system=True) == "'forward' requires the field 'reason'"
    unknown = MoveRequest(trigger="forward", actor=HEAD, target="mars", reason="r")
    refusal = m.refusal(unknown, NOW, None, system=True)
    assert refusal is not None and "(condition target_is_known_body)" in refusal


def test_cases_under_one_table_version_share_its_machine_and_keep_their_own_states() -> None:
    """Issue 27: one machine per table version (an open case no longer carries one of its own)."""
    first = Counting(state="routed", executor="housing-dept", forward_bodies=["police"])
    second = AppealCase(state="routed", executor="housing-dept", forward_bodies=["police"])
    a, b = CaseMachine(APPEAL_TABLES.current, first), CaseMachine(APPEAL_TABLES.current, second)
    assert a.machine is b.machine
    assert CaseMachine(APPEAL_TABLES.version(1), AppealCase(state="routed")).machine is not a.machine
    forward = MoveRequest(trigger="forward", actor=HEAD, target="police", reason="not ours")
    assert a.apply(forward, NOW).closure == "forwarded"
    assert (first.state, second.state) == ("closed", "routed")  # the other case did not move
    accept = MoveRequest(trigger="accept", actor=Actor(id="housing-dept", role="executor"))
    assert b.refusal(accept, NOW, None, system=True) is None and b.apply(accept, NOW).to_state == "under_consideration"
    assert a.refusal(accept, NOW, None, system=True) is not None  # closed: its own state decides
    assert not hasattr(first, "may_trigger")  # the case object is not dressed with the machine's methods
