"""The one error type for bad input: it names the field and the rule it broke."""

from __future__ import annotations


class InputError(ValueError):
    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule
