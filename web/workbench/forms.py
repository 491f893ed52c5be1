"""A move's form, generated from its table row and its typed details: the fields it requires, each
with its kind of input (text, long text, date, number, choice, one entry per line), its limit and,
where the policy knows them, its choices; and the payload read back from what was posted."""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

from models.moves import ANSWER_CHARACTERS, MAX_ANSWER_CHARS, MAX_REASON_CHARS
from models.schema import filled_fields
from policies.appeals import appeal_rules
from policies.routing import executors
from web.workbench.words import Words
from workflows.case_machine import Table

ISO_DATE = r"\d{4}-\d{2}-\d{2}"
ROWS = 3  # a list of objects (a reception's instructions) is offered as this many groups of fields
FLAT = {  # the move's own fields: (input, limit)
    "reason": ("textarea", MAX_REASON_CHARS),
    "answer_text": ("textarea", MAX_ANSWER_CHARS),
    "answer_character": ("choice", 20),
    "target": ("text", 100),
    "new_deadline": ("date", 10),
}


@dataclass
class FormField:
    name: str  # the posted name: a move field, or `details.<field>`
    label: str
    input: str  # text | textarea | date | number | choice | lines | json
    required: bool = False
    limit: int = 0
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    number: bool = False  # posted as text, sent as a whole number
    blank: str = ""  # what choosing nothing means, for an optional choice ("" shows a dash)


def move_form(
    table: Table, trigger: str, words: Words, offered: dict[str, list[tuple[str, str]]] | None = None
) -> list[FormField]:
    """The move's form; `offered` gives a field's choices the registry knows (a reception's free
    slots), which make it a choice."""
    form = _fields(table, trigger, words)
    for f in form:
        if offered and f.name in offered:
            f.input, f.choices = "choice", offered[f.name]
            if f.name == "details.slot_id":
                f.blank = words("earliest_free")
    return form


def _fields(table: Table, trigger: str, words: Words) -> list[FormField]:
    rows = table.rows(trigger)
    form = [_flat(name, words) for name in rows[0].get("requires", []) if name in FLAT]
    optional = [name for name in ("reason",) if name not in rows[0].get("requires", [])]
    schema = table.details_schema(trigger)
    if schema is not None:
        hints = typing.get_type_hints(schema)
        for f in fields(schema):  # type: ignore[arg-type]
            args = typing.get_args(hints[f.name])
            if typing.get_origin(hints[f.name]) is list and args and dataclasses.is_dataclass(args[0]):
                form += _groups(f.name, args[0], words)
            else:
                form.append(_detail(f, hints[f.name], filled_fields(schema).get(f.name, ""), words))
    form += [_flat(name, words, required=False) for name in optional if not any(f.name == name for f in form)]
    return form


def _flat(name: str, words: Words, *, required: bool = True) -> FormField:
    kind, limit = FLAT[name]
    choices = [(c, words.answer_character(c)) for c in ANSWER_CHARACTERS] if name == "answer_character" else []
    return FormField(name, words(name), kind, required, limit, choices)


def _detail(f: Any, hint: Any, fills: str, words: Words) -> FormField:
    """A field of the move's details: `hint` its type, `fills` the move's field it gives, if any."""
    meta = f.metadata
    required = f.default is MISSING and f.default_factory is MISSING
    label = words(f.name) if f.name in words.own else f.name.replace("_", " ")
    name = f"details.{f.name}"
    if typing.get_origin(hint) is Literal:
        return FormField(name, label, "choice", required, 0, [(str(v), str(v)) for v in typing.get_args(hint)])
    if hint is int:
        return FormField(name, label, "number", required, number=True)
    if hint is str and meta.get("pattern") == ISO_DATE:
        return FormField(name, words("new_deadline") if fills else label, "date", required, 10)
    if hint is str and f.name == "executor":
        known = [(e, words.executor(e)) for e in sorted(executors())]
        return FormField(name, words("executor"), "choice", required, 100, known)
    if hint is str and f.name == "body":
        return FormField(name, label, "choice", required, 100, [(b, b) for b in appeal_rules().forward_bodies])
    if hint is str:
        limit = int(meta.get("limit") or 0)
        return FormField(name, label, "textarea" if limit > 300 else "text", required, limit)
    if typing.get_origin(hint) is list and typing.get_args(hint) == (str,):
        return FormField(name, label, "lines", required)
    return FormField(name, label, "json", required)


def _groups(name: str, item: Any, words: Words) -> list[FormField]:
    """A list of objects as ROWS groups of their fields, named `details.<list>.<row>.<field>`."""
    hints = typing.get_type_hints(item)
    group: list[FormField] = []
    for row in range(ROWS):
        for sub in fields(item):
            one = _detail(sub, hints[sub.name], "", words)
            one.name = f"details.{name}.{row}.{sub.name}"
            one.label = f"{row + 1}. {one.label}"
            one.required = False  # an empty group is left out
            group.append(one)
    return group


def payload_from(form: list[FormField], posted: dict[str, str]) -> dict[str, Any]:
    """The move's fields from the posted form; empty optional fields are left out, so the engine's
    own parser names what is missing or wrong (ValueError: a number or a list that is not one)."""
    payload: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for f in form:
        raw = posted.get(f.name, "").strip()
        if not raw:
            continue
        value: Any = raw
        if f.number:
            value = int(raw)
        elif f.input == "lines":
            value = [line.strip() for line in raw.splitlines() if line.strip()]
        elif f.input == "json":
            value = json.loads(raw)
        parts = f.name.split(".")
        if len(parts) == 4:  # details.<list>.<row>.<field>: one group of a list of objects
            rows = details.setdefault(parts[1], {})
            rows.setdefault(int(parts[2]), {})[parts[3]] = value
        elif f.name.startswith("details."):
            details[f.name.removeprefix("details.")] = value
        else:
            payload[f.name] = value
    for name, value in list(details.items()):
        if isinstance(value, dict):  # the groups that were filled in, in order
            details[name] = [value[row] for row in sorted(value)]
    if details:
        payload["details"] = details
    return payload
