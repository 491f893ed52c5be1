"""Control of Presidential instructions: issuers and control rules (policies/instructions.yaml)."""

from __future__ import annotations

from typing import Any

from models.policy_snapshot import InstructionRules
from policies.loading import load_policy


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
