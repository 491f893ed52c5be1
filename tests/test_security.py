"""Encrypted personal data: nothing personal in a raw history; replay and the Web UI's codec server
decode it; refusal of every disallowed (role, trigger) pair of every kind."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from tests.factories import appeal_dict
from tests.scenario import answer, approve_and_deliver, move, start_appeal
from tooling.client import data_converter
from workflows.kinds import WORKFLOWS


async def test_raw_history_holds_no_personal_data(env: WorkflowEnvironment, client: Client, worker: Worker) -> None:
    appeal = appeal_dict(text="Секретный текст обращения о соседе", contacts={"email": "private.person@example.kz"})
    handle = await start_appeal(client, worker, appeal)
    await move(handle, "accept", "housing-dept", "executor")
    await answer(handle, "housing-dept", "Ответ с личными сведениями")
    await approve_and_deliver(handle)
    await handle.result()
    config = env.client.config()
    config["data_converter"] = data_converter(encrypt=False)
    plain = Client(**config)
    raw = (await plain.get_workflow_handle(handle.id).fetch_history()).to_json()
    secrets = [
        appeal["applicant"]["name"],
        appeal["applicant"]["iin"],
        "Секретный текст",
        "private.person",
        "личными сведениями",
    ]
    for secret in secrets:
        assert secret not in raw and json.dumps(secret)[1:-1] not in raw, secret
    assert "binary/encrypted" in raw or "YmluYXJ5L2VuY3J5cHRlZA" in raw  # metadata is base64 in JSON
    history = await handle.fetch_history()
    result = await Replayer(namespace="default", workflows=WORKFLOWS, data_converter=data_converter()).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert result.replay_failure is None
    blind = await Replayer(
        namespace="default", workflows=WORKFLOWS, data_converter=data_converter(encrypt=False)
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert blind.replay_failure is not None  # without the key the workflow cannot even read its input


def _post(url: str, body: dict[str, Any], origin: str, token: str = "") -> tuple[int, dict[str, Any], Any]:
    headers = {"Content-Type": "application/json", "Origin": origin}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


async def test_codec_server_decodes_for_the_ui_only(engine: Any) -> None:
    from google.protobuf import json_format
    from temporalio.api.common.v1 import Payload

    import web.serve as codec_server
    from runtime.codec import EncryptionCodec
    from tooling.users import add_user, log_in

    add_user(engine, "auditor-1", "Аудитор", ["auditor"], "", "long enough password")
    token = log_in(engine, "auditor-1", "long enough password", "cli")
    server = codec_server.serve(0, ("http://127.0.0.1:8233",), engine=engine)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        secret = Payload(metadata={"encoding": b"json/plain"}, data='"Айгерим, ИИН 850315300009"'.encode())
        [encrypted] = await EncryptionCodec().encode([secret])
        body = {"payloads": [json.loads(json_format.MessageToJson(encrypted))]}
        status, refused, _ = _post(f"http://127.0.0.1:{port}/decode", body, "http://127.0.0.1:8233")
        assert status == 401 and "not logged in" in refused["error"]  # personal data for logged-in users only
        # the Web UI calls /decode?preserveStorageRefs=true
        status, decoded, headers = _post(
            f"http://127.0.0.1:{port}/decode?preserveStorageRefs=true", body, "http://127.0.0.1:8233", token
        )
        assert status == 200 and headers.get("Access-Control-Allow-Origin") == "http://127.0.0.1:8233"
        assert json_format.ParseDict(decoded["payloads"][0], Payload()).data == secret.data
        status, refused, headers = _post(f"http://127.0.0.1:{port}/decode", body, "http://evil.example", token)
        assert status == 403 and "Access-Control-Allow-Origin" not in headers
        status, bad, _ = _post(
            f"http://127.0.0.1:{port}/decode", {"payloads": "nonsense"}, "http://127.0.0.1:8233", token
        )
        assert status == 400 and "error" in bad
    finally:
        server.shutdown()
