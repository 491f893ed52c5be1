"""Rules for particular appeals (anonymous, closure grounds, forwarding targets, extensions),
read from `policies/appeals.yaml`."""

from __future__ import annotations

from typing import Any

from models.errors import InputError
from models.policy_snapshot import AppealPolicyRequest, AppealRules
from policies.catalogue import check_catalogue
from policies.loading import load_policy
from policies.routing import executor_for, executors
from policies.terms import term_working_days


def appeal_rules() -> AppealRules:
    data = load_policy("appeals")
    return AppealRules(
        anonymous_forward_categories=[str(c) for c in data["anonymous"]["forward_categories"]],
        anonymous_competent_body=str(data["anonymous"]["competent_body"]),
        forward_bodies=sorted(data["forward_bodies"]),
        closure_outcomes={str(k): str(v["outcome"]) for k, v in data["closure_grounds"].items()},
        extension_counted_from=str(data["extension"]["counted_from"]),
        extension_notice_working_days=int(data["extension"]["notice_working_days"]),
        executors=sorted(executors()),
        proposal_approval_working_days=int(data["disciplinary"]["approval_working_days"]),
    )


def forward_body(key: str) -> dict[str, Any]:
    return dict(load_policy("appeals")["forward_bodies"].get(key) or {})


def closure_ground(key: str) -> dict[str, Any]:
    return dict(load_policy("appeals")["closure_grounds"].get(key) or {})


def unit_name(language: str) -> str:
    unit = load_policy("appeals")["unit"]
    return str(unit.get(language) or unit["ru"])


def registration_check(req: AppealPolicyRequest) -> dict[str, Any]:
    """What an appeal's registration takes from the policies (activities/policy.py finds this by the
    request's kind): its catalogue values checked, its term, the routing's suggestion, its rules."""
    check_catalogue(req.type, req.category, req.district)
    if req.executor and req.executor not in executors():
        raise InputError("executor", f"unknown executor {req.executor!r}; known: {', '.join(sorted(executors()))}")
    return {
        "term_working_days": term_working_days(req.type),
        "suggested_executor": executor_for(req.category, req.district),
        "appeal": appeal_rules(),
    }
