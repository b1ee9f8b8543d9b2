"""Callback data: short, versioned, validated. Never trusted: handlers re-check everything.

Format: `1|<feature>|<action>|<arg>|<arg>…` — the leading version lets us change the layout
later while still recognising (and politely refusing) buttons from old messages.
Arguments are ints or short tokens of [A-Za-z0-9_-]; the whole must fit Telegram's 64 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.numbers import INT64_MAX, INT64_MIN

VERSION = "1"
MAX_BYTES = 64
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,24}$")
_INT = re.compile(r"-?[0-9]{1,19}")


class BadCallback(ValueError):
    """Callback data that we did not make (forged, truncated) or from an old version."""


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int, *, lo: int = INT64_MIN, hi: int = INT64_MAX) -> int:
        """Argument `index` as an int within [lo, hi]; by default what SQLite can store, so a
        forged `1|rq|acc|99999999999999999999` is refused here, not by an OverflowError in
        the driver. Ids are positive (`lo=1`); group chat ids are negative."""
        try:
            arg = self.args[index]
        except IndexError as exc:
            raise BadCallback(f"argument {index} missing") from exc
        if not _INT.fullmatch(arg):  # int() would also take "1_000"
            raise BadCallback(f"argument {index} is not an integer: {arg!r}")
        value = int(arg)
        if not max(lo, INT64_MIN) <= value <= min(hi, INT64_MAX):
            raise BadCallback(f"argument {index} out of range [{lo}, {hi}]: {value}")
        return value

    def str_arg(self, index: int) -> str:
        try:
            return self.args[index]
        except IndexError as exc:
            raise BadCallback(f"argument {index} missing") from exc


def pack(feature: str, action: str, *args: int | str) -> str:
    parts = [VERSION, feature, action, *(str(a) for a in args)]
    for part in parts[1:]:
        if not _TOKEN.match(part):
            raise ValueError(f"callback part {part!r} is not a short token")
    data = "|".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def unpack(data: str | None, feature: str | None = None) -> Callback:
    if not data or len(data.encode()) > MAX_BYTES:
        raise BadCallback("empty or oversized callback data")
    parts = data.split("|")
    if len(parts) < 3 or parts[0] != VERSION:
        raise BadCallback(f"unknown callback version in {data!r}")
    if not all(_TOKEN.match(p) for p in parts[1:]):
        raise BadCallback(f"malformed callback data {data!r}")
    cb = Callback(parts[1], parts[2], tuple(parts[3:]))
    if feature is not None and cb.feature != feature:
        raise BadCallback(f"callback for {cb.feature!r} routed to {feature!r}")
    return cb


def pattern(feature: str, *actions: str, exact: bool = False) -> str:
    """Regex for a CallbackQueryHandler: every button of one feature, or only these actions.

    With `exact=True` the action must be the whole data (buttons without arguments).
    The only place callback-data patterns are written; handlers never hand-write `^1\\|`.
    """
    head = rf"^{VERSION}\|{re.escape(feature)}\|"
    if not actions:
        return head
    alternatives = "|".join(re.escape(a) for a in actions)
    return head + rf"(?:{alternatives})" + (r"$" if exact else r"(?:\||$)")
