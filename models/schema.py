"""Parse untrusted JSON into a declared dataclass, field by field, at every depth.

A payload schema is a plain dataclass; each field's type says what it accepts (str, int, bool,
a Literal of allowed values, a nested schema, or a list of those), and `rule(...)` metadata adds
limits. Anything that does not fit raises `InputError` naming the full path (`details.items[2].term`)
and the rule, so workflow code after the boundary never meets a wrong type.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, Field, field, fields, is_dataclass
from functools import cache
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from models.errors import InputError
from models.fields import BIDI_CONTROLS, MAX_FIELD_CHARS

T = TypeVar("T")
MAX_LIST_ITEMS = 50


def rule(
    *,
    limit: int = MAX_FIELD_CHARS,
    required: bool = False,
    min: int | None = None,
    max: int | None = None,
    items: int = MAX_LIST_ITEMS,
    unique: bool = False,
    pattern: str = "",
    default: Any = MISSING,
    default_factory: Any = MISSING,
    fills: str = "",
) -> Any:
    """A schema field with its rules (text `limit`, `required` non-empty, number range, list size).
    `fills` names the move's field it gives (`target`, `new_deadline`): a trigger's typed details
    say what its target is (an executor, a body, a slot, a proposal), and a client that still sends
    the flat field is read the same (models/moves.py `parse_move`)."""
    meta = {
        "fills": fills,
        "limit": limit,
        "required": required,
        "min": min,
        "max": max,
        "items": items,
        "unique": unique,
        "pattern": pattern,
    }
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def describe(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


@cache
def filled_fields(cls: type) -> dict[str, str]:
    """The schema's fields that give a move's flat field: {field name: the move's field}."""
    return {f.name: f.metadata["fills"] for f in fields(cls) if f.metadata.get("fills")}


def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def parse_object(cls: type[T], raw: Any, path: str) -> T:
    """`raw` (a JSON object, or None for all defaults) as an instance of the schema `cls`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(path, f"must be a JSON object, got {describe(raw)}")
    declared: tuple[Field[Any], ...] = fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in declared]
    for key in raw:
        if key not in names:
            shown = str(key)[:40]
            raise InputError(f"{path}.{shown}", f"is not a field here (fields: {', '.join(names) or 'none'})")
    values: dict[str, Any] = {}
    hints = _hints(cls)  # type: ignore[arg-type]
    for f in declared:
        where = f"{path}.{f.name}"
        value = raw.get(f.name)
        if value is None:
            if f.default is MISSING and f.default_factory is MISSING:
                raise InputError(where, "is required")
            continue
        values[f.name] = _parse_value(hints[f.name], value, where, f.metadata)
    instance = cls(**values)
    check = getattr(instance, "check", None)
    if callable(check):
        check(path)  # cross-field rules of the schema
    return instance


def _parse_value(hint: Any, value: Any, path: str, meta: Any) -> Any:
    origin = get_origin(hint)
    if hint is str:
        return _text(value, path, meta)
    if hint is bool:
        if not isinstance(value, bool):
            raise InputError(path, f"must be true or false, got {describe(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(path, f"must be a whole number, got {describe(value)}")
        low, high = meta.get("min"), meta.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise InputError(path, f"must be from {low} to {high}")
        return value
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed or not isinstance(value, str):
            raise InputError(path, f"unknown value {str(value)[:40]!r}; allowed: {', '.join(map(str, allowed))}")
        return value
    if origin is list:
        (item_hint,) = get_args(hint)
        if not isinstance(value, list):
            raise InputError(path, f"must be a list, got {describe(value)}")
        most = meta.get("items", MAX_LIST_ITEMS)
        if len(value) > most:
            raise InputError(path, f"at most {most} entries")
        items = [_parse_value(item_hint, v, f"{path}[{i}]", meta) for i, v in enumerate(value, start=1)]
        if meta.get("unique") and len(set(map(repr, items))) != len(items):
            raise InputError(path, "lists an entry twice")
        return items
    if isinstance(hint, type) and is_dataclass(hint):
        return parse_object(hint, value, path)
    raise TypeError(f"schema field {path} has a type the parser does not know: {hint!r}")  # a schema bug


def _text(value: Any, path: str, meta: Any) -> str:
    if not isinstance(value, str):
        raise InputError(path, f"must be text, got {describe(value)}")
    value = value.strip()
    if meta.get("required") and not value:
        raise InputError(path, "must not be empty")
    limit = meta.get("limit", MAX_FIELD_CHARS)
    if len(value) > limit:
        raise InputError(path, f"is too long ({len(value)} characters, limit {limit})")
    if any(ord(c) < 32 and c not in "\n\r\t" or 0x7F <= ord(c) < 0xA0 for c in value):
        raise InputError(path, "contains control characters")
    bidi = next((c for c in value if c in BIDI_CONTROLS), None)
    if bidi is not None:
        raise InputError(path, f"contains the bidirectional control U+{ord(bidi):04X}, which disguises text")
    pattern = meta.get("pattern")
    if pattern and value and not re.fullmatch(pattern, value):
        raise InputError(path, f"does not have the expected form ({pattern})")
    return value


def json_schema(cls: type) -> dict[str, Any]:
    """The JSON Schema of a payload schema (what `parse_object` accepts), for the OpenAPI document:
    generated from the same dataclass and rules the parser enforces, so the two never disagree."""
    hints = _hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in fields(cls):  # type: ignore[arg-type]
        properties[f.name] = _value_schema(hints[f.name], f.metadata)
        if f.default is MISSING and f.default_factory is MISSING:
            required.append(f.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if cls.__doc__:
        schema["description"] = " ".join(cls.__doc__.split())
    if required:
        schema["required"] = required
    return schema


def _value_schema(hint: Any, meta: Any) -> dict[str, Any]:
    origin = get_origin(hint)
    if hint is str:
        text: dict[str, Any] = {"type": "string", "maxLength": meta.get("limit", MAX_FIELD_CHARS)}
        if meta.get("required"):
            text["minLength"] = 1
        if meta.get("pattern"):
            text["pattern"] = f"^{meta['pattern']}$"
        return text
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        number: dict[str, Any] = {"type": "integer"}
        if meta.get("min") is not None:
            number["minimum"] = meta["min"]
        if meta.get("max") is not None:
            number["maximum"] = meta["max"]
        return number
    if origin is Literal:
        return {"type": "string", "enum": list(get_args(hint))}
    if origin is list:
        (item_hint,) = get_args(hint)
        return {"type": "array", "items": _value_schema(item_hint, meta), "maxItems": meta.get("items", MAX_LIST_ITEMS)}
    if isinstance(hint, type) and is_dataclass(hint):
        return json_schema(hint)
    raise TypeError(f"no JSON Schema for {hint!r}")
