"""Personal data out of what is kept and shown: phone numbers, e-mail addresses, hostile characters."""

from __future__ import annotations

import re
import unicodedata

PHONE_MASK = "[nomor]"
EMAIL_MASK = "[email]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Indonesian mobile numbers: +62 / 62 / 0, then 8 and the rest, grouped by spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w+])(?:\+62|62|0)[\s.-]?\(?8\d*\)?(?:[\s.-]?\d+)*")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A spreadsheet reads a cell starting with these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def mask_personal(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by placeholders."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    return _PHONE.sub(_phone, text)


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return PHONE_MASK if 9 <= len(digits) <= 15 else match.group()


def printable(text: str) -> str:
    """The text without control or bidirectional-override characters (safe for a terminal)."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text if c not in _BIDI)


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (OWASP: prefix a quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
