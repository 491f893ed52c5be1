"""Inbound payloads that cannot be read become a value parsers refuse, never a failed workflow task.

A signal or Update sent by any client reaches the workflow through the codec and the payload
converter before our handler runs. If either raised (a forged `binary/encrypted` payload, a key
this worker does not hold, JSON nested 10,000 deep, an unknown encoding), the SDK would fail
every workflow task from then on or drop the signal unrecorded. Here such a payload becomes an
`Unreadable` value where the receiver asked for no particular type (our signal and Update
handlers take untyped arguments), so the boundary parser refuses and records it. Where a type
is asked for (activity results, the workflow's own typed payloads) the error is raised as
before, naming the cause: an undecryptable payload of the workflow's own is an operational
alarm, not input.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import DefaultPayloadConverter

# The codec marks what it could not decrypt with this encoding, and says why in REASON_KEY, and
# every payload it did decrypt with SEALED (tooling/seal.py: only a key holder can seal a move).
SEALED = "appeals-sealed"
SIGNED_BY = "appeals-signed-by"  # the key id a decrypted payload's seal signature verified with
UNSEALED = "unsealed"  # what a `seal` becomes when it did not come out of the encryption
UNDECODABLE = b"binary/undecodable"
REASON_KEY = "undecodable-reason"


@dataclass(frozen=True)
class Unreadable:
    """A payload that could not be decoded or converted; `unreadable_reason` says why."""

    unreadable_reason: str


def unreadable_reason(value: Any) -> str | None:
    """Why `value` is an unreadable payload, or None. Duck-typed, so it works on either side of
    the workflow sandbox (which may hold its own copy of this module)."""
    reason = getattr(value, "unreadable_reason", None)
    return reason if isinstance(reason, str) else None


def undecodable_payload(reason: str) -> Payload:
    return Payload(metadata={"encoding": UNDECODABLE, REASON_KEY: reason.encode()[:500]})


class TolerantPayloadConverter(DefaultPayloadConverter):
    """The default converter, except that an untyped payload it cannot read becomes `Unreadable`."""

    def from_payloads(self, payloads: Sequence[Payload], type_hints: list[type] | None = None) -> list[Any]:
        hints: list[Any] = list(type_hints or [])
        values: list[Any] = []
        for index, payload in enumerate(payloads):
            hint = hints[index] if index < len(hints) else None
            untyped = hint is None or hint is Any
            if payload.metadata.get("encoding") == UNDECODABLE:
                reason = payload.metadata.get(REASON_KEY, b"").decode(errors="replace")
                if untyped:
                    values.append(Unreadable(f"cannot be decrypted: {reason}"))
                    continue
                raise ValueError(f"payload {index} cannot be decrypted: {reason}")
            try:
                value = super().from_payloads([payload], [hint] if hint is not None else None)[0]
            except Exception as err:  # unknown encoding, malformed JSON, nesting past the recursion limit
                if not untyped:
                    raise
                values.append(Unreadable(_why(err)))
                continue
            if untyped and isinstance(value, dict) and "seal" in value:
                value = self._marked(value, payload)
            values.append(value)
        return values

    @staticmethod
    def _marked(value: dict[str, Any], payload: Payload) -> dict[str, Any]:
        """A seal that did not come out of the encryption is not a seal; one that did carries
        `verified`, the key id its signature verified with (runtime/signing.py), set by the codec
        and never by the sender (only when verified, so seals recorded before read as they were)."""
        if payload.metadata.get(SEALED) != b"1":
            return {**value, "seal": UNSEALED}  # a seal anyone could have typed
        seal = value["seal"]
        if not isinstance(seal, dict):
            return value
        marked = {k: v for k, v in seal.items() if k != "verified"}
        signed_by = payload.metadata.get(SIGNED_BY, b"").decode(errors="replace")
        if signed_by:
            marked["verified"] = signed_by
        return {**value, "seal": marked}


def _why(err: BaseException) -> str:
    causes = [err]
    while causes[-1].__cause__ is not None and len(causes) < 5:
        causes.append(causes[-1].__cause__)
    if any(isinstance(c, RecursionError) for c in causes):
        return "is nested too deeply to read"
    return f"cannot be read: {str(causes[-1])[:200]}"


def cache_type_hints() -> None:
    """Compute each dataclass's type hints once per process.

    The SDK's JSON converter turns every payload into a dataclass (activity results, the case
    carried to a new run) by calling `typing.get_type_hints` on the class, which evaluates our
    string annotations again every time: 11% of the worker's busy time in issue 11's profile.
    A class's hints never change once it exists, so the converter's lookup is memoised per class
    (weakly: classes that a workflow sandbox creates and drops are not kept alive)."""
    from temporalio.converter import _payload_converter as sdk

    if getattr(sdk.get_type_hints, "cached_by_appeals", False):
        return
    uncached = sdk.get_type_hints
    memo: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

    def get_type_hints(obj: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs or not isinstance(obj, type):
            return uncached(obj, *args, **kwargs)
        hints = memo.get(obj)
        if hints is None:
            hints = memo[obj] = uncached(obj)
        return hints

    get_type_hints.cached_by_appeals = True  # type: ignore[attr-defined]
    sdk.get_type_hints = get_type_hints  # type: ignore[assignment]
