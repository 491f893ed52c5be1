"""The embedded user directory: add, list, disable users and set passwords (argon2id), open and
end sessions, and find who a session belongs to. Used by the codec server and the CLI."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from datetime import UTC, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.users import SessionRecord, UserRecord
from policies.loading import load_policy
from policies.permissions import permission_matrix
from runtime.clock import utc_now
from tooling.seal import Identity

_hasher = PasswordHasher()


class DirectoryError(Exception):
    """A refused directory operation, with a message naming the field and the rule."""


def known_roles() -> list[str]:
    """Every role the permissions policy names, for any kind (its top-level keys are the kinds)."""
    roles: set[str] = set()
    for kind in load_policy("permissions"):
        roles.update(permission_matrix(kind).roles())
    return sorted(roles)


def _check_password(password: str) -> None:
    least = int(load_policy("identity")["min_password_chars"])
    if len(password) < least:
        raise DirectoryError(f"password: at least {least} characters (policies/identity.yaml)")


def add_user(
    engine: Engine, user_id: str, name: str, roles: list[str], unit: str, password: str, email: str = ""
) -> None:
    if not user_id or not user_id.replace("-", "").replace(".", "").replace("_", "").isalnum():
        raise DirectoryError("id: letters, digits, '-', '_' or '.' only")
    unknown = [r for r in roles if r not in known_roles()]
    if not roles or unknown:
        raise DirectoryError(
            f"roles: unknown {', '.join(unknown) or '(none given)'}; known: {', '.join(known_roles())}"
        )
    _check_password(password)
    if email and (" " in email or email.count("@") != 1 or "." not in email.split("@")[1]):
        raise DirectoryError(f"email: {email!r} is not an e-mail address")
    with Session(engine) as s:
        if s.get(UserRecord, user_id) is not None:
            raise DirectoryError(f"id: {user_id} already exists")
        hashed = _hasher.hash(password)
        s.add(UserRecord(id=user_id, name=name, roles=",".join(roles), unit=unit, password_hash=hashed, email=email))
        s.commit()


def list_users(engine: Engine) -> list[UserRecord]:
    with Session(engine) as s:
        return list(s.exec(select(UserRecord).order_by(col(UserRecord.id))))


def set_disabled(engine: Engine, user_id: str, disabled: bool = True) -> None:
    """Disable (or enable) a user; a disabled user's sessions end at once."""
    with Session(engine) as s:
        user = _user(s, user_id)
        user.disabled = disabled
        s.add(user)
        if disabled:
            for session in s.exec(select(SessionRecord).where(SessionRecord.user_id == user_id)):
                s.delete(session)
        s.commit()


def set_password(engine: Engine, user_id: str, password: str) -> None:
    _check_password(password)
    with Session(engine) as s:
        user = _user(s, user_id)
        user.password_hash = _hasher.hash(password)
        s.add(user)
        s.commit()


@cache
def _dummy_hash() -> str:
    """A hash of a random password, made with the directory's own parameters."""
    return _hasher.hash(secrets.token_urlsafe(16))


def log_in(engine: Engine, user_id: str, password: str, method: str) -> str:
    """A new session token for a user whose password matches (raises DirectoryError otherwise,
    with the same message whether the user or the password was wrong)."""
    with Session(engine) as s:
        user = s.get(UserRecord, user_id)
        try:
            if user is None or user.disabled:
                # The same work as for a known user: the time of a refusal does not tell whether
                # the account exists (issue 20: 296 ms for a known user, 2 ms for an unknown one).
                _hasher.verify(_dummy_hash(), password)
                raise VerificationError()
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise DirectoryError("log-in refused: unknown user, wrong password or disabled account") from None
        token = secrets.token_urlsafe(32)
        hours = float(load_policy("identity")["session_hours"])
        s.add(
            SessionRecord(
                token_hash=_digest(token),
                user_id=user_id,
                method=method,
                expires_at=utc_now() + timedelta(hours=hours),
            )
        )
        s.commit()
        return token


def open_session(engine: Engine, who: Identity, method: str, hours: float | None = None) -> str:
    """A new session token for a user the identity provider proved (no password here): the
    session keeps who they are, for the policy's hours or fewer."""
    token = secrets.token_urlsafe(32)
    limit = float(load_policy("identity")["session_hours"])
    with Session(engine) as s:
        s.add(
            SessionRecord(
                token_hash=_digest(token),
                user_id=who.id,
                method=method,
                expires_at=utc_now() + timedelta(hours=min(limit, hours or limit)),
                identity=json.dumps(dataclasses.asdict(who), ensure_ascii=False),
            )
        )
        s.commit()
    return token


def log_out(engine: Engine, token: str) -> None:
    with Session(engine) as s:
        session = s.get(SessionRecord, _digest(token))
        if session is not None:
            s.delete(session)
            s.commit()


def session_identity(engine: Engine, token: str) -> tuple[Identity, str] | None:
    """(who, how) for a live session of an enabled user; None for anything else."""
    if not token:
        return None
    with Session(engine) as s:
        session = s.get(SessionRecord, _digest(token))
        if session is None:
            return None
        expires = session.expires_at if session.expires_at.tzinfo else session.expires_at.replace(tzinfo=UTC)
        if session.identity:  # the identity provider's user, as proved at log-in
            return (Identity(**json.loads(session.identity)), session.method) if expires > utc_now() else None
        user = s.get(UserRecord, session.user_id)
        if expires <= utc_now() or user is None or user.disabled:
            return None
        return identity_of(user), session.method


def identity_of(user: UserRecord) -> Identity:
    return Identity(id=user.id, name=user.name, roles=[r for r in user.roles.split(",") if r], unit=user.unit)


def read_only(who: Identity) -> bool:
    """True when every role of `who` only reads (auditors): they decode, they never move."""
    return set(who.roles) <= set(load_policy("identity")["read_only_roles"])


def _user(s: Session, user_id: str) -> UserRecord:
    user = s.get(UserRecord, user_id)
    if user is None:
        raise DirectoryError(f"id: no user {user_id}")
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
