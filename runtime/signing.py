"""Seals are signed (Ed25519) by a key only the sealer holds; the worker verifies them with the
public keys (issue 20.5).

The data key (runtime/codec.py) keeps payloads confidential; it no longer makes a seal authentic.
The signing key lives where seals are made: the codec server's host in production (CLI hosts seal
through it, `APPEALS_CODEC_URL`), this machine on the embedded default (the demo: the codec
server and the logged-in CLI). The worker needs only the public keys, and keeps every key it ever
trusted so that old histories replay after a rotation.

- Private: `APPEALS_SEAL_KEY_FILE` (default `.keys/seal.json`, `{"kid": "s1", "private": "base64"}`,
  created on first use unless this host seals through a codec server; mode 0600).
- Public: `APPEALS_SEAL_PUBLIC_FILE` (default `.keys/seal-public.json`, `{"keys": {"s1": "base64"}}`),
  plus the public half of the private key when this host holds it. A new key's public half is
  added to the file where it is created.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_FILE_ENV = "APPEALS_SEAL_KEY_FILE"
PUBLIC_FILE_ENV = "APPEALS_SEAL_PUBLIC_FILE"
REMOTE_SEALER_ENV = "APPEALS_CODEC_URL"  # set: this host seals through the codec server, holds no signing key
KEYS_DIR = Path(__file__).resolve().parent.parent / ".keys"
SIGNATURE_FIELDS = ("kid", "sig")  # what a signature adds to a seal
VERIFIED = "verified"  # what the worker's converter sets: the key id the signature was verified with


def key_file() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or KEYS_DIR / "seal.json")


def public_file() -> Path:
    return Path(os.environ.get(PUBLIC_FILE_ENV) or KEYS_DIR / "seal-public.json")


def signed_bytes(seal: dict[str, Any]) -> bytes:
    """What a signature covers: the seal in canonical JSON, without its signature and the mark."""
    body = {k: v for k, v in seal.items() if k not in ("sig", VERIFIED)}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _raw_public(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


@dataclass(frozen=True)
class Signer:
    kid: str
    key: Ed25519PrivateKey

    def sign(self, seal: dict[str, Any]) -> dict[str, Any]:
        """The seal with this key's id and its signature."""
        body = {k: v for k, v in seal.items() if k not in ("sig", VERIFIED)}
        body["kid"] = self.kid
        signature = self.key.sign(signed_bytes(body))
        return {**body, "sig": base64.urlsafe_b64encode(signature).decode().rstrip("=")}


def _write_private(path: Path, kid: str, key: Ed25519PrivateKey) -> None:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    text = json.dumps({"kid": kid, "private": base64.b64encode(raw).decode()})
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)  # never readable by others
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.link(draft, path)  # whole or not at all, and never over a key another process made first
    finally:
        draft.unlink()


def add_public_key(kid: str, key: Ed25519PublicKey, path: Path | None = None) -> None:
    """Add (or keep) `kid` in the public key file: keys are only ever added, so histories signed
    under a retired key still verify."""
    path = path or public_file()
    data: dict[str, Any] = {"keys": {}}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    if data["keys"].get(kid) == _raw_public(key):
        return
    if kid in data["keys"]:
        raise ValueError(f"{path}: key id {kid!r} already names another public key")
    data["keys"][kid] = _raw_public(key)
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def read_signer(path: Path) -> Signer:
    data = json.loads(path.read_text(encoding="utf-8"))
    raw = base64.b64decode(data["private"])
    if len(raw) != 32 or not str(data.get("kid", "")).strip():
        raise ValueError(f"{path}: expected {{'kid': ..., 'private': base64 of 32 bytes}}")
    return Signer(str(data["kid"]), Ed25519PrivateKey.from_private_bytes(raw))


_creating = threading.Lock()


def load_signer() -> Signer | None:
    """This host's signing key; created on first use unless this host seals through a codec server
    (then None: its seals are unsigned until the codec server seals them again)."""
    path = key_file()
    if path.exists():
        return read_signer(path)
    if os.environ.get(REMOTE_SEALER_ENV) or os.environ.get(KEY_FILE_ENV):
        return None  # a named key file that is absent is not made up here
    with _creating:
        if not path.exists():
            kid = f"s-{secrets.token_hex(4)}"
            key = Ed25519PrivateKey.generate()
            try:
                _write_private(path, kid, key)
            except FileExistsError:  # another process (the codec server, the CLI) made it first
                return read_signer(path)
            add_public_key(kid, key.public_key())
    return read_signer(path)


_signers: dict[str, Signer | None] = {}


def current_signer() -> Signer | None:
    """load_signer(), read once per key file and process (a new key takes a restart)."""
    path = str(key_file())
    if path not in _signers or _signers[path] is None:
        _signers[path] = load_signer()
    return _signers[path]


class Verifier:
    """The public keys seals are verified with: the public file and, when this host holds it, the
    signing key's public half. An unknown key id reads the files again (a key created after this
    process started, e.g. the demo's codec server creating it after the worker started)."""

    def __init__(self, keys: dict[str, Ed25519PublicKey] | None = None) -> None:
        self._fixed = keys is not None
        self._keys: dict[str, Ed25519PublicKey] = dict(keys or {})
        if not self._fixed:
            self._reload()

    def _reload(self) -> None:
        keys: dict[str, Ed25519PublicKey] = {}
        try:
            data = json.loads(public_file().read_text(encoding="utf-8"))
            for kid, value in data.get("keys", {}).items():
                keys[str(kid)] = Ed25519PublicKey.from_public_bytes(base64.b64decode(value))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        try:
            signer = read_signer(key_file())
            keys.setdefault(signer.kid, signer.key.public_key())
        except (OSError, ValueError, KeyError, TypeError):
            pass
        self._keys = keys

    def verify(self, seal: Any) -> str:
        """The key id a seal's signature verifies with, or "" (unsigned, unknown key, forged)."""
        if not isinstance(seal, dict):
            return ""
        kid, sig = seal.get("kid"), seal.get("sig")
        if not isinstance(kid, str) or not isinstance(sig, str) or len(sig) > 200:
            return ""
        key = self._keys.get(kid)
        if key is None and not self._fixed:
            self._reload()
            key = self._keys.get(kid)
        if key is None:
            return ""
        try:
            key.verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)), signed_bytes(seal))
        except (InvalidSignature, ValueError):
            return ""
        return kid
