"""What kind of contact a text is: an e-mail address, a phone, a staff code or a postal address.
The relay routes a notice by it; a move that corrects a contact records the kind (the address is
personal data)."""

from __future__ import annotations

import re

ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
PHONE = re.compile(r"^\+?\d[\d\s()-]{6,}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # a unit's, role's or official's code, not a postal address


def is_address(text: str) -> bool:
    return bool(ADDRESS.match(text.strip()))


def contact_channel(text: str) -> str:
    """email | sms | staff | paper, or "" for no contact at all."""
    text = text.strip()
    if is_address(text):
        return "email"
    if PHONE.match(text):
        return "sms"
    if CODE.match(text):
        return "staff"
    return "paper" if text else ""
