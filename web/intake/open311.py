"""Open311 GeoReport v2 (issue 25) for city apps and tools that speak it, in JSON and XML:

- `GET /open311/v2/services.{fmt}`: the routing categories as services, named in Russian or Kazakh
  (`lang=kk`, or the Accept-Language);
- `GET /open311/v2/services/{code}.{fmt}`: a service's definition (no extra attributes);
- `POST /open311/v2/requests.{fmt}`: a service request registered as an appeal by the channel whose
  `api_key` it carries (the same path and checks as `POST /api/v1/appeals`); the district is named
  by `attribute[district]` or found in `address_string`;
- `GET /open311/v2/requests.{fmt}` and `/requests/{id}.{fmt}`: requests with the spec's filters
  (`service_request_id`, `service_code`, `start_date`, `end_date`, `status`); `expected_datetime`
  is the legal term. Without the registering channel's `api_key` a request shows no personal data
  (its description and address are left out: they are the citizen's).
Errors are Open311's: a list of `{code, description}`."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.errors import InputError
from models.intake import IntakeRecord
from models.intake_api import ApplicantIn, ChannelAppeal, ContactsIn
from models.registry import CaseRecord
from policies import calendar
from policies.appeals import unit_name
from policies.routing import categories, category_name, district_name, districts, executor_name
from tooling.intake import Channel, IntakeConflict, IntakeUnavailable, body_digest, register_from_channel
from web.guards import BodyTooLarge, read_body
from web.intake.api import IntakeGate, retry_after
from web.temporal import Temporal

FORMATS = ("json", "xml")
MAX_RESULTS = 1000
DEFAULT_DAYS = 90  # the spec: without dates, the most recent 90 days
OPEN311_TYPE = "application"  # a service request is an application (заявление) of the appeals law


def rendered(root: str, item: str, rows: list[dict[str, Any]], fmt: str, status: int = 200, **headers: str) -> Response:
    if fmt == "json":
        return Response(json.dumps(rows, ensure_ascii=False), status, headers, media_type="application/json")
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        for name, value in row.items():
            child = ET.SubElement(element, name)
            if isinstance(value, list):
                for entry in value:
                    ET.SubElement(child, "value").text = str(entry)
            elif value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return Response(body, status, headers, media_type="text/xml; charset=utf-8")


def failure(code: int, description: str, fmt: str, **headers: str) -> Response:
    return rendered("errors", "error", [{"code": code, "description": description}], fmt, code, **headers)


def language(request: Request) -> str:
    asked = request.query_params.get("lang", "")
    if asked in ("ru", "kk"):
        return asked
    return "kk" if request.headers.get("accept-language", "").lower().startswith("kk") else "ru"


def w3(moment: str) -> str:
    """A moment as the spec's w3 format, in local time with its offset."""
    if not moment:
        return ""
    if "T" not in moment:  # a term's day: its last second, local
        last = calendar.end_of_day(datetime.fromisoformat(moment).date()) - timedelta(seconds=1)
        return last.astimezone(calendar.local_zone()).isoformat(timespec="seconds")
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=calendar.local_zone())
    return parsed.astimezone(calendar.local_zone()).isoformat(timespec="seconds")


def service(code: str, lang: str) -> dict[str, Any]:
    other = "kk" if lang == "ru" else "ru"
    return {
        "service_code": code,
        "service_name": category_name(code, lang),
        "description": category_name(code, other),  # the name in the other state language
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "appeals",
    }


def district_of(form: dict[str, str]) -> str:
    """The district a request names: `attribute[district]`, or a district's name in the address."""
    given = form.get("attribute[district]", "").strip()
    if given:
        return given
    address = form.get("address_string", "").lower()
    for code in districts():
        if any(name.lower() in address for name in (district_name(code, "ru"), district_name(code, "kk"), code)):
            return code
    return ""


def appeal_of(form: dict[str, str], lang: str) -> ChannelAppeal:
    name = " ".join(p for p in (form.get("first_name", ""), form.get("last_name", "")) if p).strip()
    contacts = ContactsIn(
        email=form.get("email", ""), phone=form.get("phone", ""), address=form.get("address_string", "")
    )
    where = [f"{k}: {form[k]}" for k in ("lat", "long") if form.get(k)]
    text = form.get("description", "").strip()
    return ChannelAppeal(
        type=OPEN311_TYPE,
        language=lang,  # type: ignore[arg-type]
        applicant=ApplicantIn(kind="person" if name else "anonymous", name=name),
        contacts=contacts,
        category=form.get("service_code", ""),
        district=district_of(form),
        text=f"{text}\n({', '.join(where)})" if where and text else text,
    )


def request_row(card: CaseRecord, lang: str, mine: bool) -> dict[str, Any]:
    """A service request as the spec shows it; the citizen's own words and address only to the
    channel that registered it."""
    closed = card.state == "closed"
    return {
        "service_request_id": card.reg_number,
        "status": "closed" if closed else "open",
        "status_notes": card.closure_reason if closed else card.state,
        "service_name": category_name(card.category, lang),
        "service_code": card.category,
        "description": card.summary if mine else None,
        "agency_responsible": executor_name(card.executor, lang) if card.executor else unit_name(lang),
        "service_notice": "",
        "requested_datetime": w3(card.received_at),
        "updated_datetime": w3(card.updated_at.isoformat()) if card.updated_at else w3(card.received_at),
        "expected_datetime": w3(card.deadline),
        "address": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def open311_routes(engine: Engine, temporal: Temporal) -> list[Route]:
    gate = IntakeGate(engine)

    def fmt_of(request: Request) -> str | None:
        fmt = request.path_params["fmt"]
        return fmt if fmt in FORMATS else None

    async def services(request: Request) -> Response:
        fmt = fmt_of(request)
        if fmt is None:
            return failure(404, "format: json or xml", "json")
        return rendered("services", "service", [service(c, language(request)) for c in categories()], fmt)

    async def definition(request: Request) -> Response:
        fmt = fmt_of(request)
        code = request.path_params["code"]
        if fmt is None or code not in categories():
            return failure(404, f"service_code: {code[:40]!r} is not a service", fmt or "json")
        body = {"service_code": code, "attributes": []}
        if fmt == "json":
            return Response(json.dumps(body), media_type="application/json")
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = code
        ET.SubElement(top, "attributes")
        return Response(ET.tostring(top, encoding="utf-8"), media_type="text/xml; charset=utf-8")

    async def post_request(request: Request) -> Response:
        fmt = fmt_of(request) or "json"
        try:
            raw = await read_body(request, 65_536)
        except BodyTooLarge as err:
            return failure(413, str(err), fmt)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/x-www-form-urlencoded":
            return failure(415, "send the request form-encoded (application/x-www-form-urlencoded)", fmt)
        try:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=50))
        except (UnicodeDecodeError, ValueError) as err:
            return failure(400, f"the form cannot be read: {err}", fmt)
        channel = await gate.channel(request, key=form.get("api_key", ""))
        if isinstance(channel, Response):
            return failure(channel.status_code, json.loads(bytes(channel.body))["detail"], fmt, **_retry(channel))
        lang = language(request)
        appeal = appeal_of(form, lang)
        if not appeal.district:
            return failure(400, "district: name it in attribute[district] or in address_string", fmt)
        asked = {k: v for k, v in sorted(form.items()) if k != "api_key"}
        digest = body_digest(asked, [])
        external_id = "open311-" + hashlib.sha256(json.dumps(asked, ensure_ascii=False).encode()).hexdigest()[:40]
        intake = appeal.as_import(channel.appeal_channel, channel.name, "", unit_name(lang))
        try:
            _, answer = await register_from_channel(temporal.get, engine, channel, external_id, intake, digest)
        except InputError as err:
            return failure(400, f"{err.field}: {err.rule}", fmt)
        except IntakeConflict as err:
            return failure(409, str(err), fmt)
        except IntakeUnavailable as err:
            return failure(503, str(err), fmt, **{"Retry-After": retry_after()})
        notice = f"registered on {answer.registered_on}; the legal term ends on {answer.due_date}: {answer.status_url}"
        return rendered(
            "service_requests", "request",
            [{"service_request_id": answer.reg_number, "service_notice": notice, "account_id": None}], fmt, 201,
        )  # fmt: skip

    async def get_requests(request: Request) -> Response:
        fmt = fmt_of(request)
        if fmt is None:
            return failure(404, "format: json or xml", "json")
        try:
            rows = await run_in_threadpool(find, request.query_params, request.path_params.get("id", ""))
        except ValueError as err:
            return failure(400, str(err), fmt)
        channel = await _channel_if_keyed(request)
        lang = language(request)
        mine = await run_in_threadpool(_registered_by, engine, channel, [r.reg_number for r in rows])
        found = [request_row(card, lang, card.reg_number in mine) for card in rows]
        if request.path_params.get("id") and not found:
            return failure(404, f"service_request_id: {request.path_params['id'][:40]} is not a request", fmt)
        return rendered("service_requests", "request", found, fmt)

    async def _channel_if_keyed(request: Request) -> Channel | None:
        key = request.query_params.get("api_key", "")
        if not key:
            return None
        found = await gate.channel(request, key=key)
        return found if isinstance(found, Channel) else None

    def find(params: Any, one: str) -> list[CaseRecord]:
        query = select(CaseRecord).where(col(CaseRecord.kind) == "appeal")
        start = end = None
        ids = [one] if one else [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
        if ids:
            query = query.where(col(CaseRecord.reg_number).in_(ids[:MAX_RESULTS]))
        else:
            codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
            if codes:
                query = query.where(col(CaseRecord.category).in_(codes))
            statuses = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
            if statuses - {"open", "closed"}:
                raise ValueError("status: open, closed or both")
            if statuses == {"open"}:
                query = query.where(col(CaseRecord.state) != "closed")
            elif statuses == {"closed"}:
                query = query.where(col(CaseRecord.state) == "closed")
            start, end = _moment(params.get("start_date"), "start_date"), _moment(params.get("end_date"), "end_date")
            if start is None and end is None:
                from runtime.clock import utc_now

                start = utc_now() - timedelta(days=DEFAULT_DAYS)
            if start is not None and end is not None and end - start > timedelta(days=DEFAULT_DAYS):
                raise ValueError("start_date, end_date: at most 90 days apart")
        with Session(engine) as session:
            rows = list(session.exec(query.order_by(col(CaseRecord.received_at).desc()).limit(5 * MAX_RESULTS)).all())
        if not ids:
            rows = [r for r in rows if _within(r.received_at, start, end)]
        return rows[:MAX_RESULTS]

    return [
        Route("/open311/v2/services.{fmt}", services, methods=["GET"]),
        Route("/open311/v2/services/{code}.{fmt}", definition, methods=["GET"]),
        Route("/open311/v2/requests.{fmt}", post_request, methods=["POST"]),
        Route("/open311/v2/requests.{fmt}", get_requests, methods=["GET"]),
        Route("/open311/v2/requests/{id}.{fmt}", get_requests, methods=["GET"]),
    ]


def _retry(response: Response) -> dict[str, str]:
    wait = response.headers.get("retry-after")
    return {"Retry-After": wait} if wait else {}


def _moment(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: a w3 date-time, e.g. 2026-12-01T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=calendar.local_zone())


def _within(received_at: str, start: datetime | None, end: datetime | None) -> bool:
    moment = calendar.receipt_moment(received_at)
    return (start is None or moment >= start) and (end is None or moment <= end)


def _registered_by(engine: Engine, channel: Channel | None, numbers: list[str]) -> set[str]:
    if channel is None or not numbers:
        return set()
    with Session(engine) as session:
        mine = session.exec(
            select(IntakeRecord.reg_number).where(
                IntakeRecord.channel == channel.id, col(IntakeRecord.reg_number).in_(numbers)
            )
        ).all()
    return set(mine)
