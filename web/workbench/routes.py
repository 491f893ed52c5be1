"""The workbench's pages. Every page needs the log-in's session (the codec server's cookie);
every form post is checked for its origin and its token; a move is sent as the `transition`
Update sealed on this server for the logged-in user, and its acceptance or refusal is shown at
once on the page, in the user's language."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.mail_intake import due_by, registered
from activities.receptions import list_slots
from models.errors import InputError
from policies.calendar import local_zone
from policies.permissions import permission_matrix, registering_roles
from policies.routing import categories, districts
from runtime.clock import utc_now
from tooling.client import transition
from tooling.outbox import OutboxError, letter_roles, resend_letters
from tooling.paper import post_letter
from tooling.registering import checked, numbered, register
from tooling.seal import Identity
from tooling.users import session_identity
from web.guards import CSRF_COOKIE, BodyTooLarge, csrf_refusal, read_body
from web.login_routes import COOKIE
from web.temporal import Temporal
from web.workbench.cases import (
    CaseList,
    Filters,
    attachment_of,
    card_of,
    case_file,
    local_time,
    my_cases,
    waiting_for,
    whose,
    working_days_left,
)
from web.workbench.forms import move_form, payload_from
from web.workbench.mail_drafts import as_utc, draft_fields, draft_input, draft_of, waiting_drafts
from web.workbench.registration import REGISTRATIONS
from web.workbench.words import Words
from workflows.kinds import BY_NAME, CARD_KINDS, KINDS, kind_of_card, kind_of_number

Page = Callable[[Request, Identity, str], Awaitable[Response]]
LANG_COOKIE = "appeals_lang"
MAX_FORM_BODY = 64_000  # an answer is at most 30,000 characters, each up to 2 bytes posted
PROPOSAL_DECISIONS = ("approve_proposal", "reject_proposal")
LETTER_MOVES = ("resend_notice", "mark_posted")  # made from the letter's row, not a generic form
APPLICANT_LETTERS = ("letter", "notice", "acknowledgement", "decision")  # how the applicant's templates end
PERSONAL_DATA_ROLES = ("registrar", "controller", "executor", "head", "deputy_head", "official")
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def workbench_routes(engine: Engine, temporal: Temporal, secure_cookie: bool) -> list[Route]:
    async def who_is(request: Request) -> tuple[Identity, str] | None:
        return await run_in_threadpool(session_identity, engine, request.cookies.get(COOKIE, ""))

    def words(request: Request) -> Words:
        return Words(request.cookies.get(LANG_COOKIE, "ru"))

    def render(request: Request, template: str, who: Identity, code: int = 200, **context: Any) -> Response:
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        may_register = any(role in registering_roles() for role in who.roles)
        body = TEMPLATES.get_template(template).render(
            w=words(request), who=who, path=request.url.path, csrf=csrf, can_register=may_register, **context
        )
        response = HTMLResponse(body, status_code=code)
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure_cookie)
        return response

    def to_login(request: Request) -> Response:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    def signed_in(page: Page) -> Callable[[Request], Awaitable[Response]]:
        """A page for the logged-in user (who, and how they logged in); anyone else goes to the log-in."""

        async def handler(request: Request) -> Response:
            found = await who_is(request)
            return to_login(request) if found is None else await page(request, *found)

        return handler

    async def posted_form(request: Request) -> tuple[dict[str, Any], int, str]:
        """The posted form (each field's first value, and under `<field>[]` all its values), or why
        it is refused: (fields, 0, "") or (fields read so far, HTTP code, reason). Every form post
        is read here: a body past the limit, another site's origin or a stale token goes no further."""
        try:
            body = (await read_body(request, MAX_FORM_BODY)).decode(errors="replace")
        except BodyTooLarge as err:
            return {}, 413, str(err)
        posted = parse_qs(body, keep_blank_values=True)
        first = {k: v[0] for k, v in posted.items()}
        fields: dict[str, Any] = {**first, **{f"{k}[]": v for k, v in posted.items()}}
        refusal = csrf_refusal(request, first, secure_cookie)
        return (fields, 403, refusal) if refusal else (fields, 0, "")

    async def cases_page(request: Request, who: Identity, how: str) -> Response:
        filters = Filters.of(request.query_params)
        own_only = sorted({role for kind in KINDS for role in permission_matrix(kind.name).own_only})
        listed = await run_in_threadpool(my_cases, engine, whose(who, own_only), filters)
        waiting = await run_in_threadpool(waiting_for, engine, who)
        return render(
            request,
            "cases.html.j2",
            who,
            listed=listed,
            filters=filters,
            waiting=waiting,
            kinds=list(CARD_KINDS),
            categories=categories(),
            districts=districts(),
        )

    def allowed_moves(who: Identity, card: Any, proposals: int) -> list[str]:
        """The moves the kind's table allows from the card's state and the user's roles may make
        (an own-only role only on its unit's cases); a proposal's decision only while one of the
        case's proposals awaits it. Other conditions are checked when a move is sent."""
        kind = kind_of_card(card.kind)
        matrix = permission_matrix(kind.name)
        acting = who.unit or who.id
        moves = []
        for trigger in kind.table.operator_triggers_from(card.state):
            roles = [r for r in who.roles if r in matrix.roles_for(trigger)]
            if trigger in PROPOSAL_DECISIONS and not proposals:
                continue
            if trigger in LETTER_MOVES:  # offered on the letter itself ("send again")
                continue
            if trigger != "retry_side_effects" and any(
                r not in matrix.own_only or card.executor == acting for r in roles
            ):
                moves.append(trigger)
        return moves

    async def show_case(request: Request, who: Identity, message: str = "", *, code: int = 200) -> Response:
        """The case page; `message` is what the last action did (an error when `code` says so)."""
        number = request.path_params["number"]
        file = await run_in_threadpool(case_file, engine, number)
        w = words(request)
        if file is None:
            listed, filters = CaseList([]), Filters()
            return render(
                request, "cases.html.j2", who, 404, listed=listed, filters=filters, message=number, error=True
            )
        events = [
            {
                "when": local_time(e.at),
                "trigger": e.trigger,
                "who": f"{e.actor_name or e.actor_id} ({w.role(e.actor_role)})",
                "to_state": e.to_state,
                "reason": e.reason,
            }
            for e in file.events
        ]
        notices = [
            {
                "when": local_time(n.created_at),
                "template": n.template,
                "recipient": n.recipient,
                "body": n.body,
                "staff": not n.template.endswith(APPLICANT_LETTERS),
                "delivery": w(
                    "delivery_retrying" if n.status == "queued" and n.attempts else f"delivery_{n.status}",
                    when=local_time(n.sent_at) if n.sent_at else "",
                    channel=w.choice("channels", n.channel) if n.channel else "",
                    why=n.last_error[:200],
                    tries=n.attempts,
                ),
                "key": n.key,
                "failed": n.status == "failed",
                "to_post": n.status in ("queued", "failed") and n.template.endswith(APPLICANT_LETTERS),
            }
            for n in file.notices
        ]
        documents = [
            {"when": local_time(d.created_at), "title": d.title, "kind": d.kind, "body": d.body if d.path == "" else ""}
            for d in file.documents
        ]
        return render(
            request,
            "case.html.j2",
            who,
            code,
            card=file.card,
            events=events,
            notices=notices,
            documents=documents,
            attachments=file.attachments,
            related=file.related,
            moves=allowed_moves(who, file.card, file.proposals_awaiting),
            left=working_days_left(file.card.deadline),
            zone=str(local_zone()),
            show_personal=any(r in PERSONAL_DATA_ROLES for r in who.roles),
            may_resend=any(r in letter_roles("resend_notice") for r in who.roles),
            may_post=any(r in letter_roles("mark_posted") for r in who.roles),
            message=message,
            error=code >= 400,
        )

    async def case_page(request: Request, who: Identity, how: str) -> Response:
        if request.query_params.get("registered"):
            number = request.path_params["number"]
            return await show_case(request, who, words(request)("registered_as", number=number))
        return await show_case(request, who)

    async def offered(kind: str, number: str, w: Words) -> dict[str, list[tuple[str, str]]]:
        """Choices the registry knows for a move's fields: a reception's official's free slots."""
        if kind != "reception":
            return {}
        card = await run_in_threadpool(card_of, engine, number)
        official = card.addressee if card else ""
        slots = await run_in_threadpool(list_slots, engine, official, None, True)
        now = utc_now()
        ahead = [s for s, _ in slots if datetime.fromisoformat(s.start) > now]  # a begun slot cannot be booked
        return {"details.slot_id": [(str(s.slot_id), f"{s.local} · {w.choice('', s.format)} {s.place}") for s in ahead]}

    def move_setup(request: Request) -> tuple[str, str, Any]:
        number, trigger = request.path_params["number"], request.path_params["trigger"]
        kind = kind_of_number(number)
        if kind is None or trigger not in kind.table.operator_triggers():
            raise KeyError(trigger)
        return number, trigger, kind

    async def move_page(request: Request, who: Identity, how: str) -> Response:
        try:
            number, trigger, kind = move_setup(request)
        except KeyError:
            return await show_case(request, who, words(request)("no_moves"), code=404)
        form = move_form(kind.table, trigger, words(request), await offered(kind.name, number, words(request)))
        return render(request, "move.html.j2", who, number=number, trigger=trigger, form=form, posted={})

    async def move_posted(request: Request, who: Identity, how: str) -> Response:
        w = words(request)
        try:
            number, trigger, kind = move_setup(request)
        except KeyError as err:
            return await show_case(request, who, w("refused", why=str(err)), code=400)
        fields, code, refusal = await posted_form(request)
        if code:
            return await show_case(request, who, w("refused", why=refusal), code=code)
        form = move_form(kind.table, trigger, w, await offered(kind.name, number, words(request)))
        matrix = permission_matrix(kind.name)
        role = next((r for r in who.roles if r in matrix.roles_for(trigger)), who.roles[0] if who.roles else "")
        try:
            payload = payload_from(form, fields)
            client = await temporal.get()
            st = await transition(client.get_workflow_handle(number), trigger, who, role, method=how, **payload)
        except (ValueError, WorkflowUpdateFailedError) as err:
            cause = getattr(err, "cause", None) or err
            reason = str(getattr(cause, "message", "") or cause)
            why = w("refused", why=w.refusal(reason, tuple(getattr(cause, "details", ()) or ()), kind.name))
            context = {"number": number, "trigger": trigger, "form": form, "posted": fields}
            return render(request, "move.html.j2", who, 422, message=why, error=True, **context)
        except RPCError:
            return await show_case(request, who, w("unavailable"), code=503)
        return await show_case(request, who, w("done", move=w.trigger(trigger), state=w.state(kind.name, st.state)))

    def register_form(
        request: Request,
        who: Identity,
        kind: str,
        posted: dict[str, Any],
        message: str = "",
        *,
        code: int = 200,
        draft: Any = None,
        draft_files: list[str] | None = None,
    ) -> Response:
        form = REGISTRATIONS[kind].form(words(request))
        return render(
            request,
            "register.html.j2",
            who,
            code,
            kind=kind,
            kinds=list(REGISTRATIONS),
            form=form,
            posted=posted or dict(REGISTRATIONS[kind].defaults),
            draft=draft,
            draft_files=draft_files or [],
            draft_when=local_time(draft.received_at) if draft is not None else "",
            message=message,
            error=code >= 400,
        )

    def registering_kind(request: Request) -> str | None:
        kind = request.path_params.get("kind", "appeal")
        return kind if kind in REGISTRATIONS else None

    async def register_page(request: Request, who: Identity, how: str) -> Response:
        kind = registering_kind(request)
        if kind is None:
            return RedirectResponse("/work/register/appeal", status_code=303)
        draft_id = request.query_params.get("draft", "")
        if kind == "appeal" and draft_id.isdigit():  # an e-mail of the intake, its fields filled in
            found = await run_in_threadpool(draft_of, engine, int(draft_id))
            if found is None:
                return register_form(request, who, kind, {}, words(request)("draft_gone"), code=404)
            return register_form(request, who, kind, draft_fields(found[0]), draft=found[0], draft_files=found[1])
        return register_form(request, who, kind, {})

    async def inbox(request: Request, who: Identity, how: str) -> Response:
        """The intake mailbox's e-mails waiting for a registrar, the oldest first, with their term."""
        if not any(r in registering_roles() for r in who.roles):
            return await cases_page(request, who, how)
        now = utc_now()
        drafts = [
            {
                "id": d.id,
                "when": local_time(d.received_at),
                "sender": f"{d.from_name} <{d.from_address}>".strip(),
                "subject": d.subject,
                "due": local_time(due_by(as_utc(d.received_at))),
                "late": due_by(as_utc(d.received_at)) <= now,
                "files": files,
            }
            for d, files in await run_in_threadpool(waiting_drafts, engine)
        ]
        return render(request, "inbox.html.j2", who, drafts=drafts)

    async def register_posted(request: Request, who: Identity, how: str) -> Response:
        """Register a case of the kind: refused before a number is taken (the same check as the
        CLI's and the workflow's, tooling/registering.py), then numbered, sealed for the
        logged-in registrar and started; the case page once its card is written."""
        w = words(request)
        kind = registering_kind(request)
        if kind is None:
            known = ", ".join(REGISTRATIONS)
            return register_form(request, who, "appeal", {}, w("refused", why=f"kind: one of {known}"), code=404)
        fields, code, refusal = await posted_form(request)
        if not code and not any(r in registering_roles() for r in who.roles):
            code, refusal = 403, w("may_not_register")
        if code:
            return register_form(request, who, kind, fields, w("refused", why=refusal), code=code)
        raw = {**REGISTRATIONS[kind].raw(fields), "received_at": utc_now().isoformat()}  # received now
        draft_id = int(fields["draft"]) if kind == "appeal" and str(fields.get("draft", "")).isdigit() else None
        if draft_id is not None:  # an e-mail of the intake: received when it came, with its files
            found = await run_in_threadpool(draft_of, engine, draft_id)
            if found is None:
                return register_form(request, who, kind, fields, w("draft_gone"), code=409)
            raw.update(draft_input(found[0], found[2]))
        try:
            checked(BY_NAME[kind], raw)  # refused before a number is taken
            parsed = await run_in_threadpool(numbered, engine, BY_NAME[kind], raw)
            number = await register(await temporal.get(), BY_NAME[kind], parsed, who, how)
            if draft_id is not None:
                await run_in_threadpool(registered, engine, draft_id, number, who.id)
                ground = str(fields.get("leave_ground", ""))
                if ground in ("no_essence", "anonymous"):  # registered, then not considered, with the ground
                    handle = (await temporal.get()).get_workflow_handle(number)
                    reason = w.choice("leave_grounds", ground)
                    await transition(
                        handle, "leave_without_consideration", who, "registrar", method=how, reason=reason,
                        details={"ground": ground},
                    )  # fmt: skip
        except InputError as err:
            return register_form(request, who, kind, fields, w("refused", why=w.input_error(err)), code=422)
        except WorkflowAlreadyStartedError:  # the registry's counter is behind the cases: nothing started
            return register_form(request, who, kind, fields, w("number_taken", number=parsed.reg_number), code=409)
        except RPCError:
            return register_form(request, who, kind, fields, w("unavailable"), code=503)
        for _ in range(100):  # the workflow writes the card as it starts: show the case once it is there
            if await run_in_threadpool(card_of, engine, number) is not None:
                break
            await asyncio.sleep(0.05)
        return RedirectResponse(f"/work/case/{number}?registered=1", status_code=303)

    async def resend_posted(request: Request, who: Identity, how: str) -> Response:
        """A failed notice sent again, to a corrected address if one is given (tooling/outbox.py:
        controllers and heads; recorded as the case's event with who did it)."""
        w = words(request)
        fields, code, refusal = await posted_form(request)
        if code:
            return await show_case(request, who, w("refused", why=refusal), code=code)
        number = request.path_params["number"]
        try:
            key, address = str(fields.get("key", "")), str(fields.get("address", ""))
            await resend_letters(temporal.get, engine, who, how, number, key, address)
        except OutboxError as err:
            return await show_case(request, who, w("refused", why=str(err)), code=403)
        except RPCError:
            return await show_case(request, who, w("unavailable"), code=503)
        return await show_case(request, who, w("resent"))

    async def attachment(request: Request, who: Identity, how: str) -> Response:
        """A file that came with the appeal, to the roles that see personal data (it may hold some)."""
        number, sha256 = request.path_params["number"], request.path_params["sha256"]
        found = await run_in_threadpool(attachment_of, engine, number, sha256[:64])
        if found is None or not any(r in PERSONAL_DATA_ROLES for r in who.roles):
            return await show_case(request, who, words(request)("no_file"), code=404)
        disposition = f"attachment; filename*=UTF-8''{quote(found.name)}"
        return Response(found.content, media_type=found.content_type, headers={"Content-Disposition": disposition})

    async def posted_letter(request: Request, who: Identity, how: str) -> Response:
        """A letter posted or handed over on paper, with the post's tracking number (the case's move
        mark_posted: registrars and controllers; the answer's delivery closes the appeal)."""
        w = words(request)
        fields, code, refusal = await posted_form(request)
        if code:
            return await show_case(request, who, w("refused", why=refusal), code=code)
        number, key = request.path_params["number"], str(fields.get("key", ""))
        try:
            if not key.startswith(f"{number}:"):
                raise OutboxError(f"key: {key[:100]!r} is not a letter of {number}")
            await post_letter(temporal.get, engine, who, how, key, str(fields.get("tracking", "")))
        except OutboxError as err:
            return await show_case(request, who, w("refused", why=str(err)), code=422)
        except RPCError:
            return await show_case(request, who, w("unavailable"), code=503)
        return await show_case(request, who, w("posted"))

    async def language(request: Request) -> Response:
        back = request.query_params.get("back", "/work")
        response = RedirectResponse(back if back.startswith("/work") else "/work", status_code=303)
        chosen = request.path_params["lang"] if request.path_params["lang"] in ("ru", "kk") else "ru"
        response.set_cookie(LANG_COOKIE, chosen, samesite="lax", secure=secure_cookie, max_age=365 * 86400)
        return response

    return [
        Route("/work", signed_in(cases_page), methods=["GET"]),
        Route("/work/register", signed_in(register_page), methods=["GET"]),
        Route("/work/register/{kind}", signed_in(register_page), methods=["GET"]),
        Route("/work/register/{kind}", signed_in(register_posted), methods=["POST"]),
        Route("/work/inbox", signed_in(inbox), methods=["GET"]),
        Route("/work/lang/{lang}", language, methods=["GET"]),
        Route("/work/case/{number}", signed_in(case_page), methods=["GET"]),
        Route("/work/case/{number}/notice/resend", signed_in(resend_posted), methods=["POST"]),
        Route("/work/case/{number}/notice/posted", signed_in(posted_letter), methods=["POST"]),
        Route("/work/case/{number}/attachments/{sha256}", signed_in(attachment), methods=["GET"]),
        Route("/work/case/{number}/{trigger}", signed_in(move_page), methods=["GET"]),
        Route("/work/case/{number}/{trigger}", signed_in(move_posted), methods=["POST"]),
    ]
