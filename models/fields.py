"""Field validators shared by every payload parser: each error names the field and the rule."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from models.errors import InputError

MAX_FIELD_CHARS = 300


def text_field(
    raw: dict[str, Any], name: str, prefix: str = "", *, required: bool = True, limit: int = MAX_FIELD_CHARS
) -> str:
    value = raw.get(name, "")
    path = f"{prefix}{name}"
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(path, f"must be text, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise InputError(path, "is required")
    if len(value) > limit:
        raise InputError(path, f"is too long ({len(value)} characters, limit {limit})")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise InputError(path, "contains control characters")
    return value


def choice_field(raw: dict[str, Any], name: str, allowed: tuple[str, ...], prefix: str = "") -> str:
    value = text_field(raw, name, prefix)
    if value not in allowed:
        raise InputError(f"{prefix}{name}", f"unknown value {value!r}; allowed: {', '.join(allowed)}")
    return value


def object_field(raw: Any, path: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if is_dataclass(raw) and not isinstance(raw, type):
        return asdict(raw)
    if not isinstance(raw, dict):
        raise InputError(path, f"must be an object, got {type(raw).__name__}")
    return raw
