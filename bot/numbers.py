"""Numbers a person typed (ids in commands, seconds, counts), checked before they reach SQLite.

SQLite stores integers in 64 bits; a bigger Python int raises OverflowError deep in the
driver (`/merge 99999999999999999999999 1` used to end in a traceback). Every number from a
person goes through `parse_int` (or `parse_id`) with the bounds that make sense for it, and
a value outside them is treated like any other malformed input: the handler shows its usage.
"""

from __future__ import annotations

import re

# The largest integer SQLite (and PostgreSQL's BIGINT) can store.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

# Plain decimal digits, an optional sign, at most 19 digits (INT64_MAX has 19): longer input
# is refused before int() has to build a huge number from it.
_NUMBER = re.compile(r"[+-]?[0-9]{1,19}")
# Full-width digits, signs and ＃ as typed with a Chinese input method; nothing else is folded
# ("²" and "٣" are not numbers here).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－＃\u3000", "0123456789+-# ")


def _clean(text: str) -> str:
    return text.translate(_FULL_WIDTH).strip()


def parse_int(text: str | None, *, lo: int = 0, hi: int = INT64_MAX) -> int | None:
    """The integer in `text`, or None if it is not one or lies outside [lo, hi].

    Full-width digits and surrounding spaces are accepted ("１２" → 12); anything else
    ("12a", "1.5", "1e3", "", 20 digits) is not a number.
    """
    if text is None:
        return None
    value = _clean(text)
    if not _NUMBER.fullmatch(value):
        return None
    number = int(value)
    return number if max(lo, INT64_MIN) <= number <= min(hi, INT64_MAX) else None


def parse_id(text: str | None, *, hi: int = INT64_MAX) -> int | None:
    """A positive id (a ticket "#12" or "12", a Telegram user id, a round), or None."""
    if text is None:
        return None
    value = _clean(text)
    if value.startswith("#"):
        value = value[1:]
    return parse_int(value, lo=1, hi=hi)


def in_range(value: int, *, lo: int = INT64_MIN, hi: int = INT64_MAX) -> bool:
    """For numbers that arrive already parsed (callback data, job payloads)."""
    return max(lo, INT64_MIN) <= value <= min(hi, INT64_MAX)
