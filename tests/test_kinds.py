"""`workflows/kinds.py` is the only list of kinds (issue 22, step 1): every kind is walked through
its permissions, its numbers, its cards and the corpus's file names, and no production module
spells a kind's number prefix itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from policies.permissions import permission_matrix
from tooling.replay import workflow_id_of
from tooling.users import known_roles
from workflows.kinds import BY_NAME, KINDS, PREFIXES, kind_of_card, kind_of_number, placeholder_number

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_is_known_everywhere_by_its_one_entry(kind: object) -> None:
    from workflows.kinds import Kind

    assert isinstance(kind, Kind)
    matrix = permission_matrix(kind.name)  # its roles and triggers are in policies/permissions.yaml
    assert set(matrix.roles()) <= set(known_roles())
    operator = set(kind.table.operator_triggers()) - {"retry_side_effects"}
    granted = {t for role in matrix.roles() for t in matrix.grants[role]}
    assert operator - granted == set(), f"{kind.name}: triggers nobody may send"
    number = f"{kind.prefix}-2026-000042"
    assert kind_of_number(number) is kind and kind_of_number(placeholder_number(kind.name)) is kind
    assert kind_of_card(kind.name) is kind
    assert workflow_id_of(Path(f"{kind.name}_path__{number}.json")) == number  # the corpus's names
    assert workflow_id_of(Path(f"{number}__0123-run.json")) == number  # an export's names


def test_an_instruction_given_at_a_reception_runs_as_an_appeal() -> None:
    assert kind_of_number("RCP-2026-000001-2") is BY_NAME["appeal"]
    assert kind_of_card("reception_instruction") is BY_NAME["appeal"]
    assert kind_of_number("XYZ-2026-000001") is None


def test_no_production_module_spells_a_kind_s_number_prefix() -> None:
    """A prefix as a string of its own ("APL") outside kinds.py is a second list of kinds."""
    modules = [p for p in ROOT.glob("*.py")] + [
        p for folder in ("workflows", "activities", "models", "policies", "runtime", "analysis", "web")
        for p in (ROOT / folder).rglob("*.py")
    ]  # fmt: skip
    found = []
    for path in modules:
        if path.name == "kinds.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in PREFIXES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def _point_kinds(path: Path) -> set[str]:
    """The timer point kinds a module plans: TimerPoint("kind", ...) and
    working_days_after_today(days, "kind")."""
    kinds: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        position = {"TimerPoint": 0, "working_days_after_today": 1}.get(name)
        if position is not None and len(node.args) > position:
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                kinds.add(arg.value)
    return kinds


def test_every_timer_point_a_kind_plans_has_its_handler() -> None:
    """Issue 22, step 5: timer points are dispatched by name (`on_point_<kind>`), as triggers are."""
    planned = {
        "appeal": set().union(*(_point_kinds(path) for path in (ROOT / "workflows").glob("appeal*.py")))
        | _point_kinds(ROOT / "activities" / "policy.py"),
        "reception": _point_kinds(ROOT / "workflows" / "reception.py"),
        "instruction": _point_kinds(ROOT / "workflows" / "instruction.py") | {"reminder", "escalation"},
    }
    assert planned["appeal"] >= {"reminder", "escalation", "disciplinary", "hearing_end", "forward_escalation"}
    missing = [
        f"{name}: {kind}" for name, kinds in planned.items() for kind in sorted(kinds)
        if not callable(getattr(BY_NAME[name].workflow, f"on_point_{kind}", None))
    ]  # fmt: skip
    assert missing == []


def test_every_table_version_names_handlers_its_workflow_has() -> None:
    """Issue 22, step 4: a version names its own handlers in its rows (`on_<trigger>` by default);
    each exists, every row of a trigger names the same one, and only table v1 of the appeal names
    others (workflows/appeal_v1.py): the later versions make every move with `on_<trigger>`."""
    named_otherwise = []
    for name, kind in BY_NAME.items():
        for table in kind.workflow.TABLES.tables:
            for trigger in table.triggers():
                handlers = {row.get("handler") for row in table.rows(trigger)}
                assert len(handlers) == 1, (name, table.version, trigger)
                method = table.handler(trigger)
                assert callable(getattr(kind.workflow, method, None)), (name, table.version, method)
                if method != f"on_{trigger}":
                    named_otherwise.append((name, table.version, trigger))
    assert {(name, version) for name, version, _ in named_otherwise} == {("appeal", 1)}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_kind_brings_its_own_policy_check_and_commands_found_by_name(kind: object) -> None:
    """Issue 22: what varies by kind is found by the kind's name, not listed in shared code: its
    registration check (policies/<kind>s.py), its request type, its commands (cli/<kind>s.py)."""
    import typing
    from importlib import import_module
    from importlib.util import find_spec

    from models.policy_snapshot import PolicyRequest

    name = kind.name  # type: ignore[attr-defined]
    assert callable(import_module(f"policies.{name}s").registration_check)
    kinds_asked = {typing.get_type_hints(request)["kind"].__args__[0] for request in typing.get_args(PolicyRequest)}
    assert name in kinds_asked
    if name != "appeal":  # the appeal's commands are the CLI's own (register, import)
        assert find_spec(f"cli.{name}s") is not None and import_module(f"cli.{name}s").KIND_APP is not None
