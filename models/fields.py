"""Field validators shared by every payload parser: each error names the field and the rule."""

from __future__ import annotations

import re
from dataclasses import asdict, is_dataclass
from typing import Any

from models.errors import InputError

MAX_FIELD_CHARS = 300
# Bidirectional controls reorder what a reader sees ("exe.txt" shown as "txt.exe", a name shown
# backwards in a letter); Kazakh and Russian text never needs them (issue 20, attack 6).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# What a name never holds and markup needs: HTML tags, Markdown links and images, code spans.
MARKUP = frozenset("<>[]`")
FORMULA_START = tuple("=+-@")  # a spreadsheet reads a cell starting so as a formula
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
CASE_NUMBER = re.compile(r"[A-Z]{2,5}-\d{4}-\d{1,10}")  # APL-2026-000042 (tooling.numbering)


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
    bidi = next((c for c in value if c in BIDI_CONTROLS), None)
    if bidi is not None:
        raise InputError(path, f"contains the bidirectional control U+{ord(bidi):04X}, which disguises text")
    return value


def name_field(
    raw: dict[str, Any], name: str, prefix: str = "", *, required: bool = True, limit: int = MAX_FIELD_CHARS
) -> str:
    """A person's, an organisation's or an official's name, a file name: text people read in letters,
    cards and tables, so it holds no markup and does not start like a spreadsheet formula."""
    value = text_field(raw, name, prefix, required=required, limit=limit)
    marks = sorted({c for c in value if c in MARKUP})
    if marks:
        raise InputError(f"{prefix}{name}", f"may not contain {' '.join(marks)} (markup is not part of a name)")
    if value.startswith(FORMULA_START):
        raise InputError(f"{prefix}{name}", f"may not start with {value[0]!r} (a spreadsheet reads it as a formula)")
    return " ".join(value.split())


def identifier(value: Any, path: str, pattern: re.Pattern[str] = IDENTIFIER) -> str:
    """An identifier: of a unit, an official or a body (policies' keys: lower-case letters, digits,
    . _ -), or of a case (its number), never free text that a page or a sheet could interpret."""
    if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
        shown = value[:40] if isinstance(value, str) else type(value).__name__
        form = "a case number such as APL-2026-000042" if pattern is CASE_NUMBER else "a-z, 0-9, '.', '_', '-'"
        raise InputError(path, f"must be an identifier ({form}), got {shown!r}")
    return value.strip()


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


def input_object(raw: Any, kind: str, number: re.Pattern[str], looks_like: str) -> tuple[dict[str, Any], str]:
    """A case's input as a JSON object (an already parsed input is read back from its fields) and its
    registration number, checked against the kind's form; every kind's parser starts here."""
    if is_dataclass(raw) and not isinstance(raw, type):
        raw = asdict(raw)
    if not isinstance(raw, dict):
        raise InputError(kind, f"must be an object, got {type(raw).__name__}")
    reg_number = text_field(raw, "reg_number")
    if not number.match(reg_number):
        raise InputError("reg_number", f"must look like {looks_like}")
    return raw, reg_number
