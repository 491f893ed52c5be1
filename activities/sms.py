"""SMS for the outbox (issue 24): short notices to an applicant who gave only a phone. Sent through
an HTTP gateway (its URL, a bearer token and the sender name are settings); the text is the notice's
subject with its registration number, capped to the policy's segments. Cyrillic (and so Kazakh)
goes as UCS-2: 70 characters in one segment, 67 in each of several; GSM-7 text 160/153. The
gateway's later delivery report (web/sms_reports.py) marks the notice delivered or failed."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from activities.channels import PermanentFailure, TemporaryFailure, secret

URL_ENV, TOKEN_FILE_ENV, TOKEN_ENV, SENDER_ENV = (
    "APPEALS_SMS_URL",
    "APPEALS_SMS_TOKEN_FILE",
    "APPEALS_SMS_TOKEN",
    "APPEALS_SMS_SENDER",
)
REPORT_TOKEN_ENV = "APPEALS_SMS_REPORT_TOKEN"
# GSM 03.38's basic set; its extension characters take two septets each.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSettings:
    url: str
    token: str  # from a file or the environment; never logged, never in repr
    sender: str

    def __repr__(self) -> str:
        return f"SmsSettings({self.url}, sender={self.sender})"


def sms_settings() -> SmsSettings | None:
    url = os.environ.get(URL_ENV, "")
    if not url:
        return None
    return SmsSettings(url, secret(TOKEN_FILE_ENV, TOKEN_ENV), os.environ.get(SENDER_ENV, "Akimat"))


@dataclass(frozen=True)
class Segments:
    encoding: str  # gsm7 | ucs2
    count: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)


def segments(text: str) -> Segments:
    """How many SMS segments `text` takes, and in which encoding."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        units = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        return Segments("gsm7", 1 if units <= 160 else -(-units // 153), units)
    units = len(text.encode("utf-16-le")) // 2
    return Segments("ucs2", 1 if units <= 70 else -(-units // 67), units)


def capped(text: str, max_segments: int) -> str:
    """`text`, cut (with an ellipsis) to fit `max_segments` segments."""
    text = " ".join(text.split())
    if segments(text).count <= max_segments:
        return text
    while text and segments(text + "…").count > max_segments:
        text = text[:-1]
    return text.rstrip() + "…"


def sms_text(reg_number: str, subject: str, status_link: str, max_segments: int) -> str:
    """The short notice: its subject (which names the number), and where to follow the case."""
    text = subject if reg_number in subject else f"{reg_number}: {subject}"
    return capped(f"{text}. {status_link}" if status_link else text, max_segments)


async def send_sms(settings: SmsSettings, to: str, text: str, reference: str, timeout: float = 20.0) -> str:
    """Hand the message to the gateway; the gateway's id for it (TemporaryFailure, PermanentFailure)."""
    body = {"to": to, "from": settings.sender, "text": text, "reference": reference}
    headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
    try:
        async with httpx.AsyncClient(timeout=timeout) as http:
            answer = await http.post(settings.url, json=body, headers=headers)
    except httpx.HTTPError as err:
        raise TemporaryFailure(f"{type(err).__name__}: {err}"[:300]) from None
    if answer.status_code == 429 or answer.status_code >= 500:
        raise TemporaryFailure(f"gateway {answer.status_code}: {answer.text[:200]}")
    if answer.status_code >= 400:
        raise PermanentFailure(f"gateway {answer.status_code}: {answer.text[:200]}")
    try:
        return str(answer.json().get("id") or reference)
    except ValueError:
        return reference
