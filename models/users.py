"""The user directory of the embedded default (no identity provider): who may act, in which
roles, for which unit; passwords only as argon2 hashes; sessions by the hash of their token."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


def _utcnow() -> datetime:
    from runtime.clock import utc_now

    return utc_now()


class UserRecord(SQLModel, table=True):
    __tablename__ = "users"
    id: str = Field(primary_key=True)  # login name, shown in every move the user makes
    name: str  # display name
    roles: str  # comma-separated roles (policies/permissions.yaml)
    unit: str = ""  # the unit own-only roles act for (an executor's department)
    email: str = ""  # where the user's staff notices go (issue 24): reminders, escalations, the digest
    password_hash: str  # argon2id
    disabled: bool = False
    created_at: datetime = Field(default_factory=_utcnow)


class SessionRecord(SQLModel, table=True):
    __tablename__ = "sessions"
    token_hash: str = Field(primary_key=True)  # sha256 of the token: a stolen table opens nothing
    user_id: str = Field(index=True)
    method: str  # ui_session | cli | oidc
    expires_at: datetime
    # An OIDC session's user, as its ID token proved them (JSON: id, name, roles, unit); empty for a
    # user of the embedded directory, who is read from the directory at each request.
    identity: str = ""
    created_at: datetime = Field(default_factory=_utcnow)
