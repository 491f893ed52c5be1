"""A role -> allowed triggers matrix as plain data, small enough to travel in a workflow payload."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PermissionMatrix:
    kind: str
    grants: dict[str, list[str]] = field(default_factory=dict)
    own_only: list[str] = field(default_factory=list)  # roles that act only on their own cases

    def roles(self) -> list[str]:
        return sorted(self.grants)

    def allows(self, role: str, trigger: str) -> bool:
        return trigger in self.grants.get(role, [])

    def roles_for(self, trigger: str) -> list[str]:
        return sorted(r for r, triggers in self.grants.items() if trigger in triggers)
