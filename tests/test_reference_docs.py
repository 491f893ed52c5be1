"""The reference is made from the code's own data and checked, not pinned prose (issue 22, step 9):
the generated documents are current, list every move of every kind and every setting, and every
variable the code reads is documented (issue 21: a trigger missing from a hand-written table)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runtime import settings
from runtime.environment import VARIABLES
from tooling.reference_docs import DOCS, moves_document, settings_document, stale
from workflows.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent


def test_the_generated_documents_are_current() -> None:
    assert stale() == [], "run `python starter.py docs`"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_the_moves_document_lists_every_move_of_every_kind(kind: object) -> None:
    text = moves_document()
    section = text[text.index(f"## {kind.name} (") :]  # type: ignore[attr-defined]
    section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else None]
    rows = {line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ")} - {"trigger", "---"}
    assert rows == set(kind.table.operator_triggers())  # type: ignore[attr-defined]


def test_the_appeal_signals_list_names_every_operator_trigger() -> None:
    kinds = (DOCS / "kinds.md").read_text(encoding="utf-8")
    match = re.search(r"\*\*Signals\*\* \(one per trigger[^:]*:(.*?)\n- \*\*Update", kinds, re.S)  # fmt: skip
    assert match is not None
    listed = set(re.findall(r"`([a-z_]+)`", match.group(1)))
    appeal = next(kind for kind in KINDS if kind.name == "appeal")
    assert set(appeal.table.operator_triggers()) - listed == set()


def test_every_variable_the_code_reads_is_documented_and_every_documented_one_is_read() -> None:
    documented = {name.strip() for v in VARIABLES for name in v.names.split("/")} | {s.env for s in settings.ALL}
    production = [p for p in ROOT.glob("*/*.py") if p.parts[-2] not in ("tests", "bench")] + list(ROOT.glob("*.py"))
    code = "\n".join(p.read_text(encoding="utf-8") for p in production)
    read = set(re.findall(r'"((?:APPEALS|TEMPORAL|DATABASE)_[A-Z_]+)"', code))
    assert read - documented == set(), "read by the code, missing from runtime/environment.py"
    assert documented - read == set(), "documented, but no code reads it"
    table = settings_document()
    assert all(f"`{name}`" in table for name in documented)
