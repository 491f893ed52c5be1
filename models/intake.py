"""The intake's registry (issue 25): the channels that register appeals (a portal, an app, the
department's mailbox), each channel's registrations by its own id (so a retry is the same case),
the files that came with an appeal (referenced by hash, never inside a Temporal payload), and the
e-mails waiting for a registrar."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.users import _utcnow


class ChannelRecord(SQLModel, table=True):
    """A channel's service identity. Its API key is shown once when made; only its SHA-256 is kept
    (the key is 256 random bits: a fast hash is enough, and a stolen table opens nothing)."""

    __tablename__ = "channels"
    id: str = Field(primary_key=True)  # e.g. egov-portal: named in every registration it seals
    name: str  # shown in the trail: "registered via <name>"
    key_hash: str = Field(index=True)
    appeal_channel: str = "electronic"  # the appeal's `channel` field (models/appeal.py CHANNELS)
    oauth_client: str = Field(default="", index=True)  # its client id at the identity provider ("" = keys only)
    disabled: bool = False
    created_at: datetime = Field(default_factory=_utcnow)


class IntakeRecord(SQLModel, table=True):
    """One registration asked for by a channel, under the channel's own id for it: a retry with
    the same id and the same body is the same case; a different body under that id is refused."""

    __tablename__ = "intake_requests"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_intake_channel_external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True)
    external_id: str
    body_sha256: str  # what was asked for: the same id with another body is a conflict (409)
    reg_number: str = Field(
        index=True, unique=True
    )  # taken before the start: a retry starts the same number; one request's only
    received_at: str = ""  # the receipt time fixed at the first attempt (ISO 8601): a retry keeps it
    state: str = "pending"  # pending (the start is not confirmed) | registered
    answer: str = ""  # the JSON answer given once registered (a retry gets the same)
    created_at: datetime = Field(default_factory=_utcnow)


class AttachmentRecord(SQLModel, table=True):
    """A file that came with an appeal, kept by its SHA-256 (the appeal's input names the hash)."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("reg_number", "sha256", name="uq_attachment_case_sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    reg_number: str = Field(index=True)
    sha256: str = Field(index=True)
    name: str
    content_type: str
    size_bytes: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=_utcnow)


class MailDraftRecord(SQLModel, table=True):
    """An e-mail to the department's intake mailbox, waiting for a registrar: registration is
    mandatory (the registrar confirms the category, district and applicant, and registers it, or
    registers it and leaves it without consideration with the ground). Its files are kept as
    attachments of `draft-<id>` until it is registered."""

    __tablename__ = "mail_drafts"
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)  # the e-mail's Message-ID: a message delivered twice is one draft
    from_address: str
    from_name: str = ""
    subject: str = ""
    text: str = ""
    received_at: datetime = Field(default_factory=_utcnow)
    state: str = Field(default="waiting", index=True)  # waiting | registered
    reg_number: str = ""
    handled_by: str = ""
    alerted: bool = False  # the registry office was told it waits past its term
