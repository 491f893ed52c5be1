"""Connecting to Temporal the same way from the worker, the CLI, tests and benchmarks."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.converter import DataConverter, PayloadCodec, default

from runtime.codec import EncryptionCodec
from runtime.failures import PlainReasonFailureConverter
from runtime.payloads import TolerantPayloadConverter

TASK_QUEUE = "appeals"
DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"


def data_converter(codec: PayloadCodec | None = None, *, encrypt: bool = True) -> DataConverter:
    """Our converter: plain refusal reasons, unreadable inbound payloads refused instead of failing
    a task (runtime.payloads), and payloads encrypted (personal data) unless told not to."""
    if encrypt and codec is None:
        codec = EncryptionCodec()
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


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    return await Client.connect(
        address or temporal_address(),
        namespace=namespace or temporal_namespace(),
        data_converter=data_converter(),
    )


async def start_case(client: Client, workflow: str, arg: Any, number: str, task_queue: str = TASK_QUEUE) -> None:
    """Start a case's workflow under its registration number; a number is never started twice
    (raises WorkflowAlreadyStartedError)."""
    await client.start_workflow(
        workflow, arg, id=number, task_queue=task_queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE
    )


async def transition(handle: WorkflowHandle[Any, Any], trigger: str, actor_id: str, role: str, **fields: Any) -> Any:
    """Send one move as the `transition` Update and return the case's new status."""
    from models.case_status import CaseStatus

    payload = {"trigger": trigger, "actor": {"id": actor_id, "role": role}, **fields}
    return await handle.execute_update("transition", payload, result_type=CaseStatus)
