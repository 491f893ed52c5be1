"""Personal data never lies in clear in Temporal: every payload is encrypted with AES-GCM.

The key id travels in each payload's metadata, so keys can rotate: new payloads use the active
key, old ones are decrypted with the key they name. Keys come from APPEALS_CODEC_KEY
("id:base64-of-32-bytes") or a key file (APPEALS_CODEC_KEY_FILE, default .keys/codec.json,
created with a fresh key on first use, mode 0600).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from runtime.payloads import SEALED as SEALED_META
from runtime.payloads import SIGNED_BY, undecodable_payload
from runtime.signing import Verifier

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
KEY_ENV = "APPEALS_CODEC_KEY"
KEY_FILE_ENV = "APPEALS_CODEC_KEY_FILE"
DEFAULT_KEY_FILE = Path(__file__).resolve().parent.parent / ".keys" / "codec.json"


@dataclass(frozen=True)
class KeyRing:
    active: str
    keys: dict[str, bytes]


def new_key_file(path: Path, key_id: str = "k1") -> KeyRing:
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    key = secrets.token_bytes(32)
    text = json.dumps({"active": key_id, "keys": {key_id: base64.b64encode(key).decode()}})
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)  # never readable by others, not even briefly
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    path.chmod(0o600)
    return KeyRing(key_id, {key_id: key})


def read_key_file(path: Path) -> KeyRing:
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = {kid: base64.b64decode(value) for kid, value in data["keys"].items()}
    if data["active"] not in keys or any(len(k) != 32 for k in keys.values()):
        raise ValueError(f"{path}: the active key must be listed and every key must be 32 bytes (base64)")
    return KeyRing(str(data["active"]), keys)


def load_key_ring() -> KeyRing:
    """The key ring from the environment, else the key file (created on first use)."""
    inline = os.environ.get(KEY_ENV, "")
    if inline:
        key_id, _, encoded = inline.partition(":")
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise ValueError(f"{KEY_ENV}: expected 'id:base64' of a 32-byte key")
        return KeyRing(key_id, {key_id: key})
    path = Path(os.environ.get(KEY_FILE_ENV, DEFAULT_KEY_FILE))
    return read_key_file(path) if path.exists() else new_key_file(path)


class EncryptionCodec(PayloadCodec):
    """AES-GCM with the key id in each payload.

    `tolerant` (workers and clients): a payload that cannot be decrypted (forged, corrupt, or
    under a key this ring lacks) is handed on marked undecodable, with the reason, instead of
    raising; `runtime.payloads` turns it into a refusal for inbound messages and into a loud
    error naming the key for the workflow's own payloads. A raising codec would fail every
    workflow task of the case from then on. The codec server is strict (`tolerant=False`).
    """

    def __init__(self, ring: KeyRing | None = None, *, tolerant: bool = True, verifier: Verifier | None = None) -> None:
        self.ring = ring or load_key_ring()
        self.tolerant = tolerant
        self.verifier = verifier or Verifier()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self.ring.active
        cipher = AESGCM(self.ring.keys[key_id])
        encoded = []
        for payload in payloads:
            nonce = secrets.token_bytes(12)
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=data))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                # Unencrypted (written before encryption, or sent by a client without the key):
                # passed through, but never marked as sealed, whatever its metadata claims.
                if SEALED_META in payload.metadata or SIGNED_BY in payload.metadata:
                    payload = Payload(metadata=dict(payload.metadata), data=payload.data)
                    payload.metadata.pop(SEALED_META, None)
                    payload.metadata.pop(SIGNED_BY, None)
                decoded.append(payload)
                continue
            try:
                inner = self._decrypt(payload)
                inner.metadata[SEALED_META] = b"1"  # only a key holder could have produced it
                self._mark_signature(inner)
                decoded.append(inner)
            except Exception as err:
                if not self.tolerant:
                    raise
                decoded.append(undecodable_payload(str(err) or type(err).__name__))
        return decoded

    def _mark_signature(self, inner: Payload) -> None:
        """Mark a decrypted move or registration whose seal's signature verifies with the key id
        (SIGNED_BY); the sender's own mark is dropped first. Only JSON with a signature is read."""
        inner.metadata.pop(SIGNED_BY, None)
        if inner.metadata.get("encoding") != b"json/plain" or b'"sig"' not in inner.data:
            return
        try:
            value = json.loads(inner.data)
        except ValueError:
            return
        kid = self.verifier.verify(value.get("seal")) if isinstance(value, dict) else ""
        if kid:
            inner.metadata[SIGNED_BY] = kid.encode()

    def _decrypt(self, payload: Payload) -> Payload:
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        if key_id not in self.ring.keys:
            raise ValueError(f"payload encrypted with key {key_id!r}, which this key ring does not hold")
        nonce, body = payload.data[:12], payload.data[12:]
        try:
            plain = AESGCM(self.ring.keys[key_id]).decrypt(nonce, body, key_id.encode())
        except InvalidTag:
            raise ValueError(f"payload under key {key_id!r} fails authentication (forged or corrupt)") from None
        return Payload.FromString(plain)
