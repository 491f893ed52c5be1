"""A seal is signed by a sealer's key; the data key alone does not make one (issue 20, attack 5).

The reproduction: with only the data key (the codec key file every CLI host held on the embedded
default) one sealed a move as a user absent from the directory, and the worker accepted it. Now a
seal is signed (Ed25519) by a key only the sealers hold, the worker's codec verifies the signature
with the public keys and marks the payload, and the case (patch `signed-seals`) refuses a seal
that is unsigned, signed by an unknown key, altered after signing, or carries a forged mark.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.worker import Worker

from runtime.codec import EncryptionCodec
from runtime.payloads import SIGNED_BY
from runtime.signing import Signer, Verifier, add_public_key, current_signer
from tests.factories import appeal_dict
from tests.scenario import keyless, server_now, status
from tests.test_registration_seal import nothing_written, refusal_of
from tests.test_seal_binding import routed_appeal
from tooling import seal as seal_module
from tooling.seal import Identity, seal_move, seal_registration

# Nobody in the directory: with the data key alone one could seal as anyone.
STRANGER = Identity("no-such-user", "Никто", ["controller"], "")
NOT_SIGNED = "not signed by a sealer's key"


async def stranger_reassigns(client: Client, handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """A reassignment sealed for STRANGER by whatever signer this process has."""
    move = {"trigger": "reassign", "target": "roads-dept", "reason": "x"}
    return seal_move(move, STRANGER, "cli", await server_now(client), case=handle.id)


def unsigned(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process holds the data key but no signing key."""
    monkeypatch.setattr(seal_module, "current_signer", lambda: None)


def another_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process signs with a key of its own making, which no worker trusts."""
    rogue = Signer("test-seal-1", Ed25519PrivateKey.generate())  # even under the real key's id
    monkeypatch.setattr(seal_module, "current_signer", lambda: rogue)


@pytest.mark.parametrize("make_seal", [unsigned, another_key])
async def test_a_data_key_holder_cannot_seal_a_move(
    client: Client, worker: Worker, monkeypatch: pytest.MonkeyPatch, make_seal: Any
) -> None:
    handle = await routed_appeal(client, worker)
    now = await server_now(client)
    make_seal(monkeypatch)
    payload = seal_move(
        {"trigger": "reassign", "target": "roads-dept", "reason": "x"},
        STRANGER,
        "cli",
        now,
        case=handle.id,
    )
    with pytest.raises(WorkflowUpdateFailedError) as update:
        await handle.execute_update("transition", payload)
    assert NOT_SIGNED in str(update.value.cause)
    await handle.signal("reassign", payload)  # as a signal: refused and recorded, not dropped
    for _ in range(200):
        st = await status(handle)
        if st.refusals:
            break
    assert [(r.trigger, r.actor_id) for r in st.refusals] == [("reassign", "no-such-user")]
    assert NOT_SIGNED in st.refusals[0].message
    assert st.state == "routed" and st.executor == "housing-dept"


async def test_a_forged_mark_does_not_make_a_seal_verified(client: Client, worker: Worker) -> None:
    """The sender sets the mark the worker's codec sets: in the seal (`verified`) and in the
    encrypted payload's own metadata (SIGNED_BY). Both are dropped before the case reads it."""
    handle = await routed_appeal(client, worker)
    signer = current_signer()
    assert signer is not None
    payload = await stranger_reassigns(client, handle)
    payload["seal"] = {k: v for k, v in payload["seal"].items() if k not in ("sig", "kid")}
    payload["seal"]["verified"] = signer.kid
    inner = Payload(
        metadata={"encoding": b"json/plain", SIGNED_BY: signer.kid.encode()}, data=json.dumps(payload).encode()
    )
    (encrypted,) = await EncryptionCodec().encode([inner])
    keyless_handle = keyless(client).get_workflow_handle(handle.id)  # the bytes as they are, not encrypted again
    with pytest.raises(WorkflowUpdateFailedError) as update:
        await keyless_handle.execute_update("transition", RawValue(encrypted))
    assert NOT_SIGNED in str(update.value.cause)
    assert (await status(handle)).executor == "housing-dept"


async def test_an_altered_signed_seal_is_not_verified(client: Client, worker: Worker) -> None:
    handle = await routed_appeal(client, worker)
    payload = await stranger_reassigns(client, handle)
    payload["seal"]["role"] = "head"  # a head's seal, as its holder never signed it
    payload["actor"]["role"] = "head"
    with pytest.raises(WorkflowUpdateFailedError) as update:
        await handle.execute_update("transition", payload)
    assert NOT_SIGNED in str(update.value.cause)


@pytest.mark.parametrize("make_seal", [unsigned, another_key])
async def test_a_data_key_holder_cannot_register_a_case(
    client: Client, worker: Worker, engine: Any, monkeypatch: pytest.MonkeyPatch, make_seal: Any
) -> None:
    appeal = appeal_dict()
    now = await server_now(client)
    make_seal(monkeypatch)
    registrar = Identity("no-such-registrar", "Никто", ["registrar"], "")
    sealed = seal_registration(appeal, registrar, "cli", now, namespace=client.namespace)
    handle = await client.start_workflow(
        "AppealWorkflow", sealed, id=appeal["reg_number"], task_queue=worker.task_queue
    )
    assert NOT_SIGNED in await refusal_of(handle)
    await nothing_written(handle, engine)


def test_the_worker_verifies_with_public_keys_only_and_keeps_retired_ones(tmp_path: Path) -> None:
    """The public file is all a worker needs; a rotated-out key still verifies the seals it made,
    so old histories replay; a key id is never reused for another key."""
    old, new = Signer("s-old", Ed25519PrivateKey.generate()), Signer("s-new", Ed25519PrivateKey.generate())
    public = tmp_path / "seal-public.json"
    add_public_key(old.kid, old.key.public_key(), public)
    add_public_key(new.kid, new.key.public_key(), public)
    add_public_key(new.kid, new.key.public_key(), public)  # again: nothing changes
    with pytest.raises(ValueError, match="already names another public key"):
        add_public_key(new.kid, Ed25519PrivateKey.generate().public_key(), public)
    data = json.loads(public.read_text())
    assert set(data["keys"]) == {"s-old", "s-new"} and "private" not in public.read_text()
    keys = {kid: Ed25519PublicKey.from_public_bytes(base64.b64decode(v)) for kid, v in data["keys"].items()}
    verifier = Verifier(keys)
    seal = {"id": "a", "role": "head", "issued_at": "2026-12-03T00:00:00+00:00", "nonce": "n"}
    assert verifier.verify(old.sign(seal)) == "s-old" and verifier.verify(new.sign(seal)) == "s-new"
    assert verifier.verify({**new.sign(seal), "role": "controller"}) == ""  # altered
    assert verifier.verify({**new.sign(seal), "sig": "AAAA"}) == "" and verifier.verify(seal) == ""
    assert verifier.verify(Signer("s-old", Ed25519PrivateKey.generate()).sign(seal)) == ""  # right id, wrong key


def test_the_signing_key_is_made_once_and_kept_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the embedded default the first sealer makes the key (0600) and adds its public half to
    the public file; a host that seals through a codec server makes none."""
    from runtime import signing

    monkeypatch.setattr(signing, "KEYS_DIR", tmp_path / "keys")
    monkeypatch.delenv(signing.KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(signing.PUBLIC_FILE_ENV, raising=False)
    monkeypatch.setenv(signing.REMOTE_SEALER_ENV, "https://codec.example")
    assert signing.load_signer() is None and not (tmp_path / "keys").exists()
    monkeypatch.delenv(signing.REMOTE_SEALER_ENV)
    first, again = signing.load_signer(), signing.load_signer()
    assert first is not None and again is not None and again.kid == first.kid  # made once, then read
    private = tmp_path / "keys" / "seal.json"
    assert private.stat().st_mode & 0o777 == 0o600 and (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    public = json.loads((tmp_path / "keys" / "seal-public.json").read_text())
    assert list(public["keys"]) == [first.kid] and "private" not in json.dumps(public)
    assert Verifier().verify(first.sign({"id": "a"})) == first.kid
