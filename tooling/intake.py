"""Registering appeals that come through channels (issue 25): the channels' keys, and one
registration path for the intake API, Open311 and the e-mail intake. A registration is checked by
the same parser and policy check as `starter.py import` before a number is taken; the channel's
own id for it makes a retry the same case; the start is sealed with the channel's identity."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from models.appeal import AppealInput
from models.intake import AttachmentRecord, ChannelRecord, IntakeRecord
from models.intake_api import Registered, Standing
from models.registry import CaseRecord, EventRecord, first_row, write_lock
from policies import calendar
from policies.terms import term_working_days
from runtime.clock import utc_now
from runtime.status_access import status_url
from tooling.client import ClientGetter, start_case
from tooling.numbering import allocate_number
from tooling.registering import checked
from tooling.seal import Identity
from workflows.kinds import BY_NAME

CHANNEL_ROLE = "channel"  # policies/registration.yaml registering_roles
KEY_PREFIX = "ak"


class IntakeConflict(Exception):
    """The channel's id names a registration with another body (409)."""


class IntakeUnavailable(Exception):
    """Temporal cannot be reached: nothing was started; the same request can be sent again (503)."""


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    appeal_channel: str

    def identity(self) -> Identity:
        """The service identity a channel's registrations are sealed with ("registered via ...")."""
        return Identity(f"channel:{self.id}", self.name, [CHANNEL_ROLE])


@dataclass(frozen=True)
class Upload:
    """A file that came with the appeal (multipart)."""

    name: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_channel(
    engine: Engine, channel_id: str, name: str, appeal_channel: str = "electronic", oauth_client: str = ""
) -> str:
    """A channel and its API key (shown once: only its hash is kept), and the client id its access
    tokens from the identity provider name, if it uses them. A second call for the same channel
    replaces the key (the old one stops working)."""
    from models.appeal import CHANNELS

    if appeal_channel not in CHANNELS:
        raise ValueError(f"appeal_channel: one of {', '.join(CHANNELS)}")
    key = f"{KEY_PREFIX}_{channel_id}_{secrets.token_urlsafe(32)}"
    with write_lock(engine), Session(engine) as session:
        record = session.get(ChannelRecord, channel_id) or ChannelRecord(id=channel_id, name=name, key_hash="")
        record.name, record.key_hash, record.appeal_channel, record.disabled = name, _hash(key), appeal_channel, False
        record.oauth_client = oauth_client
        session.add(record)
        session.commit()
    return key


def channel_of_key(engine: Engine, key: str) -> Channel | None:
    """The enabled channel this key belongs to (None for any other key)."""
    if not key.startswith(f"{KEY_PREFIX}_") or len(key) > 300:
        return None
    digest = _hash(key)
    with Session(engine) as session:
        record = session.exec(select(ChannelRecord).where(ChannelRecord.key_hash == digest)).first()
    if record is None or record.disabled or not hmac.compare_digest(record.key_hash, digest):
        return None
    return Channel(record.id, record.name, record.appeal_channel)


def channel_of_client(engine: Engine, client_id: str) -> Channel | None:
    """The enabled channel whose identity-provider client this is."""
    with Session(engine) as session:
        record = session.exec(select(ChannelRecord).where(ChannelRecord.oauth_client == client_id)).first()
    if record is None or record.disabled or not client_id:
        return None
    return Channel(record.id, record.name, record.appeal_channel)


def body_digest(body: dict[str, Any], uploads: list[Upload]) -> str:
    """What a registration asked for, for telling a retry from another request under the same id."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    files = ",".join(sorted(u.sha256 for u in uploads))
    return hashlib.sha256(f"{canonical}|{files}".encode()).hexdigest()


def registered_answer(parsed: AppealInput) -> Registered:
    """The answer a channel gets: the legal term as the workflow's registration plans it (the same
    calendar and terms policy)."""
    receipt = calendar.receipt_moment(parsed.received_at)
    return Registered(
        reg_number=parsed.reg_number,
        received_at=receipt.astimezone(calendar.local_zone()).isoformat(),
        registered_on=calendar.registration_day(receipt).isoformat(),
        due_date=calendar.due_date(receipt, term_working_days(parsed.type)).isoformat(),
        status_url=status_url(parsed.reg_number),
    )


async def register_from_channel(
    client: ClientGetter,
    engine: Engine,
    channel: Channel,
    external_id: str,
    raw: dict[str, Any],
    digest: str,
    uploads: list[Upload] = (),  # type: ignore[assignment]
    now: datetime | None = None,
) -> tuple[bool, Registered]:
    """Register an appeal a channel sent, once per the channel's id for it: (new, the answer). A
    retry of a registration that was confirmed gets the same answer; one that was not (Temporal was
    down) starts the same number again. InputError: a field breaks a rule, nothing taken;
    IntakeConflict: the id names another body; IntakeUnavailable: Temporal is down."""
    kind = BY_NAME["appeal"]
    existing = await asyncio.to_thread(_intake_of, engine, channel.id, external_id)
    if existing is not None and existing.body_sha256 != digest:
        raise IntakeConflict(f"external_id: {external_id!r} already names another appeal of this channel")
    if existing is not None and existing.state == "registered":
        return False, Registered(**json.loads(existing.answer))
    received = (existing.received_at if existing is not None else "") or str(raw.get("received_at") or "")
    received = received or (now or utc_now()).astimezone(calendar.local_zone()).isoformat()
    raw = {**raw, "received_at": received}
    checked(kind, raw)  # InputError before a number is taken
    if existing is None:
        existing = await asyncio.to_thread(_take_number, engine, kind, channel.id, external_id, digest, received)
        if existing.body_sha256 != digest:  # a concurrent twin took the id with another body
            raise IntakeConflict(f"external_id: {external_id!r} already names another appeal of this channel")
    parsed = kind.workflow.parse_input({**raw, "reg_number": existing.reg_number})
    await asyncio.to_thread(_keep_files, engine, existing.reg_number, uploads)
    try:
        await start_once(await client(), parsed, channel.identity(), now)
    except (RPCError, RuntimeError, OSError) as err:
        raise IntakeUnavailable(f"Temporal is not reachable ({err}); nothing was registered, send it again") from None
    answer = registered_answer(parsed)
    await asyncio.to_thread(_confirm, engine, existing.id, answer)
    return True, answer


async def start_once(client: Client, parsed: AppealInput, who: Identity, now: datetime | None) -> None:
    """Start the case; a start already running under the number is this request's twin (or its
    earlier attempt, whose answer was lost). One that failed (a stranger's unsealed start of the
    number, refused) does not hold the number: the start is made again over it."""
    for _ in range(2):
        try:
            await start_case(client, "AppealWorkflow", parsed, parsed.reg_number, who=who, method="api_key", now=now)
            return
        except WorkflowAlreadyStartedError:
            described = await client.get_workflow_handle(parsed.reg_number).describe()
            if described.status != WorkflowExecutionStatus.FAILED:
                return
    raise IntakeUnavailable(f"{parsed.reg_number}: could not be started; send it again")


def _intake_of(engine: Engine, channel: str, external_id: str) -> IntakeRecord | None:
    found: IntakeRecord | None = first_row(
        engine, select(IntakeRecord).where(IntakeRecord.channel == channel, IntakeRecord.external_id == external_id)
    )
    return found


def _take_number(engine: Engine, kind: Any, channel: str, external_id: str, digest: str, received: str) -> IntakeRecord:
    """The registry's next number for this request, kept with the channel's id before the start; a
    concurrent twin's record if it took the id first."""
    number = allocate_number(engine, kind.prefix, calendar.local_year())
    record = IntakeRecord(
        channel=channel, external_id=external_id, body_sha256=digest, reg_number=number, received_at=received
    )
    try:
        with write_lock(engine), Session(engine) as session:
            session.add(record)
            session.commit()
            session.refresh(record)
            session.expunge(record)
            return record
    except IntegrityError:
        found = _intake_of(engine, channel, external_id)
        if found is None:  # not a twin's id: the number itself was taken (the counter is never behind)
            raise
        return found


def _keep_files(engine: Engine, reg_number: str, uploads: list[Upload]) -> None:
    if not uploads:
        return
    with write_lock(engine), Session(engine) as session:
        for upload in uploads:
            kept = session.exec(
                select(AttachmentRecord.id).where(
                    AttachmentRecord.reg_number == reg_number, AttachmentRecord.sha256 == upload.sha256
                )
            ).first()
            if kept is None:
                session.add(
                    AttachmentRecord(
                        reg_number=reg_number, sha256=upload.sha256, name=upload.name,
                        content_type=upload.content_type, size_bytes=len(upload.content), content=upload.content,
                    )
                )  # fmt: skip
        session.commit()


def _confirm(engine: Engine, intake_id: int | None, answer: Registered) -> None:
    with write_lock(engine), Session(engine) as session:
        record = session.get(IntakeRecord, intake_id)
        assert record is not None
        record.state, record.answer = "registered", json.dumps(asdict(answer), ensure_ascii=False)
        session.add(record)
        session.commit()


def standing(engine: Engine, channel: Channel, number: str) -> Standing | None:
    """Where an appeal this channel registered stands (None: not one of this channel's)."""
    with Session(engine) as session:
        mine = session.exec(
            select(IntakeRecord.id).where(IntakeRecord.channel == channel.id, IntakeRecord.reg_number == number)
        ).first()
        card = session.get(CaseRecord, number) if mine is not None else None
        if card is None:
            return None
        triggers = set(
            session.exec(
                select(EventRecord.trigger).where(
                    EventRecord.reg_number == number,
                    col(EventRecord.trigger).in_(("approve", "record_delivery", "extend_deadline")),
                )
            ).all()
        )
    return Standing(
        reg_number=number,
        state=card.state,
        due_date=card.deadline,
        overdue=card.overdue,
        extended="extend_deadline" in triggers,
        answered="approve" in triggers,
        delivered=card.closure_reason == "answered" and ("record_delivery" in triggers or "approve" in triggers),
        closure_reason=card.closure_reason,
        status_url=status_url(number),
    )
