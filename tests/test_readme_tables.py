"""The README's trigger tables say what the kinds' tables say (issue 21: `take_under_control` was
missing from the appeal's table and its signals list; nothing compared them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflows.kinds import BY_NAME

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTIONS = {  # each kind's section of the README, by its heading
    "appeal": "## States and moves",
    "reception": "## Personal receptions",
    "instruction": "## Presidential instructions",
}


def section(kind: str) -> str:
    start = README.index(SECTIONS[kind])
    end = README.find("\n## ", start + 3)
    return README[start : end if end > 0 else None]


def readme_triggers(kind: str) -> set[str]:
    """The first column of the section's trigger table ("a / b" names two)."""
    rows = [line for line in section(kind).splitlines() if line.startswith("| ")]
    header = next(i for i, row in enumerate(rows) if row.startswith("| trigger |"))
    names: set[str] = set()
    for row in rows[header + 2 :]:
        cell = row.split("|")[1]
        names.update(name.strip() for name in cell.split("/"))
    return names


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_the_readme_lists_every_trigger_of_every_kind_and_no_other(kind: str) -> None:
    tables = BY_NAME[kind].tables
    current = set(tables.current.triggers()) - {"retry_side_effects"}  # retry is described once, for all kinds
    listed = readme_triggers(kind)
    assert current - listed == set(), f"missing from the README's {kind} table"
    assert listed - set(tables.current.triggers()) == set(), f"in the README's {kind} table, not in the table"


def test_the_appeal_signals_list_names_every_operator_trigger() -> None:
    match = re.search(r"\*\*Signals\*\* \(one per trigger[^:]*:(.*?)\n- \*\*Update", README, re.S)  # fmt: skip
    assert match is not None
    listed = set(re.findall(r"`([a-z_]+)`", match.group(1)))
    assert set(BY_NAME["appeal"].table.operator_triggers()) - listed == set()
