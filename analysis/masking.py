"""Excerpts without personal data (issue 26.4): what a report quotes from an appeal loses every
person's name in any case form (the applicant's and anyone else's: given names, surnames,
patronymics, initials, Kazakh -ұлы/-қызы), home addresses (street, house, flat), document numbers
(passports, identity cards), IINs and BINs, phones, e-mails, card and account numbers.

Names are found by `pymorphy3` with its Russian dictionaries (shipped in their package, nothing is
downloaded): a capitalised word is a name when the analyser's parses mark it a given name, surname
or patronymic (`Name`, `Surn`, `Patr`), in whatever case it stands; Kazakh names and spellings the
dictionary lacks are caught by their suffixes. The applicant's registered name is masked in every
spelling (е/ё and the Kazakh letters read as their Russian look-alikes). The Kazakhstan personal-data
detectors on PyPI were judged and not used (README of bench/masking.py)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

MASK = "***"

# Identifiers with a form of their own, most specific first.
_PATTERNS = [
    re.compile(r"\S+@\S+\.\w+"),  # e-mail
    re.compile(r"\bKZ\d{2}\s?(?:[0-9A-Z]{4}\s?){3}[0-9A-Z]{1,4}\b", re.IGNORECASE),  # IBAN (account)
    re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b"),  # a payment card
    re.compile(r"\b\d{20}\b"),  # an account number
    re.compile(r"\b\d{12}\b"),  # IIN / BIN
    re.compile(  # a passport or an identity card with its number
        r"(?:паспорт\w*|удостоверени\w*(?:\s+личности)?|уд\.\s*личности|жеке\s+куәлі\w*|куәлі\w*|ID)"
        r"\s*(?:№|N|номер|нөмірі)?\s*:?\s*[A-ZА-Я]?\s?\d{6,9}",
        re.IGNORECASE,
    ),
    re.compile(r"(?:№|N)\s?[A-ZА-Я]?\d{7,9}\b"),  # a document number on its own
    re.compile(r"\+?[78][\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}\b"),  # a Kazakhstan phone
    re.compile(r"\+?\d[\d\s()\-]{8,}\d"),  # any other phone
]
# A home address: the street (its name, one or two words) and the house, building and flat numbers.
_STREET = re.compile(
    r"(?:\bул\.|\bулиц\w*|\bпр\.|\bпр-т\w*|\bпросп\.|\bпроспект\w*|\bпер\.|\bпереул\w*|\bбул\.|\bбульвар\w*"
    r"|\bмкр\.|\bмкрн\.?|\bмикрорайон\w*|\bшағын\s+аудан\w*|\bж/м|\bжилмассив\w*|\bтуп\.|\bтупик\w*|\bш\.а\.)"
    r"\s*[«\"]?[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі0-9\-]+(?:\s+(?![Дд]\.|[Кк]в\.)[А-ЯЁӘҒҚҢӨҰҮҺІ][\w\-]*)?[»\"]?"
    r"|[А-ЯЁӘҒҚҢӨҰҮҺІ][\w\-]+\s+(?:көшесі\w*|даңғылы\w*|шағын\s+ауданы\w*)",
    re.IGNORECASE,
)
_HOUSE = re.compile(
    r"\b(?:д\.|дом\w*|кв\.|квартир\w*|корп\.|корпус\w*|к\.|стр\.|үй\w*|пәтер\w*|оф\.|офис\w*)\s*№?\s*\d+[А-Яа-яA-Za-z]?(?:/\d+)?"
    r"|\b\d+[А-Яа-я]?\s*(?:үй\w*|пәтер\w*)",
    re.IGNORECASE,
)
_INITIALS = re.compile(r"\b[А-ЯЁӘҒҚҢӨҰҮҺІ]\.(?:\s?[А-ЯЁӘҒҚҢӨҰҮҺІ]\.)?")
# A surname next to two initials is a name whatever the dictionary says ("Ким В.П.", "В.П. Ким").
_CAPITAL, _SMALL = "А-ЯЁӘҒҚҢӨҰҮҺІ", "а-яёәғқңөұүһі"
_SURNAME_BEFORE_INITIALS = re.compile(rf"\b[{_CAPITAL}][{_SMALL}\-]+(?=\s+[{_CAPITAL}]\.\s?[{_CAPITAL}]\.)")
_SURNAME_AFTER_INITIALS = re.compile(rf"(\b[{_CAPITAL}]\.\s?[{_CAPITAL}]\.\s*)[{_CAPITAL}][{_SMALL}\-]+")
# Kazakh and Russian name forms the dictionary may lack (a word that is capitalised and ends so).
_NAME_ENDINGS = re.compile(
    r"^[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+(?:ұлы|улы|қызы|кызы|овна|евна|ович|евич|ова|ева|ов|ев|ина|ин|ова\w|ев\w{1,3}"
    r"|бекова?|баева?|гүл|гуль|жан|бек)$"
)
_WORD = re.compile(r"[А-ЯЁӘҒҚҢӨҰҮҺІа-яёәғқңөұүһі][А-ЯЁӘҒҚҢӨҰҮҺІа-яёәғқңөұүһі\-]*")
_LOOKALIKE = str.maketrans("әғқңөұүһіё", "агкноуухие")
# Words the analyser may take for a name that are not one in an appeal's text.
_NOT_NAMES = frozenset(
    {"аким", "акимат", "алматы", "астана", "казахстан", "республика", "прошу", "уважаемый", "уважаемая", "роза",
     "надежда", "вера", "любовь", "слава", "мир", "лев", "марка", "ким"}
)  # fmt: skip


@cache
def analyser() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def is_name(word: str) -> bool:
    """A capitalised word that is a person's given name, surname or patronymic in some case form."""
    if len(word) < 2 or not word[0].isupper() or word.isupper() and len(word) > 1:
        return False
    if word.lower() in _NOT_NAMES:
        return False
    if _NAME_ENDINGS.match(word) and not word.lower().endswith(("жан",)):
        return True
    parses = analyser().parse(word)
    top = parses[0].score if parses else 0.0
    return any(
        p.score >= top * 0.3 and any(g in p.tag for g in ("Name", "Surn", "Patr")) for p in parses[:4]
    ) and not any(
        p.tag.POS in ("VERB", "INFN", "PREP", "CONJ", "PRCL", "ADVB") and p.score >= top * 0.8 for p in parses[:1]
    )


def _spelling(word: str) -> str:
    return word.lower().translate(_LOOKALIKE)


def mask(text: str, known_names: str = "") -> str:
    """The text with every kind of personal data replaced by ***."""
    masked = text
    for pattern in _PATTERNS:
        masked = pattern.sub(MASK, masked)
    masked = _STREET.sub(MASK, masked)
    masked = _HOUSE.sub(MASK, masked)
    masked = _SURNAME_BEFORE_INITIALS.sub(MASK, masked)
    masked = _SURNAME_AFTER_INITIALS.sub(rf"\g<1>{MASK}", masked)
    masked = _INITIALS.sub(MASK, masked)
    known = {_spelling(w)[:-2] if len(w) > 5 else _spelling(w) for w in re.split(r"\s+", known_names) if len(w) > 2}

    def word(found: re.Match[str]) -> str:
        value = found.group(0)
        spelled = _spelling(value)
        if any(spelled.startswith(stem) for stem in known) or is_name(value):
            return MASK
        return value

    masked = _WORD.sub(word, masked)
    return re.sub(r"(?:\*\*\*[\s,]*){2,}", MASK + " ", masked).strip()
