"""What a channel sends to register an appeal (`POST /api/v1/appeals`) and what it gets back. The
request is parsed by `models.schema.parse_object` and then by the same `parse_appeal` and policy
check as `starter.py import`; the OpenAPI document's schemas are generated from these classes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from models.appeal import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_TEXT_CHARS
from models.schema import rule


@dataclass
class ApplicantIn:
    """Who applies: a person (IIN), a company (BIN) or anonymous (not considered, except a report of
    a crime or a threat, which is forwarded)."""

    kind: Literal["person", "company", "anonymous"] = "person"
    name: str = rule(default="", limit=200)
    iin: str = rule(default="", limit=12, pattern=r"\d{12}|")
    bin: str = rule(default="", limit=12, pattern=r"\d{12}|")
    collective: bool = False
    applicants_count: int = rule(default=1, min=1, max=100_000)


@dataclass
class ContactsIn:
    """Where the answer goes: an e-mail, a phone (SMS) or a postal address (at least one)."""

    email: str = rule(default="", limit=200)
    phone: str = rule(default="", limit=40)
    address: str = rule(default="", limit=500)


@dataclass
class AttachmentIn:
    """A file sent with the appeal in the same multipart request, named by its part."""

    name: str = rule(limit=200, required=True)
    size_bytes: int = rule(default=0, min=0, max=MAX_ATTACHMENT_BYTES)
    sha256: str = rule(default="", limit=64, pattern=r"[0-9a-f]{64}|")


@dataclass
class ChannelAppeal:
    """An appeal as a channel (a portal, an app) sends it. `external_id` is the channel's own id of
    it (or send the `Idempotency-Key` header): a retry with the same id is the same case."""

    type: str = rule(limit=40, required=True)
    language: Literal["kk", "ru"] = "ru"
    applicant: ApplicantIn = field(default_factory=ApplicantIn)
    contacts: ContactsIn = field(default_factory=ContactsIn)
    addressee: str = rule(default="", limit=200)
    category: str = rule(default="", limit=40, required=True)
    district: str = rule(default="", limit=40, required=True)
    text: str = rule(default="", limit=MAX_TEXT_CHARS, required=True)
    received_at: str = rule(default="", limit=40)  # when the channel received it (ISO 8601); default: now
    external_id: str = rule(default="", limit=200)
    attachments: list[AttachmentIn] = rule(default_factory=list, items=MAX_ATTACHMENTS)

    def as_import(self, channel: str, accepted_by: str, received_at: str, addressee: str) -> dict[str, Any]:
        """The appeal as `starter.py import` takes it (the same parser and policy check follow)."""
        return {
            "type": self.type,
            "channel": channel,
            "language": self.language,
            "applicant": asdict(self.applicant),
            "contacts": asdict(self.contacts),
            "addressee": self.addressee or addressee,
            "category": self.category,
            "district": self.district,
            "text": self.text,
            "received_at": received_at,
            "attachments": [asdict(a) for a in self.attachments],
            "accepted_by": accepted_by,
        }


@dataclass
class Registered:
    """The answer to a registration: the number, when it was received and registered, the legal
    term, and the link the applicant follows the appeal with."""

    reg_number: str
    received_at: str  # ISO 8601, local time with its offset
    registered_on: str  # the day the term counts from (a receipt on a day off: the next working day)
    due_date: str  # the legal term's last day
    status_url: str  # the applicant's status page, with its access code
    state: str = "registered"


@dataclass
class Standing:
    """`GET /api/v1/appeals/{number}`: where an appeal the channel registered stands."""

    reg_number: str
    state: str
    due_date: str
    overdue: bool
    extended: bool
    answered: bool  # approved (the answer signed)
    delivered: bool  # the answer reached the applicant (the appeal closed as answered)
    closure_reason: str
    status_url: str
