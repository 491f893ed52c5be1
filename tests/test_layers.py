"""Layers that only point down (issue 22, step 8): each package imports only the packages below it,
so there is no import circle and no arrow running back up. Imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Bottom to top; a package may import itself and any package listed before it.
LAYERS = [
    "runtime",  # ground: payloads, codec, seal signatures, settings, failures, search attributes, sandbox
    "models",  # data: inputs, moves, status, registry tables, activity references
    "policies",  # legal values as data: terms, calendar, routing, permissions
    "analysis",  # the akim's reports' engine (text grouping, figures)
    "workflows",  # the kinds, their tables and what they share
    "activities",  # side effects
    "tooling",  # operators' and auditors' tools: client, sealing, users, replay, trail, schedules
    "web",  # the one ASGI application
    "cli",  # the command line
]
TOP = {"worker", "starter"}  # entry points: may import anything, nothing imports them


def _ours(name: str) -> str | None:
    head = name.split(".")[0]
    return head if head in LAYERS or head in TOP else None


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(filter(None, (_ours(alias.name) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            head = _ours(node.module)
            if head:
                found.add(head)
    return found


def test_every_package_imports_only_the_layers_below_it() -> None:
    upward = []
    for level, package in enumerate(LAYERS):
        allowed = set(LAYERS[: level + 1])
        for path in sorted((ROOT / package).rglob("*.py")):
            for imported in sorted(_imports(path) - allowed):
                upward.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert upward == []


def test_only_the_two_entry_points_stand_at_the_top() -> None:
    """The design card names worker.py and starter.py; every other module lives in a package."""
    assert {p.stem for p in ROOT.glob("*.py")} == TOP
    for entry in TOP:
        assert len((ROOT / f"{entry}.py").read_text(encoding="utf-8").splitlines()) <= 200


def _module_graph() -> dict[str, set[str]]:
    modules = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def test_no_module_imports_itself_round_a_circle() -> None:
    """Not even through an import inside a function (the old cli_core <-> users_cli circle)."""
    graph = _module_graph()
    circles = []
    for start in graph:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert sorted(circles) == []
