"""Text normalisation shared by every parser: Traditional → Simplified, width, spaces."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """Convert Traditional characters to Simplified (one of the seeds is in Traditional)."""
    return _T2S.convert(text)


@cache
def _s2tw() -> opencc.OpenCC:
    """Loaded on first use: its phrase tables take ~40 MB, and only zh_Hant readers of
    text written in Simplified (the knowledge base, staff-typed names) need them (#21)."""
    return opencc.OpenCC("s2tw")


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Simplified text that is data (not a catalogue message) for a zh_Hant reader."""
    return _s2tw().convert(text)


def normalize(text: str) -> str:
    """Fold full-width characters (NFKC), Traditional→Simplified, trim and collapse spaces."""
    folded = unicodedata.normalize("NFKC", text)
    return " ".join(to_simplified(folded).split())


# What a person may type that says who or where they are: kept out of logs and group chats.
_PERSONAL = (
    # phone numbers, also written in groups (138 1234 5678) or cut short (1391234…)
    re.compile(r"(?<![0-9])1[0-9](?:[\s-]?[0-9]){5,}|[0-9](?:[\s-]?[0-9]){6,}"),
    # an address: 21号楼4单元302, 21-4-302, 302室, 4单元
    re.compile(r"[0-9]+\s*(?:号楼|栋|幢)?\s*[0-9]*\s*单元\s*[0-9]*\s*(?:室|户|号)?"),
    re.compile(r"[0-9]+\s*(?:号楼|栋|幢)\s*[0-9]*\s*(?:室|户)?"),
    re.compile(r"(?<![0-9])[0-9]+-[0-9]+-[0-9]+(?![0-9])"),
    re.compile(r"[0-9]+\s*(?:室|户)"),
    # a name after 我叫 / 我是 / 我姓 / 名字是
    re.compile(r"(?:我叫|我是|我姓|名字是|名字叫|叫我)\s*[^\s，,。.！!？?、]{1,4}"),
)
_NAME_LEAD = re.compile(r"^(我叫|我是|我姓|名字是|名字叫|叫我)")


def _mask(m: re.Match[str]) -> str:
    lead = _NAME_LEAD.match(m.group(0))
    return (lead.group(1) if lead else "") + "＊"


def mask_personal(text: str) -> str:
    """Replace phone numbers, room numbers and self-introduced names with ＊ ('5号电池' and
    '18650电池' stay: a number alone is not personal, seven digits and more are)."""
    for pattern in _PERSONAL:
        text = pattern.sub(_mask, text)
    return text
