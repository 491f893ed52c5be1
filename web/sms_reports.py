"""The SMS gateway's delivery reports (issue 24): `POST /sms/reports` with the shared token the
gateway was given (APPEALS_SMS_REPORT_TOKEN). A report marks the notice delivered, or failed (the
controller told); a report for no notice of ours changes nothing."""

from __future__ import annotations

import hmac
import json
import logging
import os

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.service import RPCError

from activities.outbox import OutboxActivities
from activities.sms import REPORT_TOKEN_ENV
from models.notices import DELIVERY_NEWS
from web.guards import BodyTooLarge, error, read_body
from web.temporal import Temporal

MAX_REPORT_BODY = 4_096


def sms_report_routes(engine: Engine, temporal: Temporal) -> list[Route]:
    async def report(request: Request) -> Response:
        token = os.environ.get(REPORT_TOKEN_ENV, "")
        if not token:
            return error(404, f"no SMS gateway reports here ({REPORT_TOKEN_ENV} unset)")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return error(401, "authorization: not the gateway's token")
        try:
            body = json.loads(await read_body(request, MAX_REPORT_BODY))
        except BodyTooLarge as err:
            return error(413, str(err))
        except ValueError:
            return error(400, "body: a JSON object {reference, id, status, error}")
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            return error(400, "status: required, a string (delivered, failed, ...)")
        reference, gateway_id = str(body.get("reference", ""))[:300], str(body.get("id", ""))[:300]
        if not reference and not gateway_id:
            return error(400, "reference or id: one is required")
        relay = OutboxActivities(engine, None)
        done, case = await run_in_threadpool(
            relay.record_report, reference, gateway_id, body["status"][:40], str(body.get("error", ""))[:300]
        )
        if case:  # the case reads its letter's delivery itself; a missed word is caught by its own look
            try:
                client = await temporal.get()
                await client.get_workflow_handle(case).signal(DELIVERY_NEWS)
            except (RPCError, OSError, RuntimeError) as err:
                logging.getLogger(__name__).info("delivery news for %s not sent: %s", case, err)
        return JSONResponse({"result": done}, status_code=404 if done == "unknown notice" else 200)

    return [Route("/sms/reports", report, methods=["POST"])]
