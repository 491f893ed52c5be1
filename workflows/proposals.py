"""Disciplinary proposals the head decides: what the kinds that have them share (appeals since
table v5, seed 9.4; instructions, seed 9.5). A kind mixes `ProposalCase` into its case and
`ProposalDecisions` into its workflow; each keeps only its own drafting and its own reminders."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from models.activity_names import SET_PROPOSAL_STATUS
from models.case_status import ProposalState
from models.moves import MoveRecord, MoveRequest
from models.notices import ProposalStatusRequest

if TYPE_CHECKING:
    from workflows.controlled import ControlledWorkflow

    _Workflow = ControlledWorkflow[Any, Any]
else:
    _Workflow = object

AWAITING = "awaiting_approval"


def naming_awaiting(payload: dict[str, Any], trigger: str, case: ProposalCase) -> dict[str, Any]:
    """A decision's example payload names the first proposal that awaits one."""
    waiting = case.awaiting_proposals()
    if waiting and trigger in ("approve_proposal", "reject_proposal"):
        payload.setdefault("details", {})["proposal"] = waiting[0].key
    return payload


def decision_rows(
    source: list[str], *, approval_requires: list[str], approval: str, rejection: str
) -> list[dict[str, Any]]:
    """The head's two moves on a proposal (`target` names it), as rows of a kind's table."""
    row = {"source": source, "dest": None, "conditions": ["proposal_awaiting"]}
    return [
        {"trigger": "approve_proposal", **row, "requires": approval_requires, "description": approval},
        {"trigger": "reject_proposal", **row, "requires": ["target", "reason"], "description": rejection},
    ]


class ProposalCase:
    """The case's side: its proposals and the table condition on them."""

    proposals: list[ProposalState]

    def awaiting_proposals(self) -> list[ProposalState]:
        return [p for p in self.proposals if p.status == AWAITING]

    def proposal_awaiting(self, move: MoveRequest, now: datetime) -> bool:
        return any(p.key == move.target for p in self.awaiting_proposals())

    def offer_proposal_awaiting(self, now: datetime) -> bool:
        """The card offers a decision while any proposal awaits one (the move names which)."""
        return bool(self.awaiting_proposals())

    def explain_proposal_awaiting(self, move: MoveRequest, now: datetime) -> str:
        waiting = ", ".join(p.key for p in self.awaiting_proposals()) or "none"
        return f"target: {move.target[:100]!r} is not a proposal awaiting the head's decision (awaiting: {waiting})"


class ProposalDecisions(_Workflow):
    """The workflow's side: the head's decision, recorded, and the registry's proposal marked."""

    if TYPE_CHECKING:

        async def done(self, record: MoveRecord) -> None: ...  # each kind's: the registry write and notices

    async def on_approve_proposal(self, move: MoveRequest) -> str | None:
        return await self.decide_proposal(move, "sent")

    async def on_reject_proposal(self, move: MoveRequest) -> str | None:
        return await self.decide_proposal(move, "rejected")

    def proposal_detail(self, proposal: ProposalState) -> dict[str, str] | None:
        """What the decision's record says about the proposal (None: nothing beyond the move)."""
        return None

    def proposal_decided(self, proposal: ProposalState) -> None:
        """The kind's own bookkeeping once a proposal is decided."""

    async def decide_proposal(self, move: MoveRequest, status: str) -> str | None:
        case = cast(ProposalCase, self.case)
        proposal = next(p for p in case.proposals if p.key == move.target)  # condition proposal_awaiting
        record = self.make_move(move, self.proposal_detail(proposal))
        proposal.status = status
        self.proposal_decided(proposal)
        await self.done(record)
        request = ProposalStatusRequest(proposal.key, status, move.actor.id, move.reason)
        await self.effect(SET_PROPOSAL_STATUS, request, f"proposal {proposal.key} marked {status}")
        return None
