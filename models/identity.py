"""IIN (persons) and BIN (companies): 12 digits with a two-pass weighted mod-11 check digit."""

from __future__ import annotations

_FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    """The 12th digit for these 11 digits, or None when no valid number starts with them."""
    digits = [int(c) for c in first11]
    value = sum(d * w for d, w in zip(digits, _FIRST_WEIGHTS, strict=True)) % 11
    if value == 10:
        value = sum(d * w for d, w in zip(digits, _SECOND_WEIGHTS, strict=True)) % 11
    return None if value == 10 else value


def identity_problem(number: str, kind: str) -> str | None:
    """Why `number` is not a valid IIN/BIN (kind 'IIN' or 'BIN'), or None if it is valid."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return f"{kind} must be exactly 12 digits"
    expected = check_digit(number[:11])
    if expected is None or expected != int(number[11]):
        return f"{kind} check digit is wrong"
    if kind == "IIN":
        month, day = int(number[2:4]), int(number[4:6])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return "IIN must start with a birth date YYMMDD"
    else:
        month = int(number[2:4])
        if not 1 <= month <= 12:
            return "BIN must start with a registration year and month YYMM"
    return None


def with_check_digit(first11: str) -> str | None:
    """Complete 11 digits to a valid number (used by demo data and tests)."""
    digit = check_digit(first11)
    return None if digit is None else first11 + str(digit)
