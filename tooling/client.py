"""Connecting to Temporal the same way from the worker, the CLI, tests and benchmarks."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.converter import DataConverter, PayloadCodec, default
from temporalio.service import RPCError, RPCStatusCode

from runtime.codec import EncryptionCodec
from runtime.failures import PlainReasonFailureConverter
from runtime.payloads import TolerantPayloadConverter, cache_type_hints
from tooling.seal import Identity, seal_move, seal_registration

T = TypeVar("T")

TASK_QUEUE = "appeals"
DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"


def data_converter(codec: PayloadCodec | None = None, *, encrypt: bool = True) -> DataConverter:
    """Our converter: plain refusal reasons, unreadable inbound payloads refused instead of failing
    a task (runtime.payloads), and payloads encrypted (personal data) unless told not to."""
    cache_type_hints()
    if encrypt and codec is None:
        from runtime.remote_codec import CODEC_URL_ENV, RemoteCodec, session_token

        remote = os.environ.get(CODEC_URL_ENV, "")
        codec = RemoteCodec(remote, session_token()) if remote else EncryptionCodec()
    return dataclasses.replace(
        default(),
        payload_converter_class=TolerantPayloadConverter,
        failure_converter_class=PlainReasonFailureConverter,
        payload_codec=codec if encrypt else None,
    )


def temporal_address() -> str:
    return os.environ.get("TEMPORAL_ADDRESS", DEFAULT_ADDRESS)


def temporal_namespace() -> str:
    return os.environ.get("TEMPORAL_NAMESPACE", DEFAULT_NAMESPACE)


TLS_CERT_ENV, TLS_KEY_ENV = "APPEALS_TLS_CERT", "APPEALS_TLS_KEY"  # the client's certificate and key (PEM files)
TLS_CA_ENV, TLS_SERVER_NAME_ENV = "APPEALS_TLS_CA", "APPEALS_TLS_SERVER_NAME"  # the frontend's CA; its name
TOKEN_ENV = "APPEALS_TEMPORAL_TOKEN"  # a token for Temporal's JWT authorizer (Authorization header)


def connection_options() -> dict[str, Any]:
    """How every process (worker, codec server, CLI, demo) reaches the cluster: plain on the
    embedded default; with mutual TLS when the frontend requires client certificates, and a
    bearer token when Temporal's JWT authorizer is on. All from the environment."""
    from pathlib import Path

    from temporalio.service import TLSConfig

    options: dict[str, Any] = {}
    cert, key = os.environ.get(TLS_CERT_ENV, ""), os.environ.get(TLS_KEY_ENV, "")
    ca, name = os.environ.get(TLS_CA_ENV, ""), os.environ.get(TLS_SERVER_NAME_ENV, "")
    if bool(cert) != bool(key):
        raise ValueError(f"{TLS_CERT_ENV} and {TLS_KEY_ENV}: set both (the client certificate and its key) or neither")
    if cert or ca:
        options["tls"] = TLSConfig(
            client_cert=Path(cert).read_bytes() if cert else None,
            client_private_key=Path(key).read_bytes() if key else None,
            server_root_ca_cert=Path(ca).read_bytes() if ca else None,
            domain=name or None,
        )
    token = os.environ.get(TOKEN_ENV, "")
    if token:
        options["rpc_metadata"] = {"authorization": f"Bearer {token}"}
    return options


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    return await Client.connect(
        address or temporal_address(),
        namespace=namespace or temporal_namespace(),
        data_converter=data_converter(),
        **connection_options(),
    )


def start_metadata(workflow: str, arg: Any, number: str) -> tuple[str | None, str | None]:
    """The static summary and details the Web UI shows for a case (its list and its page), in
    the staff language: kind, number and the facts its kind is listed by; never the applicant."""
    from policies.loading import load_policy
    from policies.names import card_names
    from workflows.case_card import start_details, start_summary, value_name
    from workflows.kinds import BY_WORKFLOW

    kind = BY_WORKFLOW.get(workflow)
    if kind is None:
        return None, None
    language = str(load_policy("terms")["staff_language"])
    names = card_names(language)

    def words(value: str) -> str:  # a code by its name, an enumeration's value in words
        return names.get(value) or value_name(value, language)

    values = {
        label: ", ".join(words(str(one)) for one in v) if isinstance(v, list) else words(str(v))
        for label, name in kind.listed_by
        if (v := arg.get(name, "") if isinstance(arg, dict) else getattr(arg, name, ""))
    }
    summary = start_summary(kind.name, number, language, values.get("category", ""), values.get("district", ""))
    return summary, start_details(kind.name, number, language, list(values.items()))


ClientGetter = Callable[[], Awaitable[Client]]  # connects only when it is needed (a registry-only path never does)


async def start_case(
    client: Client,
    workflow: str,
    arg: Any,
    number: str,
    task_queue: str = TASK_QUEUE,
    *,
    who: Identity,
    method: str = "cli",
    now: datetime | None = None,
) -> None:
    """Register a case: start its workflow under its registration number, the input sealed as
    registered by `who` (a registrar or a channel: this process holds the codec key), with its
    summary for the Web UI. A number is never started twice (raises WorkflowAlreadyStartedError),
    except over a start that was refused (failed): a stranger's unsealed start of the next number
    cannot keep a registrar from it."""
    summary, details = start_metadata(workflow, arg, number)
    plain = dataclasses.asdict(arg) if dataclasses.is_dataclass(arg) and not isinstance(arg, type) else dict(arg)
    sealed = seal_registration(plain, who, method, now, namespace=client.namespace)
    await client.start_workflow(
        workflow,
        sealed,
        id=number,
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        static_summary=summary,
        static_details=details,
    )


async def transition(
    handle: WorkflowHandle[Any, Any],
    trigger: str,
    who: Identity,
    role: str = "",
    *,
    method: str = "cli",
    now: datetime | None = None,
    **fields: Any,
) -> Any:
    """Send one move as the `transition` Update, sealed for `who` (this process holds the codec
    key: the worker's host, a logged-in CLI on the embedded default, tests), and return the
    case's new status."""
    from models.case_status import CaseStatus

    body = {"trigger": trigger, "actor": {"id": who.id, "role": role}, **fields}
    payload = seal_move(body, who, method, now, case=handle.id, namespace=handle._client.namespace)  # noqa: SLF001
    return await execute_move(handle, payload, CaseStatus)


# How long a move waits for a case whose workflow task is being retried (a worker crashed or timed
# out in it) before the refusal reaches the user: the server refuses Updates meanwhile, and the SDK
# does not retry that (issue 27: a cold worker under 100 starts at once).
NOT_READY_WAIT_SECONDS = 30.0


def not_ready(error: RPCError) -> bool:
    """The server's "Workflow Task in failed state": the case cannot take an Update until a worker
    completes its next workflow task."""
    return error.status == RPCStatusCode.FAILED_PRECONDITION and any(
        detail.type_url.endswith("WorkflowNotReadyFailure") for detail in error.grpc_status.details
    )


async def execute_move(
    handle: WorkflowHandle[Any, Any], payload: Any, result_type: type[T], wait: float = NOT_READY_WAIT_SECONDS
) -> T:
    """The `transition` Update, sent again while the case is not ready. One Update id for every
    try: should a refused try have been admitted after all, the server answers the later ones
    with its outcome instead of making the move twice."""
    update_id = f"move-{uuid.uuid4()}"
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + wait, 0.2
    while True:
        try:
            return await handle.execute_update("transition", payload, id=update_id, result_type=result_type)
        except RPCError as error:
            if not not_ready(error) or loop.time() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(2 * delay, 2.0)
