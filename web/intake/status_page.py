"""The applicant's status page (issue 25): `/status/{number}?code=...` in Kazakh or Russian, with the
access code from the acknowledgement (runtime/status_access.py). It shows what the code's holder
already knows and nothing more: the state in words, the term and its extension, whether the answer
was given and delivered, and the answer's letter (PDF). A wrong code and an unknown number look
the same, and every view counts against the client address's rate (guessing is too slow to pay)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from activities.letters import local
from activities.pdf_letters import letter_of
from models.registry import CaseRecord, EventRecord, NotificationRecord
from policies.loading import load_policy
from runtime.status_access import code_matches
from web.intake.api import client_address
from web.rate_limit import RateLimit
from web.workbench.words import Words

HERE = Path(__file__).resolve().parent
PAGE = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "j2"]))
LANGUAGES = (("ru", "Русский"), ("kk", "Қазақша"))


@cache
def words() -> dict[str, Any]:
    return dict(yaml.safe_load((HERE / "status_words.yaml").read_text(encoding="utf-8")))


@dataclass
class Standing:
    received: str
    state: str
    term: str
    overdue: bool
    original: str
    approved: bool
    delivered: str
    letter: str  # the answer letter's key, once it went out


def standing_of(engine: Engine, number: str, language: str) -> Standing | None:
    """The appeal as the applicant may see it (None: no such appeal)."""
    with Session(engine) as session:
        card = session.get(CaseRecord, number)
        if card is None or card.kind not in ("appeal", "reception_instruction"):
            return None
        events = session.exec(
            select(EventRecord)
            .where(EventRecord.reg_number == number)
            .where(col(EventRecord.trigger).in_(("extend_deadline", "approve", "record_delivery")))
            .order_by(col(EventRecord.id))
        ).all()
        letter = session.exec(
            select(NotificationRecord.key).where(
                NotificationRecord.reg_number == number,
                NotificationRecord.template == "answer_letter",
                col(NotificationRecord.status).in_(("sent", "delivered")),
            )
        ).first()
    original = ""
    delivered = ""
    for event in events:
        detail = json.loads(event.detail or "{}")
        if event.trigger == "extend_deadline" and not original:
            original = str(detail.get("deadline", "")).split(" -> ")[0]
        if event.trigger == "record_delivery":
            delivered = str(detail.get("delivered_at", event.at))
    approved = any(e.trigger == "approve" for e in events)
    if approved and card.closure_reason == "answered" and not delivered:  # tables before v7: approval was the answer
        delivered = next(e.at for e in events if e.trigger == "approve")
    return Standing(
        received=local(card.received_at),
        state=Words(language).state(card.kind if card.kind == "appeal" else "appeal", card.state),
        term=local(card.deadline),
        overdue=card.overdue and card.state != "closed",
        original=local(original) if original else "",
        approved=approved,
        delivered=local(delivered) if delivered else "",
        letter=letter or "",
    )


def status_routes(engine: Engine) -> list[Route]:
    views = RateLimit(int(load_policy("intake")["rate_per_minute"]["status_page"]))

    def language(request: Request) -> str:
        asked = request.query_params.get("lang", "")
        if asked in ("ru", "kk"):
            return asked
        return "kk" if request.headers.get("accept-language", "").lower().startswith("kk") else "ru"

    def page(lang: str, number: str, code: str, status: int, found: Standing | None, **extra: Any) -> HTMLResponse:
        body = PAGE.get_template("status.html.j2").render(
            lang=lang, t=words()[lang], number=number, code_param=code, languages=LANGUAGES, found=found is not None,
            **(vars(found) if found else {}), **extra,
        )  # fmt: skip
        return HTMLResponse(body, status_code=status, headers={"Referrer-Policy": "no-referrer"})

    async def opened(request: Request) -> tuple[str, str, str, Response | None]:
        lang, number = language(request), request.path_params["number"][:40]
        code = request.query_params.get("code", "")[:64]
        wait = views.wait(client_address(request))
        if wait:
            response = HTMLResponse(words()[lang]["too_many"].format(wait=wait), status_code=429)
            response.headers["Retry-After"] = str(wait)
            return lang, number, code, response
        if not code or not code_matches(number, code):
            return lang, number, code, page(lang, number, "", 404, None)
        return lang, number, code, None

    async def status(request: Request) -> Response:
        lang, number, code, refused = await opened(request)
        if refused is not None:
            return refused
        found = await run_in_threadpool(standing_of, engine, number, lang)
        return page(lang, number, code, 200 if found else 404, found)

    async def answer_pdf(request: Request) -> Response:
        lang, number, code, refused = await opened(request)
        if refused is not None:
            return refused
        found = await run_in_threadpool(standing_of, engine, number, lang)
        letter = await run_in_threadpool(letter_of, engine, found.letter) if found and found.letter else None
        if letter is None:
            return page(lang, number, code, 404, None)
        disposition = f'inline; filename="{number}.pdf"'
        return Response(letter[0], media_type="application/pdf", headers={"Content-Disposition": disposition})

    return [
        Route("/status/{number}", status, methods=["GET"]),
        Route("/status/{number}/answer.pdf", answer_pdf, methods=["GET"]),
    ]
