"""The registration forms of the three kinds (an appeal, a reception's booking, an instruction put
under control) and the raw input each posted form gives. The input is then checked by the same
parser and policy check as the CLI's and the workflow's own (tooling/registering.py); this module
only offers the choices the policies know, with their names in the user's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from models.appeal import APPLICANT_KINDS, CHANNELS
from models.instruction import CONTROL_KINDS
from policies.instructions import issuers
from policies.receptions import formats, officials
from policies.routing import categories, districts, executors
from policies.terms import appeal_types
from web.workbench.forms import FormField
from web.workbench.words import Words

LANGUAGE_CHOICES = [("ru", "Русский"), ("kk", "Қазақша")]
MAX_TEXT = 20_000  # models/appeal.py: the essence of an appeal


def _named(table: Mapping[str, Mapping[str, Any]], language: str) -> list[tuple[str, str]]:
    """Policy entries (officials, issuers) by their name in the language."""
    return [(code, str(entry.get(f"name_{language}") or entry.get("name_ru") or code)) for code, entry in table.items()]


def _where(w: Words) -> list[FormField]:
    return [
        FormField("category", w("category"), "choice", True, 100, [(c, w.category(c)) for c in categories()]),
        FormField("district", w("district"), "choice", True, 100, [(d, w.district(d)) for d in districts()]),
    ]


def _contacts(w: Words) -> list[FormField]:
    return [
        FormField("email", w("email"), "email", False, 300),
        FormField("phone", w("phone"), "text", False, 30),
    ]


def appeal_form(w: Words) -> list[FormField]:
    return [
        FormField("type", w("type"), "choice", True, 30, [(t, w.choice("appeal_types", t)) for t in appeal_types()]),
        FormField("channel", w("channel"), "choice", True, 30, [(c, w.choice("channels", c)) for c in CHANNELS]),
        *_where(w),
        FormField("text", w("text"), "textarea", True, MAX_TEXT),
        FormField(
            "applicant_kind",
            w("applicant_kind"),
            "choice",
            True,
            20,
            [(k, w.choice("applicant_kinds", k)) for k in APPLICANT_KINDS],
        ),
        FormField("name", w("name"), "text", False, 300),
        FormField("iin", w("iin"), "text", False, 12),
        FormField("bin", w("bin"), "text", False, 12),
        *_contacts(w),
        FormField("address", w("address"), "text", False, 500),
        FormField("addressee", w("addressee"), "text", True, 300),
        FormField("language", w("language"), "choice", True, 2, LANGUAGE_CHOICES),
    ]


def reception_form(w: Words) -> list[FormField]:
    return [
        FormField("official", w("official"), "choice", True, 100, _named(officials(), w.language)),
        FormField("format", w("format"), "choice", True, 30, [(f, w.choice("formats", f)) for f in formats()]),
        *_where(w),
        FormField("issue", w("issue"), "textarea", True, MAX_TEXT),
        FormField("name", w("name"), "text", True, 300),
        FormField("iin", w("iin"), "text", True, 12),
        *_contacts(w),
        FormField("language", w("language"), "choice", True, 2, LANGUAGE_CHOICES),
    ]


def instruction_form(w: Words) -> list[FormField]:
    units = [(e, w.executor(e)) for e in sorted(executors())]
    return [
        FormField("issuer", w("issuer"), "choice", True, 100, _named(issuers(), w.language)),
        FormField("issuer_official", w("issuer_official"), "text", True, 300),
        FormField("text", w("instruction_text"), "textarea", True, MAX_TEXT),
        FormField("first_term", w("first_term"), "date", True, 10),
        FormField("control", w("control"), "choice", True, 10, [(c, w.choice("controls", c)) for c in CONTROL_KINDS]),
        FormField("periods", w("periods"), "number", False, 3, number=True),
        FormField("lead", w("lead_executor"), "choice", False, 100, units),
        FormField("co_executors", w("co_executors"), "multiple", False, 100, units),
        FormField("related", w("related_appeals"), "lines", False, 2000),
    ]


def _picked(posted: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The posted fields of these names, as the input names them ("" for one left empty)."""
    return {name: posted.get(name, "") for name in names}


def _appeal(posted: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **_picked(posted, "type", "channel", "addressee", "category", "district", "text"),
        "language": posted.get("language", "ru"),
        "applicant": {"kind": posted.get("applicant_kind", "person"), **_picked(posted, "name", "iin", "bin")},
        "contacts": _picked(posted, "email", "phone", "address"),
    }


def _reception(posted: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **_picked(posted, "issue", "category", "district", "format"),
        "language": posted.get("language", "ru"),
        "citizen": {"kind": "person", **_picked(posted, "name", "iin")},
        "contacts": _picked(posted, "email", "phone"),
        "requested_official": posted.get("official", ""),
    }


def _instruction(posted: Mapping[str, Any]) -> dict[str, Any]:
    lead = str(posted.get("lead", "")).strip()
    others = [e for e in posted.get("co_executors[]", []) if e and e != lead]  # every box ticked
    periods = str(posted.get("periods", "")).strip()
    return {
        **_picked(posted, "issuer", "issuer_official", "text", "control", "first_term"),
        "periods": int(periods) if periods.isdigit() else (periods or 1),
        "executors": ([lead] if lead else []) + others,  # the first named coordinates
        "related_appeals": [n.strip() for n in str(posted.get("related", "")).splitlines() if n.strip()],
    }


@dataclass(frozen=True)
class Registration:
    form: Callable[[Words], list[FormField]]
    raw: Callable[[Mapping[str, Any]], dict[str, Any]]  # the kind's input from the form, but its receipt
    defaults: Mapping[str, str]


REGISTRATIONS: dict[str, Registration] = {
    "appeal": Registration(
        appeal_form, _appeal, {"channel": "paper", "applicant_kind": "person", "addressee": "Аким области"}
    ),
    "reception": Registration(reception_form, _reception, {"format": "office"}),
    "instruction": Registration(instruction_form, _instruction, {"control": "once", "periods": "1"}),
}
