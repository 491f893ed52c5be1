"""The workbench's words in the user's language: its own labels (labels.yaml), the case card's
states and roles, the reports' categories and districts, the policy's executors by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from models.errors import InputError
from policies.routing import category_name, district_name, executor_name
from workflows.case_card import CLOSURES, ROLES, STATES, value_name

LANGUAGES = ("ru", "kk")
# An input's field (the last part of its path) and the registration form's field that gives it.
FIELD_LABELS = {
    "requested_official": "official",
    "executors": "lead_executor",
    "related_appeals": "related_appeals",
    "kind": "applicant_kind",
    "citizen": "name",
    "contacts": "email",
}
HERE = Path(__file__).resolve().parent


@cache
def _labels() -> dict[str, Any]:
    return dict(yaml.safe_load((HERE / "labels.yaml").read_text(encoding="utf-8")))


class Words:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "ru"
        self.own: dict[str, Any] = _labels()[self.language]

    def __call__(self, key: str, **values: Any) -> str:
        text = str(self.own.get(key, key))
        return text.format(**values) if values else text

    def state(self, kind: str, state: str) -> str:
        states = STATES[self.language]
        return states.get(f"{kind}.{state}", states.get(state, state))

    def role(self, role: str) -> str:
        if role == "system":
            return str(self.own["system"])
        return ROLES[self.language].get(role, role)

    def trigger(self, trigger: str) -> str:
        return str(self.own["triggers"].get(trigger, trigger.replace("_", " ")))

    def closure(self, reason: str) -> str:
        """Why a case was closed, in words (the card's closure reasons)."""
        return CLOSURES[self.language].get(reason, reason)

    def template(self, name: str) -> str:
        """A letter's or notice's template by what it is."""
        return str(self.own["templates"].get(name, name.replace("_", " ")))

    def kind(self, kind: str) -> str:
        return str(self.own["kinds"].get(kind, kind))

    def answer_character(self, value: str) -> str:
        return self.choice("answer_characters", value)

    def choice(self, group: str, value: str) -> str:
        """An enumeration's value in words (`group`: answer_characters, channels, formats, ...)."""
        own = self.own.get(group, {})
        return str(own[value]) if value in own else value_name(value, self.language)

    def category(self, value: str) -> str:
        return category_name(value, self.language)

    def district(self, value: str) -> str:
        return district_name(value, self.language)

    def refusal(self, reason: str, details: tuple[Any, ...], kind: str) -> str:
        """A refusal in this language, from its code and parameters (the engine's words when the
        code is one this client does not know)."""
        detail = details[0] if details and isinstance(details[0], dict) else {}
        template = self.own["refusals"].get(str(detail.get("code", "")))
        if template is None:
            return reason
        params = dict(detail.get("params") or {})
        if "move" in params:
            params["move"] = self.trigger(params["move"])
        if "state" in params:
            params["state"] = self.state(kind, params["state"])
        if "role" in params:
            params["role"] = self.role(params["role"])
        if "allowed" in params:
            params["allowed"] = ", ".join(self.role(r) for r in params["allowed"].split(",") if r)
        if "assigned" in params:
            params["assigned"] = self.executor(params["assigned"])
        if "condition" in params:  # its words, or the engine's for a condition this client does not know
            said = self.own["conditions"].get(params["condition"])
            params["condition"] = said or f"{params['condition']} ({params.get('explanation', '')})"
        if "field" in params:
            params["field"] = self(params["field"].removeprefix("details."))
        try:
            return str(template).format(**params)
        except (KeyError, IndexError):
            return reason

    def input_error(self, err: InputError) -> str:
        """A refused input: the field by its label on the form, and the rule (in this language where
        the rule is a common one, else the parser's own words)."""
        name = err.field.split(".")[-1].split("[")[0]
        label = self(FIELD_LABELS.get(name, name))
        rule = self.own["rules"].get(err.rule, err.rule)
        return str(self.own["refusals"]["invalid_field"]).format(field=label, rule=rule)

    def executor(self, value: str) -> str:
        return executor_name(value, self.language) if value else "—"
