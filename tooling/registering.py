"""Registering a case, once for every client (the CLI, the workbench, later the intake channels):
everything the workflow would refuse at its registration is refused here first, by the same
parser and the same policy check the workflow's first activity runs, before a number is taken;
then the number, then the sealed start."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client

from policies.calendar import local_year
from tooling.client import start_case
from tooling.numbering import allocate_number
from tooling.seal import Identity
from workflows.kinds import Kind, placeholder_number


def checked(kind: Kind, raw: dict[str, Any]) -> Any:
    """The kind's parsed input, checked against the policies as its registration will check it
    (InputError naming the field and the rule otherwise). A raw input without a number is checked
    under the kind's placeholder number."""
    parsed = kind.workflow.parse_input({**raw, "reg_number": raw.get("reg_number") or placeholder_number(kind.name)})
    import_module(f"policies.{kind.name}s").registration_check(kind.workflow.policy_request(parsed))
    return parsed


def numbered(engine: Engine, kind: Kind, raw: dict[str, Any]) -> Any:
    """The input, already `checked`, under the registry's next number of the kind (so a refused
    registration takes no number): only the number is new, so it is parsed, not checked again."""
    number = allocate_number(engine, kind.prefix, local_year())
    return kind.workflow.parse_input({**raw, "reg_number": number})


async def register(client: Client, kind: Kind, parsed: Any, who: Identity, method: str) -> str:
    """Start the checked case, its input sealed as registered by `who` (WorkflowAlreadyStartedError
    when the number is taken)."""
    await start_case(client, kind.workflow.__name__, parsed, parsed.reg_number, who=who, method=method)
    return str(parsed.reg_number)
