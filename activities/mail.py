"""E-mail for the outbox (issue 24): the SMTP server from the settings, a notice as a proper MIME
message (plain text with an HTML alternative, in the letter's language, Message-ID from the
notice's key, Reply-To the department), and sending it with aiosmtplib over TLS or STARTTLS with
authentication. A refusal for good (5xx, an unknown recipient) is told apart from one that may pass
later (the server down, 4xx)."""

from __future__ import annotations

import html
import os
import re
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from functools import cache

import aiosmtplib

from activities.channels import PermanentFailure, TemporaryFailure, secret
from models.registry import NotificationRecord
from runtime.clock import utc_now

HOST_ENV, PORT_ENV, SECURITY_ENV = "APPEALS_SMTP_HOST", "APPEALS_SMTP_PORT", "APPEALS_SMTP_SECURITY"
USER_ENV, PASSWORD_FILE_ENV, PASSWORD_ENV = "APPEALS_SMTP_USER", "APPEALS_SMTP_PASSWORD_FILE", "APPEALS_SMTP_PASSWORD"
CA_ENV = "APPEALS_SMTP_CA"
SECURITIES = ("starttls", "tls", "none")
UNFOLDED = SMTP.clone(max_line_length=998)  # a Message-ID on one line, as mail systems compare it


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | tls | none
    user: str = ""
    password: str = ""  # read from a file or the environment; never logged, never in repr
    ca_file: str = ""  # a private CA the server's certificate is checked against

    def __repr__(self) -> str:
        return f"SmtpSettings({self.host}:{self.port}, {self.security}, user={self.user or '-'})"


def smtp_settings() -> SmtpSettings | None:
    """The SMTP server from the environment; None when none is configured (e-mail waits queued)."""
    host = os.environ.get(HOST_ENV, "")
    if not host:
        return None
    security = os.environ.get(SECURITY_ENV, "starttls")
    if security not in SECURITIES:
        raise ValueError(f"{SECURITY_ENV}: one of {', '.join(SECURITIES)}, not {security!r}")
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    port = os.environ.get(PORT_ENV, str(default_port))
    if not port.isdigit():
        raise ValueError(f"{PORT_ENV}: a port number, not {port!r}")
    return SmtpSettings(
        host,
        int(port),
        security,
        os.environ.get(USER_ENV, ""),
        secret(PASSWORD_FILE_ENV, PASSWORD_ENV),
        os.environ.get(CA_ENV, ""),
    )


def message_id(key: str, domain: str) -> str:
    """The notice's Message-ID: its key, so every re-send of one notice is one message."""
    local = re.sub(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]", "-", key)
    return f"<{local}@{domain}>"


def build_message(
    notice: NotificationRecord, to: str, sender: str, reply_to: str, domain: str, pdf: bytes | None = None
) -> EmailMessage:
    """The notice as an e-mail: plain text and the same in HTML, in the notice's language, and the
    official letter as a PDF attachment when it has one."""
    message = EmailMessage(policy=UNFOLDED)
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address)) if name else address
    message["To"] = ", ".join(str(Address(addr_spec=one.strip())) for one in to.split(","))  # a unit: its users
    message["Reply-To"] = reply_to
    message["Subject"] = notice.subject.replace("\n", " ")[:250]
    message["Message-ID"] = message_id(notice.key, domain)
    message["Date"] = format_datetime(utc_now())
    message["X-Appeal-Number"] = notice.reg_number or "-"
    message.set_content(notice.body)
    paragraphs = "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in notice.body.split("\n\n"))
    page = (
        f'<!doctype html><html lang="{html.escape(notice.language or "ru")}"><head><meta charset="utf-8">'
        f"<title>{html.escape(notice.subject)}</title></head><body>{paragraphs}</body></html>"
    )
    message.add_alternative(page, subtype="html")
    if pdf is not None:
        name = f"{notice.reg_number or 'letter'}-{notice.template}.pdf"
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
    message["Content-Language"] = notice.language or "ru"  # after the parts: a content header stays on top
    return message


@cache
def tls_context(ca_file: str) -> ssl.SSLContext:
    """The TLS context, made once: loading the CA bundle took half the relay's CPU per message."""
    return ssl.create_default_context(cafile=ca_file or None)


async def send(message: EmailMessage, settings: SmtpSettings, timeout: float = 30.0) -> None:
    """Hand the message to the SMTP server (TemporaryFailure or PermanentFailure otherwise)."""
    context = tls_context(settings.ca_file) if settings.security != "none" else None
    # Flattened here with our policy (aiosmtplib would fold the Message-ID with its own).
    raw = message.as_bytes(policy=UNFOLDED.clone(linesep="\r\n"))
    sender = parseaddr(str(message["From"]))[1]
    recipients = [address for _, address in getaddresses([str(message["To"])])]
    try:
        errors, _ = await aiosmtplib.send(
            raw,
            sender=sender,
            recipients=recipients,
            hostname=settings.host,
            port=settings.port,
            username=settings.user or None,
            password=settings.password or None,
            use_tls=settings.security == "tls",
            start_tls=True if settings.security == "starttls" else False,
            tls_context=context,
            timeout=timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as err:
        raise PermanentFailure(_reason(err)) from None
    except aiosmtplib.SMTPResponseException as err:
        if 500 <= err.code < 600:
            raise PermanentFailure(f"{err.code} {err.message}"[:300]) from None
        raise TemporaryFailure(f"{err.code} {err.message}"[:300]) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
        raise TemporaryFailure(f"{type(err).__name__}: {err}"[:300]) from None
    if errors:  # some recipients refused (one recipient here)
        code, text = next(iter(errors.values()))
        raise (PermanentFailure if code >= 500 else TemporaryFailure)(f"{code} {text}"[:300])


def _reason(err: aiosmtplib.SMTPRecipientsRefused) -> str:
    refused = err.recipients[0] if err.recipients else None
    if refused is None:
        return "recipient refused"
    return f"{refused.code} {refused.message}"[:300]
