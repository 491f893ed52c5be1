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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.engine import Connection, Engine

from analysis import charts, figures
from analysis.figures import DigestLine, PerformanceRow
from analysis.scope import Scope
from analysis.systemic import ProblemGroup, find_groups, find_problems, proposed_action, systemic_rules
from models.notices import REPORT_KINDS
from policies import routing
from policies.calendar import add_working_days, local_now
from policies.loading import load_policy
from policies.routing import executor_name

KINDS = REPORT_KINDS
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
        """The table as CSV, with its header even when no row is in the period (issue 26: an empty
        period gave header-less files)."""
        rows = self.tables[table]
        buffer = io.StringIO()
        columns = list(rows[0]) if rows else COLUMNS.get(table, [])
        if columns:
            writer = csv.DictWriter(buffer, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        return buffer.getvalue()

    @property
    def empty(self) -> bool:
        """No appeal (or, for the digest, no case) in the period."""
        return self.summary.get("total", self.summary.get("cases", 1)) == 0

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


# The columns of each CSV table, for a period with no rows (the rows' own keys otherwise).
COLUMNS: dict[str, list[str]] = {
    "executors": [f.name for f in fields(figures.PerformanceRow)] + ["on_time_share"],
    "quality": [f.name for f in fields(figures.QualityRow)],
    "groups": [
        "district", "appeals", "applicants", "previous_period", "trend", "late", "returned", "categories",
        "executors", "terms", "numbers", "rule", "first_day", "last_day", "responsible", "on_time", "places",
        "proposed_action",
    ],
    "categories": ["category", "appeals", "share"],
    "cases": ["executor", "reg_number", "deadline", "overdue"],
    "instructions": ["reg_number", "issuer", "lead", "state", "deadline", "overdue", "closure_reason"],
}  # fmt: skip
COLUMNS["systemic"] = COLUMNS["city"] = COLUMNS["groups"]


def generated_at() -> str:
    """When the report was made, in the department's local time with its zone named (issue 26:
    it was the server's time with no zone)."""
    moment = local_now()
    offset = moment.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    return f"{moment.strftime('%Y-%m-%d %H:%M')} ({moment.tzinfo}, UTC{hours:+d})"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _render(template: str, scope: Scope, kind_label: str, **context: Any) -> str:
    words = labels()
    language = scope.language

    def category_name(key: str) -> str:
        return routing.category_name(key, language)

    def district_name(key: str) -> str:
        return routing.district_name(key, language)

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
            generated=generated_at(),
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
    routing_names = load_policy("routing")
    names_c, names_d = routing_names["category_names"][scope.language], routing_names["district_names"][scope.language]
    rows = sorted({c for c, _, _ in cells})
    columns = sorted({d for _, d, _ in cells})
    return charts.heat_map(
        "chart-heat",
        words[scope.language]["heat"],
        [names_c.get(c, c) for c in rows],
        [names_d.get(d, d) for d in columns],
        {(names_c.get(c, c), names_d.get(d, d)): n for c, d, n in cells},
    )


# Each kind in two steps: its figures, counted once (SQL, and the grouping for the kinds that show
# systemic problems), and its page, drawn once per language from those figures.
Figures = dict[str, Any]


def _executor_figures(conn: Connection, scope: Scope) -> Figures:
    """What every page with the executors' table shows: the table and the monthly volumes."""
    return {"rows": figures.performance(conn, scope), "months": figures.by_month(conn, scope)}


def _performance_figures(conn: Connection, scope: Scope) -> Figures:
    return {
        **_executor_figures(conn, scope),
        "cells": figures.by_category_and_district(conn, scope),
        "total": figures.total(conn, scope),
        "quality": figures.quality(conn, scope),
    }


def _performance_page(scope: Scope, f: Figures) -> Report:
    rows, quality = f["rows"], f["quality"]
    chart = {**_performance_charts(scope, rows, f["months"]), "heat": _heat(scope, f["cells"])}
    html = _render(
        "performance.html.j2", scope, "performance", rows=rows, total=f["total"], charts=chart, quality=quality
    )
    tables = {"executors": [r.as_dict() for r in rows], "quality": [asdict(q) for q in quality]}
    return Report("performance", scope, html, tables, {"total": f["total"], "executors": len(rows)})


def _systemic_figures(conn: Connection, scope: Scope) -> Figures:
    groups, city = find_problems(conn, scope)
    return {
        "groups": groups,
        "city": city,
        "cells": figures.by_category_and_district(conn, scope),
        "total": figures.total(conn, scope),
    }


def _systemic_page(scope: Scope, f: Figures) -> Report:
    groups, total = f["groups"], f["total"]
    flagged = [g for g in groups if g.flagged]
    html = _render(
        "systemic.html.j2",
        scope,
        "systemic",
        groups=groups,
        flagged=flagged,
        city=f["city"],
        total=total,
        charts={"heat": _heat(scope, f["cells"])},
        proposed=lambda g: proposed_action(g, scope.language),
    )
    city = [
        {**_group_row(g, scope.language), "district": "; ".join(f"{d}={n}" for d, n in g.districts.items())}
        for g in f["city"]
    ]
    return Report(
        "systemic",
        scope,
        html,
        {"groups": [_group_row(g, scope.language) for g in flagged], "city": city},
        {"total": total, "groups": len(groups), "flagged": len(flagged), "city_wide": len(city)},
    )


def rule_text(language: str) -> str:
    """The systemic-problem rule in words, with the policy's numbers."""
    rules = systemic_rules()
    return str(labels()[language]["rule_text"]).format(
        min_appeals=rules.min_appeals, min_applicants=rules.min_applicants, similarity=f"{rules.similarity:.2f}"
    )


def _group_row(g: ProblemGroup, language: str = "ru") -> dict[str, Any]:
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
        "first_day": g.first_day,
        "last_day": g.last_day,
        "responsible": g.responsible,
        "on_time": "; ".join(f"{k}={v}" for k, v in g.on_time.items()),
        "places": "; ".join(g.places),
        "proposed_action": " ".join(proposed_action(g, language)),
    }


def district_flags(scope: Scope, found: figures.DistrictFigures) -> list[str]:
    """What makes the district's card show a problem, each with its rule (policies/analysis.yaml)."""
    rules = load_policy("analysis")["problem_card"]
    t = labels()[scope.language]
    names = load_policy("routing")["category_names"][scope.language]
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
            # The district's own share, said as the district's (issue 26: under a category's line it
            # read as that category's).
            share, threshold = _percent(found.share(part)), _percent(float(rules[key]))
            flags.append(t[flag].format(share=share, part=part, total=found.received, threshold=threshold))
    return flags


def _district_figures(conn: Connection, scope: Scope) -> Figures:
    if not scope.district:
        raise ValueError("district: a problem-issue card is for one district; name it")
    return {
        **_executor_figures(conn, scope),
        "found": figures.district_figures(conn, scope),
        "groups": [g for g in find_groups(conn, scope) if g.flagged],
    }


def _district_page(scope: Scope, f: Figures) -> Report:
    found, rows, groups = f["found"], f["rows"], f["groups"]
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
        charts=_performance_charts(scope, rows, f["months"]),
    )
    categories = [{"category": c, "appeals": n, "share": round(found.share(n), 4)} for c, n in found.by_category]
    return Report(
        "district",
        scope,
        html,
        {"categories": categories, "executors": [r.as_dict() for r in rows]},
        {"total": found.received, "flags": len(flags), "groups": len(groups)},
    )


def _half_year_figures(conn: Connection, scope: Scope) -> Figures:
    return {
        **_executor_figures(conn, scope),
        "instructions": figures.instruction_figures(conn, scope),
        "instruction_rows": figures.instruction_rows(conn, scope),
        "total": figures.total(conn, scope),
        "flagged": [g for g in find_groups(conn, scope) if g.flagged],
    }


def _half_year_page(scope: Scope, f: Figures) -> Report:
    rows, flagged, instructions = f["rows"], f["flagged"], f["instructions"]
    html = _render(
        "half_year.html.j2",
        scope,
        "half_year",
        instructions=instructions,
        instruction_rows=f["instruction_rows"],
        rows=rows,
        total=f["total"],
        flagged=flagged,
        charts=_performance_charts(scope, rows, f["months"]),
    )
    return Report(
        "half-year",
        scope,
        html,
        {
            "instructions": f["instruction_rows"],
            "executors": [r.as_dict() for r in rows],
            "systemic": [_group_row(g, scope.language) for g in flagged],
        },
        {"total": f["total"], "instructions": instructions.received, "instructions_overdue": instructions.overdue},
    )


def _due_lines(conn: Connection, today: date) -> dict[str, list[DigestLine]]:
    days = int(load_policy("analysis")["digest"]["at_risk_working_days"])
    grouped: dict[str, list[DigestLine]] = {}
    for line in figures.open_cases_due_by(conn, add_working_days(today, days).isoformat()):
        grouped.setdefault(line.executor, []).append(line)
    return grouped


def digest_lines(engine: Engine, today: date) -> dict[str, list[DigestLine]]:
    """Open appeals overdue or due within `digest.at_risk_working_days`, per executor."""
    with engine.connect() as conn:
        return _due_lines(conn, today)


def _digest_figures(conn: Connection, scope: Scope) -> Figures:
    """The digest is made the day after its week (a Monday): "due soon" counts from that day, as
    the notices it sends do (issue 26: the page counted from the week's last day, the notices from
    the next, and the two lists disagreed)."""
    made = scope.end + timedelta(days=1)
    days = int(load_policy("analysis")["digest"]["at_risk_working_days"])
    return {"by_executor": _due_lines(conn, made), "due_by": add_working_days(made, days).isoformat()}


def _digest_page(scope: Scope, f: Figures) -> Report:
    grouped = f["by_executor"]
    html = _render("digest.html.j2", scope, "digest", by_executor=grouped, due_by=f["due_by"])
    rows = [
        {"executor": e, "reg_number": line.reg_number, "deadline": line.deadline, "overdue": line.overdue}
        for e, lines in grouped.items()
        for line in lines
    ]
    return Report("digest", scope, html, {"cases": rows}, {"executors": len(grouped), "cases": len(rows)})


STEPS: dict[str, tuple[Callable[[Connection, Scope], Figures], Callable[[Scope, Figures], Report]]] = {
    "systemic": (_systemic_figures, _systemic_page),
    "district": (_district_figures, _district_page),
    "performance": (_performance_figures, _performance_page),
    "half-year": (_half_year_figures, _half_year_page),
    "digest": (_digest_figures, _digest_page),
}


def build_in(kind: str, engine: Engine, scope: Scope, languages: Sequence[str]) -> list[Report]:
    """The report in each language, its figures counted once (the grouping is most of the time)."""
    if kind not in STEPS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    count, page = STEPS[kind]
    with engine.connect() as conn:
        found = count(conn, scope)
    return [said_if_empty(page(replace(scope, language=language), found)) for language in languages]


def said_if_empty(report: Report) -> Report:
    """A report of a period with nothing in it says so at its top, instead of a page of zeros
    (issue 26)."""
    if report.empty:
        notice = f'<p id="empty" role="status"><b>{labels()[report.scope.language]["no_appeals"]}</b></p>'
        at = report.html.find("</p>", report.html.find('id="period"'))
        if at >= 0:
            report.html = report.html[: at + 4] + "\n" + notice + report.html[at + 4 :]
    return report


def build(kind: str, engine: Engine, scope: Scope) -> Report:
    return build_in(kind, engine, scope, [scope.language])[0]
