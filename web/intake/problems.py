"""Errors of the intake as RFC 9457 problem details (`application/problem+json`): a type naming the
kind of problem, the status, a title, what was wrong, and for a field that breaks a rule, the field's
path (and its JSON pointer) and the rule."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

PROBLEM_TYPE = "https://appeals.akimat.example.kz/problems/"
MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid field",
    429: "Too many requests",
    503: "Temporarily unavailable",
}


def problem(
    status: int, kind: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + kind, "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    return JSONResponse({**body, **extra}, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def field_problem(field: str, rule: str) -> JSONResponse:
    """A field that breaks a rule: its path (`applicant.iin`), its JSON pointer and the rule."""
    pointer = "#/" + "/".join(part.replace("[", "/").rstrip("]") for part in field.split(".")) if field else "#"
    errors = [{"field": field, "pointer": pointer, "rule": rule}]
    return problem(422, "invalid-field", f"{field}: {rule}" if field else rule, errors=errors)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "pointer": {"type": "string"}, "rule": {"type": "string"}},
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
