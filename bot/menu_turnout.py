"""Real turnout, pure rules: reading staff's "households per building" and paging the list of
households that have not ordered. No Telegram, no SQL.

`/households 3号楼 48` or "1号楼 36, 2号楼 48, 3号楼 24": each entry is a building the
address rules accept (bot.community, as /grid_assign) and a number of households from 1 to
MAX_HOUSEHOLDS; "3号楼 删除" takes a figure away. Anything unclear refuses the whole line, so
half a table is never saved from a typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot import community
from bot.numbers import parse_int
from bot.text import normalize

MAX_HOUSEHOLDS = 2000  # a building with more homes than this is a typo (a phone, a year)
PAGE_SIZE = 8  # households per page of the not-ordered list (one button each)
CLEAR_WORDS = ("删除", "清除", "去掉", "取消", "remove", "delete", "clear")

# "3号楼 48", "3号楼48户", "3: 48", "3 48"; the building ends at a space, a colon or one of
# its suffixes, so "348" is never read as building 3 with 48 households.
_ENTRY = re.compile(
    r"^(?P<b>.+?)(?:\s*[:：=]\s*|\s+|(?<=[楼栋幢座号#])(?=[-+0-9]))(?P<n>[^\s:：=]+?)\s*户?$"
)


class HouseholdsProblem(StrEnum):
    EMPTY = "empty"  # nothing after the command: show the table
    BUILDING = "building"  # not a building the address rules accept (0号楼, a phone, …)
    NUMBER = "number"  # not a whole number from 1 to MAX_HOUSEHOLDS
    UNCLEAR = "unclear"  # no "building number" shape at all
    TWICE = "twice"  # the same building twice in one line


@dataclass(frozen=True)
class HouseholdsChange:
    """building → households (None: take the figure away), or what is wrong and where."""

    entries: dict[str, int | None] = field(default_factory=dict)
    problem: HouseholdsProblem | None = None
    word: str = ""  # the entry that is wrong (never echoed when it looks like a phone)


def parse_building(text: str) -> str | None:
    """One building as the address rules accept it ('3号楼' → '3'), else None."""
    change = community.parse_grid_change(text)
    if change.problem is not None or change.remove or len(change.buildings) != 1:
        return None
    if community.looks_like_phone(text):
        return None
    return change.buildings[0]


def parse_households(text: str) -> HouseholdsChange:
    if not normalize(text).strip():
        return HouseholdsChange(problem=HouseholdsProblem.EMPTY)
    entries: dict[str, int | None] = {}
    # Split before normalizing: normalize() folds a pasted table's line breaks into spaces.
    for raw in re.split(r"[,，、;；\n]+", text):
        part = normalize(raw).strip()
        if not part:
            continue
        shown = "" if community.looks_like_phone(part) else part[:20]
        m = _ENTRY.match(part)
        if m is None:
            return HouseholdsChange(problem=HouseholdsProblem.UNCLEAR, word=shown)
        building = parse_building(m.group("b").strip())
        if building is None:
            return HouseholdsChange(problem=HouseholdsProblem.BUILDING, word=shown)
        word = m.group("n").strip()
        value: int | None
        if word.lower() in CLEAR_WORDS:
            value = None
        else:
            value = parse_int(word, lo=1, hi=MAX_HOUSEHOLDS)
            if value is None:
                return HouseholdsChange(problem=HouseholdsProblem.NUMBER, word=shown)
        if building in entries:
            return HouseholdsChange(problem=HouseholdsProblem.TWICE, word=shown)
        entries[building] = value
    if not entries:
        return HouseholdsChange(problem=HouseholdsProblem.EMPTY)
    return HouseholdsChange(entries)


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def clamp_page(page: int, total: int, size: int = PAGE_SIZE) -> int:
    """A page number from a button may be stale (households ordered meanwhile)."""
    return min(max(page, 0), page_count(total, size) - 1)
