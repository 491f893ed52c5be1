"""The appeal as registered: one dataclass, validated field by field with named rules."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from models.errors import InputError
from models.fields import choice_field, input_object, name_field, object_field, text_field
from models.identity import identity_problem

CHANNELS = ("paper", "electronic", "mail", "personal_reception", "eotinish", "phone")
LANGUAGES = ("kk", "ru")
APPLICANT_KINDS = ("person", "company", "anonymous")
MAX_TEXT_CHARS = 20_000  # longer texts come as attachments, not as the appeal's essence
REG_NUMBER = re.compile(r"^[A-ZА-ЯӘҒҚҢӨҰҮҺІ]{2,4}-\d{4}-\d{6,8}(-\d{1,3})?$")  # -N: an instruction of a reception
MAX_TERM_WORKING_DAYS = 120
# Attachments live in the document store; the workflow carries their metadata only.
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_TOTAL_BYTES = 25 * 1024 * 1024


@dataclass
class Applicant:
    kind: str = "person"  # person (IIN), company (BIN) or anonymous
    name: str = ""
    iin: str = ""
    bin: str = ""
    collective: bool = False
    applicants_count: int = 1

    def identity(self) -> str:
        return self.iin or self.bin

    def registry_fields(self) -> dict[str, Any]:
        """Who applied, as the registry card keeps it (an appeal's applicant, a reception's citizen)."""
        return {
            "applicant_kind": self.kind,
            "applicant_identity": self.identity(),
            "applicant_name": self.name,
            "applicants_count": self.applicants_count,
        }


@dataclass
class Contacts:
    email: str = ""
    phone: str = ""
    address: str = ""


@dataclass
class Attachment:
    name: str
    size_bytes: int
    sha256: str


@dataclass
class AppealInput:
    reg_number: str
    type: str
    channel: str
    language: str
    applicant: Applicant
    contacts: Contacts
    addressee: str
    category: str
    district: str
    text: str
    received_at: str  # ISO 8601; a time without offset is local time of that date (Asia/Almaty)
    # Set when the appeal is an instruction given at a personal reception (a child workflow):
    executor: str = ""  # assigned by the official at the reception, instead of the routing policy
    term_working_days: int = 0  # the term the official set, instead of the term for the type
    reception: str = ""  # the reception's registration number
    attachments: list[Attachment] = field(default_factory=list)
    accepted_by: str = ""  # who accepted the appeal (the applicant is told; domain.md "registration")

    def is_anonymous(self) -> bool:
        """No name or no contact to answer to (domain.md: an anonymous appeal is not considered;
        policies/appeals.yaml ground `anonymous`: no name or contacts for the answer)."""
        no_contact = not (self.contacts.email or self.contacts.phone or self.contacts.address)
        return self.applicant.kind == "anonymous" or not self.applicant.name.strip() or no_contact

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_received_at(value: str) -> datetime:
    """Validated receipt time. A value without an offset stays naive: it is local time of the date
    it names (UTC+6 before 1 March 2024, UTC+5 since), resolved with the zone's rules by
    `policies.calendar.receipt_moment` in activities (zone data is file I/O, kept out of workflows)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError("received_at", f"not an ISO 8601 date-time: {value!r}") from None
    if not 2000 <= moment.year <= 2100:
        raise InputError("received_at", f"year {moment.year} is outside 2000-2100")
    return moment


def parse_contacts(raw: Any) -> Contacts:
    data = object_field(raw, "contacts")
    contacts = Contacts(
        email=text_field(data, "email", "contacts.", required=False),
        phone=text_field(data, "phone", "contacts.", required=False),
        address=text_field(data, "address", "contacts.", required=False),
    )
    if contacts.email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", contacts.email):
        raise InputError("contacts.email", "is not an e-mail address")
    return contacts


def parse_applicant(raw: Any) -> Applicant:
    data = object_field(raw, "applicant")
    kind = choice_field(data, "kind", APPLICANT_KINDS, "applicant.") if data.get("kind") else "person"
    count_raw = data.get("applicants_count", 1)
    if isinstance(count_raw, bool) or not isinstance(count_raw, int) or not 1 <= count_raw <= 100_000:
        raise InputError("applicant.applicants_count", "must be a whole number from 1 to 100000")
    collective = data.get("collective", count_raw > 1)
    if not isinstance(collective, bool):
        raise InputError("applicant.collective", "must be true or false")
    applicant = Applicant(kind=kind, collective=collective, applicants_count=count_raw)
    if kind == "anonymous":
        return applicant
    # Registration is mandatory (domain.md; issue 21): a missing name makes the appeal anonymous (it
    # is registered, then left without consideration), a missing IIN/BIN marks it for correction;
    # only a value that is there and wrong is refused at input.
    applicant.name = name_field(data, "name", "applicant.", required=False)
    if kind == "person":
        applicant.iin = text_field(data, "iin", "applicant.", required=False)
        problem = identity_problem(applicant.iin, "IIN") if applicant.iin else ""
        if problem:
            raise InputError("applicant.iin", problem)
    else:
        applicant.bin = text_field(data, "bin", "applicant.", required=False)
        problem = identity_problem(applicant.bin, "BIN") if applicant.bin else ""
        if problem:
            raise InputError("applicant.bin", problem)
    return applicant


def defects_of(applicant: Applicant) -> list[str]:
    """What an appeal that is considered lacks and must be corrected (issue 21: it is registered
    and marked, not refused)."""
    if applicant.kind == "anonymous" or not applicant.name:
        return []
    if applicant.kind == "person" and not applicant.iin:
        return ["applicant.iin: missing (individual identification number)"]
    if applicant.kind != "person" and not applicant.bin:
        return ["applicant.bin: missing (business identification number)"]
    return []


def parse_appeal(raw: Any) -> AppealInput:
    """Check every field of an appeal; raise InputError naming the first field that breaks a rule.

    Membership in policy catalogues (type, category, district) is checked by `check_catalogue`,
    which reads policy files and so runs outside workflows.
    """
    raw, reg_number = input_object(raw, "appeal", REG_NUMBER, "APL-2026-000042 (letters, year, 6-8 digits)")
    applicant = parse_applicant(raw.get("applicant"))
    contacts = parse_contacts(raw.get("contacts"))
    received = text_field(raw, "received_at")
    parse_received_at(received)
    attachments = parse_attachments(raw.get("attachments"))
    term = raw.get("term_working_days", 0) or 0
    if isinstance(term, bool) or not isinstance(term, int) or not 0 <= term <= MAX_TERM_WORKING_DAYS:
        raise InputError("term_working_days", f"must be a whole number from 1 to {MAX_TERM_WORKING_DAYS}")
    return AppealInput(
        reg_number=reg_number,
        type=text_field(raw, "type"),
        channel=choice_field(raw, "channel", CHANNELS),
        language=choice_field(raw, "language", LANGUAGES),
        applicant=applicant,
        contacts=contacts,
        addressee=name_field(raw, "addressee"),
        category=text_field(raw, "category"),
        district=text_field(raw, "district"),
        text=text_field(raw, "text", limit=MAX_TEXT_CHARS),
        received_at=received,
        executor=text_field(raw, "executor", required=False, limit=100),
        term_working_days=term,
        reception=text_field(raw, "reception", required=False, limit=40),
        attachments=attachments,
        accepted_by=name_field(raw, "accepted_by", required=False, limit=200),
    )


def parse_attachments(raw: Any) -> list[Attachment]:
    """Attachment metadata with the size limits enforced before any workflow starts."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError("attachments", "must be a list of {name, size_bytes, sha256}")
    if len(raw) > MAX_ATTACHMENTS:
        raise InputError("attachments", f"at most {MAX_ATTACHMENTS} files")
    found: list[Attachment] = []
    for i, item in enumerate(raw, start=1):
        item = asdict(item) if isinstance(item, Attachment) else item
        if not isinstance(item, dict):
            raise InputError(f"attachments[{i}]", "must be an object")
        size = item.get("size_bytes")
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_ATTACHMENT_BYTES:
            raise InputError(f"attachments[{i}].size_bytes", f"a file may be at most {MAX_ATTACHMENT_BYTES} bytes")
        digest = text_field(item, "sha256", f"attachments[{i}].", limit=64)
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise InputError(f"attachments[{i}].sha256", "must be 64 lowercase hex digits")
        found.append(Attachment(name_field(item, "name", f"attachments[{i}].", limit=200), size, digest))
    if sum(a.size_bytes for a in found) > MAX_ATTACHMENTS_TOTAL_BYTES:
        raise InputError("attachments", f"at most {MAX_ATTACHMENTS_TOTAL_BYTES} bytes in all")
    return found
