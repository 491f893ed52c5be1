"""Is an appeal's type, category and district one the policies know?"""

from __future__ import annotations

from models.errors import InputError
from policies.routing import categories, districts
from policies.terms import appeal_types


def check_catalogue(appeal_type: str, category: str, district: str, *, check_type: bool = True) -> None:
    """Raise InputError naming the first field whose value no policy knows."""
    for field, value, known in (
        ("type", appeal_type, appeal_types() if check_type else [appeal_type]),
        ("category", category, categories()),
        ("district", district, districts()),
    ):
        if value not in known:
            raise InputError(field, f"unknown value {value!r}; allowed: {', '.join(known)}")
