"""Mermaid state diagrams drawn from the transition tables (the tables are the only source)."""

from __future__ import annotations

from pathlib import Path

from transitions.extensions import GraphMachine

from workflows.case_machine import Table
from workflows.kinds import KINDS

TABLES: list[Table] = [kind.table for kind in KINDS]
DOC = Path(__file__).resolve().parent.parent / "docs" / "states.md"


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


def states_document() -> str:
    parts = [
        "# State diagrams",
        "",
        "Generated from the transition tables by `python starter.py diagrams`; a test fails when this file is stale.",
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
            needs = ", ".join(row.get("requires", [])) or "-"
            unless = [f"not {name}" for name in row.get("unless", [])]  # `unless`: must not hold
            conds = ", ".join([*row.get("conditions", []), *unless]) or "-"
            parts.append(f"| {row['trigger']} | {source} | {dest} | {needs} | {conds} |")
        parts.append("")
    return "\n".join(parts)
