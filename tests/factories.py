"""Valid appeals and moves for tests, built from the same parsers the product uses."""

from __future__ import annotations

import itertools
import random
from datetime import datetime
from typing import Any

from models.identity import with_check_digit
from runtime.clock import utc_now

_iin_serials = itertools.count(random.randrange(50_000))


def valid_iin() -> str:
    """A valid IIN that no earlier call in this process returned (so repeat detection, which matches
    appeals by IIN, sees no false repeats; random draws collided in a 300-appeal benchmark)."""
    while True:
        number = with_check_digit(f"850315{next(_iin_serials) % 100_000:05d}")
        if number:
            return number


def valid_bin(seed: int = 0) -> str:
    for n in itertools.count(seed):
        number = with_check_digit(f"0504404{n % 9999:04d}"[:11])
        if number:
            return number
    raise AssertionError("unreachable")


clock_now: datetime | None = None  # the test server's clock (it jumps ahead while a test awaits a result)


def new_reg_number() -> str:
    import uuid

    return f"APL-2026-{uuid.uuid4().int % 10**8:08d}"


def appeal_dict(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reg_number": new_reg_number(),
        "type": "application",
        "channel": "electronic",
        "language": "ru",
        "applicant": {"kind": "person", "name": "Айгерим Нурланова", "iin": valid_iin()},
        "contacts": {"email": "aigerim@example.kz", "phone": "+77010000000", "address": ""},
        "addressee": "Аким города",
        "category": "housing",
        "district": "almaly",
        "text": "Прошу отремонтировать крышу дома.",
        "received_at": (clock_now or utc_now()).isoformat(),
    }
    data.update(overrides)
    return data


def register_args(*, contact: tuple[str, str] = ("--email", "a@b.kz"), **options: str) -> list[str]:
    """`starter.py register` with a valid appeal's options; `options` override them by name
    (`type="gossip"`, `iin="..."`, `number="APL-..."`), `contact` is the contact option and value."""
    values = {"type": "request", "category": "housing", "district": "almaly", "text": "t", "name": "A"}
    values.update({"iin": valid_iin(), **options})
    args = ["register"]
    for name, value in values.items():
        args += [f"--{name}", value]
    return [*args, *contact]
