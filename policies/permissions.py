"""May this role make this move? The matrix is `policies/permissions.yaml`. Who may register a
case: `policies/registration.yaml`."""

from __future__ import annotations

from models.permissions import PermissionMatrix
from policies.loading import load_policy


def permission_matrix(kind: str) -> PermissionMatrix:
    data = load_policy("permissions")
    if kind not in data:
        raise ValueError(f"kind: no permissions defined for workflow kind {kind!r}")
    grants = {role: sorted(spec.get("triggers") or []) for role, spec in data[kind].items()}
    own_only = sorted(role for role, spec in data[kind].items() if spec.get("own_only"))
    return PermissionMatrix(kind=kind, grants=grants, own_only=own_only)


def registering_roles() -> list[str]:
    """The roles whose seal registers a case (policies/registration.yaml)."""
    return [str(role) for role in load_policy("registration")["registering_roles"]]


def receipt_clock_skew_seconds() -> int:
    """How far ahead of the server's clock a receipt may be dated (policies/registration.yaml)."""
    return int(load_policy("registration")["receipt_clock_skew_seconds"])
