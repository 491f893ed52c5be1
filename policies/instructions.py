"""Control of Presidential instructions: issuers and control rules (policies/instructions.yaml)."""

from __future__ import annotations

from typing import Any

from models.errors import InputError
from models.policy_snapshot import InstructionPolicyRequest, InstructionRules
from policies.loading import load_policy
from policies.routing import executors


def issuers() -> dict[str, dict[str, Any]]:
    return dict(load_policy("instructions")["issuers"])


def instruction_rules(issuer: str = "") -> InstructionRules:
    data = load_policy("instructions")
    return InstructionRules(
        issuer_office_unit=str(data["issuers"].get(issuer, {}).get("office_unit", "")),
        late_terms_for_proposal=int(data["late_terms_for_proposal"]),
        proposal_approval_working_days=int(data["proposal_approval_working_days"]),
        finalization_working_days=int(data["finalization_working_days"]),
        continue_as_new_every_periods=int(data["continue_as_new_every_periods"]),
        late_terms_for_proposal_once=int(data["late_terms_for_proposal_once"]),
    )


def registration_check(req: InstructionPolicyRequest) -> dict[str, Any]:
    """What an instruction's registration takes from the policies: a known issuer and executors."""
    if req.issuer not in issuers():
        raise InputError("issuer", f"unknown issuer {req.issuer!r}; known: {', '.join(sorted(issuers()))}")
    unknown = [e for e in req.executors if e not in executors()]
    if unknown:
        raise InputError("executors", f"unknown executor(s) {', '.join(unknown)}")
    return {"instruction": instruction_rules(req.issuer)}
