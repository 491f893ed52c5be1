"""Mermaid state diagrams drawn from the transition tables (the tables are the only source)."""

from __future__ import annotations

from dataclasses import MISSING, fields

from transitions.extensions import GraphMachine

from workflows.case_machine import Table
from workflows.kinds import KINDS

TABLES: list[Table] = [kind.table for kind in KINDS]


class _Drawing:
    """A bare model: drawing never evaluates conditions."""


def mermaid(table: Table) -> str:
    machine = GraphMachine(
        model=_Drawing(),
        states=table.states,
        transitions=table.machine_rows(),
        initial=table.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=f"{table.kind} workflow",
    )
    return str(machine.models[0].get_graph().draw(None)).strip()  # type: ignore[attr-defined]


def _detail_fields(schema: type | None) -> list[str]:
    """The details a move takes, as `details.<field>`; a starred one is required."""
    if schema is None:
        return []
    return [
        f"details.{f.name}" + ("*" if f.default is MISSING and f.default_factory is MISSING else "")
        for f in fields(schema)  # type: ignore[arg-type]
    ]


def states_document() -> str:
    parts = [
        "# State diagrams",
        "",
        "Generated from the transition tables by `python starter.py docs`; a test fails when this file is stale.",
        "",
        "Each table is the newest version's (new cases run under it). In `needs`, `details.<field>*` is a",
        "required field of the move's typed details.",
        "",
    ]
    for table in TABLES:
        parts += [
            f"## {table.kind}",
            "",
            "```mermaid",
            mermaid(table),
            "```",
            "",
            "| trigger | from | to | needs | conditions |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in table.transitions:
            source = row["source"] if isinstance(row["source"], str) else ", ".join(row["source"])
            dest = row["dest"] or "(same state)"
            needs = ", ".join([*row.get("requires", []), *_detail_fields(row.get("details"))]) or "-"
            unless = [f"not {name}" for name in row.get("unless", [])]  # `unless`: must not hold
            conds = ", ".join([*row.get("conditions", []), *unless]) or "-"
            parts.append(f"| {row['trigger']} | {source} | {dest} | {needs} | {conds} |")
        parts.append("")
    return "\n".join(parts)
