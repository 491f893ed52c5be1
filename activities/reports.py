"""Reports for the akim (issue 12): written to files and the registry's documents, and the weekly
digest of overdue and at-risk cases sent to each executor as a notice. The analysis (scipy,
matplotlib, pymorphy3 with its dictionaries: tens of MB and about a second to import) is imported
when a report runs, not when a worker starts."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError

from activities.letters import render
from activities.paper import print_bundle
from analysis.scope import LANGUAGES, Scope, half_year_of, month_before, week_before
from models.activity_names import SEND_DIGEST, WRITE_REPORT
from models.notices import NotificationRequest, ReportRequest, ReportResult
from models.registry import DocumentRecord, NotificationRecord, insert_once
from policies.calendar import local_zone, receipt_moment
from policies.loading import load_policy
from policies.routing import districts, executor_name

if TYPE_CHECKING:
    from analysis.reports import Report

REPORTS_DIR_ENV = "APPEALS_REPORTS_DIR"
DOCUMENT_KINDS = {"half-year": "half_year_report"}  # the kind the registry's documents knew it by


def reports_folder() -> Path:
    return Path(os.environ.get(REPORTS_DIR_ENV, "reports"))


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def local_day(value: str) -> date:
    """A date, or the local date of a moment (a schedule's start time)."""
    return receipt_moment(value).astimezone(local_zone()).date() if "T" in value else date.fromisoformat(value)


def scope_of(req: ReportRequest, district: str = "") -> Scope:
    """The period a request covers: its own dates, or the one its kind covers before its day.
    Raises ValueError naming the field for a date that is not one or a district that is not ours."""
    if district and district not in districts():
        raise ValueError(f"district: unknown value {district!r}; allowed: {', '.join(districts())}")
    if req.start and req.end:
        return Scope(_date("start", req.start), _date("end", req.end), district, req.language)
    try:
        day = local_day(req.day)
    except ValueError as error:
        raise ValueError(f"day: {error}") from None
    period = {"half-year": half_year_of, "district": month_before}.get(req.kind, week_before)(day)
    return Scope(period.start, period.end, district, req.language)


class ReportActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @WRITE_REPORT.method
    def write_report(self, req: ReportRequest) -> ReportResult:
        """Build and write the report (a district card for every district when none is named),
        and keep a copy in the registry's documents, once per report name. A request that
        names no known kind, period or language fails at once, saying which field is wrong."""
        try:
            return self._write(req)
        except ValueError as err:
            raise ApplicationError(str(err), type="InvalidReportRequest", non_retryable=True) from None

    def _write(self, req: ReportRequest) -> ReportResult:
        if req.kind == "paper":  # the print queue's bundle for the registry office (issue 24)
            path, count = print_bundle(self.engine, local_day(req.day), reports_folder() / "paper")
            return ReportResult(req.kind, [str(path)] if path else [], {"letters": count})
        if req.kind == "mail-drafts":  # the intake's e-mails not registered in their term (issue 25)
            from activities.mail_intake import alert_overdue

            return ReportResult(req.kind, [], {"alerted": alert_overdue(self.engine)})
        paths: list[str] = []
        summary: dict[str, int] = {}
        for report, written in self.written(req):
            paths.extend(str(p) for p in written)
            for key, value in report.summary.items():
                summary[key] = summary.get(key, 0) + int(value)
        return ReportResult(req.kind, paths, summary)

    def written(self, req: ReportRequest) -> list[tuple[Report, list[Path]]]:
        """Each report the request asks for (a district card for every district when none is
        named; both languages when none is), its figures counted once per district, written to
        files and kept in the registry's documents once per report name."""
        from analysis.reports import build_in  # scipy and matplotlib: loaded when a report runs

        names = [req.district] if req.district or req.kind != "district" else districts()
        languages = [req.language] if req.language else list(LANGUAGES)
        first = replace(req, language=languages[0])
        done: list[tuple[Report, list[Path]]] = []
        for district in names:
            for report in build_in(req.kind, self.engine, scope_of(first, district), languages):
                files = report.write(reports_folder())
                document = DocumentRecord(
                    key=report.name,
                    kind=DOCUMENT_KINDS.get(req.kind, f"report_{req.kind}"),
                    language=report.scope.language,
                    title=report.name,
                    body=report.html,
                    path=str(files[0]),
                )
                insert_once(self.engine, document)
                done.append((report, files))
        return done

    @SEND_DIGEST.method
    def send_digest(self, req: ReportRequest) -> int:
        """One notice per executor with open appeals overdue or due soon; once per executor and day."""
        from analysis.reports import digest_lines

        try:
            day = local_day(req.day)
        except ValueError as err:
            raise ApplicationError(f"day: {err}", type="InvalidReportRequest", non_retryable=True) from None
        days = int(load_policy("analysis")["digest"]["at_risk_working_days"])
        language = req.language or "ru"
        sent = 0
        for executor, lines in digest_lines(self.engine, day).items():
            key = f"digest-{day.isoformat()}-{executor}"
            subject, body = render(
                "weekly_digest",
                language,
                {
                    "count": str(len(lines)),
                    "executor_name": executor_name(executor, language),
                    "days": str(days),
                    "day": day.isoformat(),
                    "lines": "\n".join(f"{c.reg_number}: {c.deadline}{' !' if c.overdue else ''}" for c in lines),
                },
            )
            notice = NotificationRequest("", key, executor, "weekly_digest", language, {})
            sent += insert_once(self.engine, NotificationRecord.of(notice, subject, body))
        return sent
