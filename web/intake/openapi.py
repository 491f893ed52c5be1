"""The intake API's OpenAPI 3.1 document, its schemas generated from the classes the requests are
parsed into and the answers are made of (models/intake_api.py): what it says is what is enforced."""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import Any, get_type_hints

from models.intake_api import ChannelAppeal, Registered, Standing
from models.schema import json_schema
from web.intake.problems import MEDIA_TYPE, PROBLEM_SCHEMA


def answer_schema(cls: type) -> dict[str, Any]:
    """An answer's schema: every field, of its type (the answers are made by us, not parsed)."""
    types = {str: "string", bool: "boolean", int: "integer"}
    hints = get_type_hints(cls)
    return {
        "type": "object",
        "description": " ".join((cls.__doc__ or "").split()),
        "properties": {f.name: {"type": types[hints[f.name]]} for f in fields(cls)},
        "required": [f.name for f in fields(cls)],
    }


def problems(*codes: int) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {str(code): {"description": "problem details", "content": {MEDIA_TYPE: {"schema": ref}}} for code in codes}


@cache
def openapi_document() -> dict[str, Any]:
    key: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]
    registered = {"application/json": {"schema": {"$ref": "#/components/schemas/Registered"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Appeals intake API",
            "version": "1",
            "description": "Channels (portals, apps) register citizens' appeals and follow them. A registration "
            "is idempotent by the channel's own id (`external_id` or the `Idempotency-Key` header).",
        },
        "paths": {
            "/api/v1/appeals": {
                "post": {
                    "summary": "Register an appeal",
                    "security": key,
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ChannelAppeal"}},
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "appeal": {"type": "string", "description": "the appeal as JSON"},
                                        "attachments": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                        },
                                    },
                                    "required": ["appeal"],
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": {"description": "registered", "content": registered},
                        "200": {"description": "the same request again: the same answer", "content": registered},
                        **problems(400, 401, 409, 413, 415, 422, 429, 503),
                    },
                }
            },
            "/api/v1/appeals/{number}": {
                "get": {
                    "summary": "Where an appeal this channel registered stands",
                    "security": key,
                    "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "its standing",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Standing"}}},
                        },
                        **problems(401, 404, 429),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "ChannelAppeal": json_schema(ChannelAppeal),
                "Registered": answer_schema(Registered),
                "Standing": answer_schema(Standing),
                "Problem": PROBLEM_SCHEMA,
            },
        },
    }
