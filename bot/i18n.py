"""Translation catalogues (gettext .po files read with Babel) and language choice.

Message ids are the Simplified Chinese text itself, so zh_Hans needs no catalogue and the
code reads naturally. Each feature keeps its own catalogue file
(`locales/<lang>/LC_MESSAGES/<feature>.po`) so features can grow independently;
`tools/update_catalogs.py` extracts new strings and pre-fills Traditional Chinese with OpenCC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from babel.messages.pofile import read_po

from bot.text import to_traditional

DEFAULT_LANG = "zh_Hans"
LANGS = ("zh_Hans", "zh_Hant", "en")
LANG_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


@cache
def _catalogue(lang: str) -> dict[str, str]:
    table: dict[str, str] = {}
    if lang == DEFAULT_LANG:
        return table
    folder = resources.files("bot") / "locales" / lang / "LC_MESSAGES"
    if not folder.is_dir():
        return table
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as fh:
            catalog = read_po(fh, locale=None)
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                table[message.id] = str(message.string)
    return table


def gettext(lang: str, message: str) -> str:
    if lang == DEFAULT_LANG:
        return message
    return _catalogue(lang if lang in LANGS else DEFAULT_LANG).get(message, message)


def translator(lang: str | None) -> Translate:
    lang = lang if lang in LANGS else DEFAULT_LANG
    if lang == DEFAULT_LANG:
        return _identity
    table = _catalogue(lang)
    if lang == "en":
        return lambda message: English(table.get(message, message))
    return _Hant(table)


class _Hant:
    """The zh_Hant translator; `data` turns text that is not a catalogue message (a name a
    staff member typed in Simplified) into Traditional too."""

    lang = "zh_Hant"

    def __init__(self, table: dict[str, str]) -> None:
        self._table = table

    def __call__(self, message: str) -> str:
        return self._table.get(message, message)


def data_text(_: Translate, text: str) -> str:
    """Text that is data, in the reader's script: a catalogue entry where there is one
    (the default item names are msgids), else Traditional for zh_Hant readers, as typed
    for the others (English readers get the Chinese a staff member wrote)."""
    shown = _(text)
    if shown == text and getattr(_, "lang", None) == "zh_Hant":
        return to_traditional(text)
    return shown


# English counts: the catalogues write the plural ("{n} households"); a count of one reads
# "1 household". Chinese has no plural, so this is the one place English needs it.
_SINGULAR = {
    "households": "household",
    "people": "person",
    "items": "item",
    "times": "time",
    "wins": "win",
    "games": "game",
    "minutes": "minute",
    "hours": "hour",
    "days": "day",
    "weeks": "week",
    "tickets": "ticket",
    "photos": "photo",
    "answers": "answer",
    "right answers": "right answer",
    "members": "member",
    "buildings": "building",
    "visits": "visit",
    "seconds": "second",
}
_ONE_OF = re.compile(
    r"(?<![\d.,/])\b1 ("
    + "|".join(sorted(map(re.escape, _SINGULAR), key=len, reverse=True))
    + r")\b"
)


def singular_counts(text: str) -> str:
    """'1 households' → '1 household' (but '21 households' and '1/3 households' stay)."""
    return _ONE_OF.sub(lambda m: "1 " + _SINGULAR[m.group(1)], text)


class English(str):
    """A translated English template whose `.format` also fixes counts of one."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:
        return singular_counts(str.format(self, *args, **kwargs))


def _identity(message: str) -> str:
    return message


def lang_from_telegram(code: str | None) -> str:
    """Map Telegram's IETF language_code to one of ours (zh-TW/HK/MO/Hant → Traditional)."""
    if not code:
        return DEFAULT_LANG
    code = code.lower().replace("_", "-")
    if code.startswith("zh"):
        if any(tag in code for tag in ("hant", "tw", "hk", "mo")):
            return "zh_Hant"
        return "zh_Hans"
    if code.startswith("en"):
        return "en"
    return DEFAULT_LANG


def preload() -> None:
    """Read every catalogue once at start, so the first user does not pay for parsing."""
    for lang in LANGS:
        _catalogue(lang)
