"""The reports for the akim, built from the registry: HTML with inline SVG charts (one file that
works offline) and CSV for every table.

Kinds: `systemic` (certificate on systemic issues, seed 7.1), `district` (problem-issue card of a
district, seed 7.2), `performance` (executors and district bodies, seed 5.3, 5.9, 6.5, 6.6),
`half-year` (for the akim, seed 7.6: instructions and appeals of the half-year), `digest` (overdue
and at-risk cases per executor, weekly).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.engine import Engine

from analysis import charts, figures
from analysis.figures import DigestLine, PerformanceRow
from analysis.scope import Scope
from analysis.systemic import ProblemGroup, find_groups, systemic_rules
from policies.calendar import add_working_days
from policies.loading import load_policy
from policies.routing import executor_name

KINDS = ("systemic", "district", "performance", "half-year", "digest")
SAFE_NAME = re.compile(r"[a-z0-9-]+")
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Report:
    kind: str
    scope: Scope
    html: str
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)  # the key figures, for the CLI and the workflow

    @property
    def name(self) -> str:
        """A file name from known words only (kind, district, dates, language): nothing a client
        sends can reach the file system (scope_of checks the district against the policy)."""
        district = f"-{self.scope.district}" if self.scope.district else ""
        name = (
            f"{self.kind}{district}-{self.scope.start.isoformat()}-{self.scope.end.isoformat()}-{self.scope.language}"
        )
        if not SAFE_NAME.fullmatch(name):
            raise ValueError(f"district: {self.scope.district!r} cannot be part of a file name")
        return name

    def csv(self, table: str) -> str:
        rows = self.tables[table]
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return buffer.getvalue()

    def write(self, folder: Path) -> list[Path]:
        """The HTML and one CSV per table, named after the kind, district, period and language."""
        folder.mkdir(parents=True, exist_ok=True)
        html = folder / f"{self.name}.html"
        html.write_text(self.html, encoding="utf-8")
        paths = [html]
        for table in self.tables:
            path = folder / f"{self.name}-{table}.csv"
            path.write_text(self.csv(table), encoding="utf-8")
            paths.append(path)
        return paths


@cache
def labels() -> dict[str, Any]:
    return dict(yaml.safe_load((TEMPLATES / "labels.yaml").read_text(encoding="utf-8")))


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _render(template: str, scope: Scope, kind_label: str, **context: Any) -> str:
    words = labels()
    language = scope.language

    def category_name(key: str) -> str:
        return str(words["categories"][language].get(key, key))

    def district_name(key: str) -> str:
        return str(words["districts"][language].get(key, key))

    def outcome_name(key: str) -> str:
        return str(words[language]["outcome_names"].get(key, key))

    return (
        _environment()
        .get_template(template)
        .render(
            lang=language,
            t=words[language],
            title=words[language][kind_label],
            basis=words[language][f"{kind_label}_basis"] if f"{kind_label}_basis" in words[language] else "",
            scope=scope,
            generated=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
            percent=_percent,
            executor_name=lambda key: executor_name(key, language) if key != "—" else key,
            category_name=category_name,
            district_name=district_name,
            outcome_name=outcome_name,
            rule_text=rule_text(language),
            **context,
        )
    )


def _performance_charts(scope: Scope, rows: list[PerformanceRow], months: list[tuple[str, int]]) -> dict[str, str]:
    t = labels()[scope.language]
    shares = [(executor_name(r.executor, scope.language), r.on_time_share) for r in rows if r.on_time_share is not None]
    return {
        "on_time": charts.shares("chart-on-time", t["on_time_share"], [(n, s) for n, s in shares if s is not None]),
        "volumes": charts.bars_over_time("chart-volumes", t["volumes"], months),
    }


def _heat(scope: Scope, cells: list[tuple[str, str, int]]) -> str:
    words = labels()
    names_c, names_d = words["categories"][scope.language], words["districts"][scope.language]
    rows = sorted({c for c, _, _ in cells})
    columns = sorted({d for _, d, _ in cells})
    return charts.heat_map(
        "chart-heat",
        words[scope.language]["heat"],
        [names_c.get(c, c) for c in rows],
        [names_d.get(d, d) for d in columns],
        {(names_c.get(c, c), names_d.get(d, d)): n for c, d, n in cells},
    )


def performance_report(engine: Engine, scope: Scope) -> Report:
    with engine.connect() as conn:
        rows = figures.performance(conn, scope)
        months = figures.by_month(conn, scope)
        cells = figures.by_category_and_district(conn, scope)
        total = figures.total(conn, scope)
        quality = figures.quality(conn, scope)
    chart = {**_performance_charts(scope, rows, months), "heat": _heat(scope, cells)}
    html = _render("performance.html.j2", scope, "performance", rows=rows, total=total, charts=chart, quality=quality)
    tables = {"executors": [r.as_dict() for r in rows], "quality": [asdict(q) for q in quality]}
    return Report("performance", scope, html, tables, {"total": total, "executors": len(rows)})


def systemic_report(engine: Engine, scope: Scope) -> Report:
    with engine.connect() as conn:
        groups = find_groups(conn, scope)
        cells = figures.by_category_and_district(conn, scope)
        total = figures.total(conn, scope)
    flagged = [g for g in groups if g.flagged]
    html = _render(
        "systemic.html.j2",
        scope,
        "systemic",
        groups=groups,
        flagged=flagged,
        total=total,
        charts={"heat": _heat(scope, cells)},
    )
    return Report(
        "systemic",
        scope,
        html,
        {"groups": [_group_row(g) for g in flagged]},
        {"total": total, "groups": len(groups), "flagged": len(flagged)},
    )


def rule_text(language: str) -> str:
    """The systemic-problem rule in words, with the policy's numbers."""
    rules = systemic_rules()
    return str(labels()[language]["rule_text"]).format(
        min_appeals=rules.min_appeals, min_applicants=rules.min_applicants, similarity=f"{rules.similarity:.2f}"
    )


def _group_row(g: ProblemGroup) -> dict[str, Any]:
    return {
        "district": g.district,
        "appeals": g.size,
        "applicants": g.applicants,
        "previous_period": g.previous,
        "trend": g.trend,
        "late": g.late,
        "returned": g.returned,
        "categories": "; ".join(f"{k}={v}" for k, v in g.categories.items()),
        "executors": "; ".join(f"{k}={v}" for k, v in g.executors.items()),
        "terms": "; ".join(g.terms),
        "numbers": " ".join(g.numbers),
        "rule": g.rule,
    }


def district_flags(scope: Scope, found: figures.DistrictFigures) -> list[str]:
    """What makes the district's card show a problem, each with its rule (policies/analysis.yaml)."""
    rules = load_policy("analysis")["problem_card"]
    t = labels()[scope.language]
    names = labels()["categories"][scope.language]
    flags: list[str] = []
    for category, count in found.by_category:
        if count >= int(rules["category_min"]) and found.share(count) >= float(rules["category_share"]):
            flags.append(
                f"{names.get(category, category)}: "
                + t["flag_category"].format(
                    share=_percent(found.share(count)),
                    threshold=_percent(float(rules["category_share"])),
                    minimum=int(rules["category_min"]),
                )
            )
    for part, key, flag in (
        (found.overdue, "overdue_share", "flag_overdue"),
        (found.returned, "returned_share", "flag_returned"),
    ):
        if found.received and found.share(part) >= float(rules[key]):
            flags.append(t[flag].format(share=_percent(found.share(part)), threshold=_percent(float(rules[key]))))
    return flags


def district_report(engine: Engine, scope: Scope) -> Report:
    with engine.connect() as conn:
        found = figures.district_figures(conn, scope)
        rows = figures.performance(conn, scope)
        months = figures.by_month(conn, scope)
        groups = [g for g in find_groups(conn, scope) if g.flagged]
    group_flag = labels()[scope.language]["flag_group"].format(rule=rule_text(scope.language))
    flags = district_flags(scope, found) + [group_flag for _ in groups]
    html = _render(
        "district.html.j2",
        scope,
        "district",
        figures=found,
        flags=flags,
        groups=groups,
        rows=rows,
        charts=_performance_charts(scope, rows, months),
    )
    categories = [{"category": c, "appeals": n, "share": round(found.share(n), 4)} for c, n in found.by_category]
    return Report(
        "district",
        scope,
        html,
        {"categories": categories, "executors": [r.as_dict() for r in rows]},
        {"total": found.received, "flags": len(flags), "groups": len(groups)},
    )


def half_year_report(engine: Engine, scope: Scope) -> Report:
    with engine.connect() as conn:
        instructions = figures.instruction_figures(conn, scope)
        instruction_rows = figures.instruction_rows(conn, scope)
        rows = figures.performance(conn, scope)
        months = figures.by_month(conn, scope)
        total = figures.total(conn, scope)
        flagged = [g for g in find_groups(conn, scope) if g.flagged]
    html = _render(
        "half_year.html.j2",
        scope,
        "half_year",
        instructions=instructions,
        instruction_rows=instruction_rows,
        rows=rows,
        total=total,
        flagged=flagged,
        charts=_performance_charts(scope, rows, months),
    )
    return Report(
        "half-year",
        scope,
        html,
        {
            "instructions": instruction_rows,
            "executors": [r.as_dict() for r in rows],
            "systemic": [_group_row(g) for g in flagged],
        },
        {"total": total, "instructions": instructions.received, "instructions_overdue": instructions.overdue},
    )


def digest_lines(engine: Engine, today: date) -> dict[str, list[DigestLine]]:
    """Open appeals overdue or due within `digest.at_risk_working_days`, per executor."""
    days = int(load_policy("analysis")["digest"]["at_risk_working_days"])
    with engine.connect() as conn:
        lines = figures.open_cases_due_by(conn, add_working_days(today, days).isoformat())
    grouped: dict[str, list[DigestLine]] = {}
    for line in lines:
        grouped.setdefault(line.executor, []).append(line)
    return grouped


def digest_report(engine: Engine, scope: Scope) -> Report:
    grouped = digest_lines(engine, scope.end)
    html = _render("digest.html.j2", scope, "digest", by_executor=grouped)
    rows = [
        {"executor": e, "reg_number": line.reg_number, "deadline": line.deadline, "overdue": line.overdue}
        for e, lines in grouped.items()
        for line in lines
    ]
    return Report("digest", scope, html, {"cases": rows}, {"executors": len(grouped), "cases": len(rows)})


BUILDERS: dict[str, Callable[[Engine, Scope], Report]] = {
    "systemic": systemic_report,
    "district": district_report,
    "performance": performance_report,
    "half-year": half_year_report,
    "digest": digest_report,
}


def build(kind: str, engine: Engine, scope: Scope) -> Report:
    if kind not in BUILDERS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "district" and not scope.district:
        raise ValueError("district: a problem-issue card is for one district; name it")
    return BUILDERS[kind](engine, scope)
