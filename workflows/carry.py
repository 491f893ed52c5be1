"""Reading a workflow's argument: a new case's input, or what the previous run carried over.

Only a run started by continue-as-new may carry state: a client cannot start a case in a state
of its choosing by sending a forged carry.
"""

from __future__ import annotations

from typing import Any, TypeVar

from temporalio import workflow
from temporalio.converter import value_to_type

from models.errors import InputError

T = TypeVar("T")


def carried(raw: Any, name: str, cls: type[T]) -> T | None:
    """The carried `name` of a continued run (None for a new case)."""
    if not isinstance(raw, dict) or raw.get(name) is None:
        return None
    if workflow.info().continued_run_id is None:
        raise InputError(name, "only a continued run of the same case may carry state")
    value = raw[name]
    if isinstance(value, cls):
        return value
    try:
        return value_to_type(cls, value)
    except (TypeError, ValueError, KeyError) as err:
        raise InputError(name, f"not the state of a previous run: {err}") from None
