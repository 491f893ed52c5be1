"""What the codec endpoints do, apart from HTTP: authenticate, seal, encode, decode."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.api.common.v1 import Payload

from models.moves import MOVE_FIELDS
from runtime.codec import EncryptionCodec
from tooling.oidc import OidcSettings, TokenError, verify_token
from tooling.seal import Identity, SealError, seal_move, seal_registration
from tooling.users import read_only, session_identity


class Refusal(Exception):
    """A request refused, with the HTTP status that says why."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class CodecService:
    def __init__(self, codec: EncryptionCodec, engine: Engine, oidc: OidcSettings | None) -> None:
        self.codec, self.engine, self.oidc = codec, engine, oidc

    def authenticate(self, authorization: str, cookie: str) -> tuple[Identity, str]:
        """(who, how) or Refusal(401). Reads the registry: call it off the event loop."""
        if authorization.startswith("Bearer "):
            token = authorization[len("Bearer ") :].strip()
            if token.count(".") == 2 and self.oidc is not None:
                try:
                    return verify_token(token, self.oidc), "oidc"
                except TokenError as err:
                    raise Refusal(401, str(err)) from None
            found = session_identity(self.engine, token)
            if found is None:
                raise Refusal(401, "not logged in: the session token is unknown or has expired")
            return found
        if cookie:
            found = session_identity(self.engine, cookie)
            if found is not None:
                return found
        raise Refusal(401, "not logged in: log in at this codec server's /login page (or send a token)")

    async def encode(
        self, payloads: Sequence[Payload], who: Identity, method: str, namespace: str = "default"
    ) -> list[Payload]:
        if read_only(who):
            raise Refusal(403, f"{who.id} may read and decode, not make moves (roles: {', '.join(who.roles)})")
        sealed = [self._sealed(p, who, method, namespace) for p in payloads]
        return await self.codec.encode(sealed)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.codec.decode(list(payloads))

    @staticmethod
    def _sealed(payload: Payload, who: Identity, method: str, namespace: str) -> Payload:
        """A move (a JSON object with only move fields) sealed for `who`, for the case and trigger it
        names, or a case's input sealed as registered by `who`, in the UI's namespace
        (`X-Namespace`); anything else as it is."""
        if payload.metadata.get("encoding") != b"json/plain":
            return payload
        try:
            value = json.loads(payload.data)
        except ValueError:
            return payload
        if isinstance(value, dict) and "reg_number" in value and "trigger" not in value:
            # A case's input (Start Workflow in the Web UI): sealed as registered by `who`, who must
            # hold a registering role (policies/registration.yaml), or the case refuses the start.
            return CodecService._resealed(payload, lambda: seal_registration(value, who, method, namespace=namespace))
        if not isinstance(value, dict) or any(key not in MOVE_FIELDS for key in value):
            return payload
        return CodecService._resealed(payload, lambda: seal_move(value, who, method, namespace=namespace))

    @staticmethod
    def _resealed(payload: Payload, seal: Callable[[], dict[str, Any]]) -> Payload:
        """The payload with the value `seal` makes; its refusals as HTTP answers (403: not yours to
        seal; 400: the payload does not say what it is for)."""
        try:
            sealed = seal()
        except PermissionError as err:
            raise Refusal(403, str(err)) from None
        except SealError as err:
            raise Refusal(400, str(err)) from None
        return Payload(metadata=dict(payload.metadata), data=json.dumps(sealed, ensure_ascii=False).encode())
