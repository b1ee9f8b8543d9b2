"""Reading a home address as people type it: building, unit and room, or why we must ask back.

Pure rules, no Telegram, no SQL. Accepted: "21号楼4单元302", "21 4 302", "21/4/302",
"21号楼，4单元，302", "Building 21 / Unit 4 / Room 302", "二十一号楼四单元三零二",
"克拉瑪依區21號樓4單元302" (the district and community are dropped), full-width digits, and
"3o2" (a letter o between digits is a 0). Anything else is not guessed: `parse` names what
is missing or unclear, so the bot can ask for it. A phone number is never a building, and
numbers are never glued together ("21 4" is not building 214).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_
from bot.text import normalize

MAX_BUILDING = 999
MAX_UNIT = 99
MAX_ROOM_DIGITS = 4


class Problem(StrEnum):
    EMPTY = "empty"
    PHONE = "phone"
    MISSING_BUILDING = "missing_building"
    MISSING_UNIT = "missing_unit"
    MISSING_ROOM = "missing_room"
    LETTER = "letter"  # "30o": a letter where a digit should be
    TOO_BIG = "too_big"  # building 1000, unit 120, room 123456
    UNCLEAR = "unclear"


# What the bot says back; `{part}` is the piece that was unclear (only for LETTER).
ASK_BACK: dict[Problem, str] = {
    Problem.EMPTY: N_("请写您家的门牌，例如：21号楼4单元302"),
    Problem.PHONE: N_("这看起来像电话号码。这里只要门牌，例如：21号楼4单元302"),
    Problem.MISSING_BUILDING: N_("还缺楼号。请写全，例如：21号楼4单元302"),
    Problem.MISSING_UNIT: N_("还缺单元号。请写全，例如：21号楼4单元302"),
    Problem.MISSING_ROOM: N_("还缺门牌号（房间号）。请写全，例如：21号楼4单元302"),
    Problem.LETTER: N_("「{part}」里有字母，是数字吗？请只用数字再写一次，例如：302"),
    Problem.TOO_BIG: N_("数字太大了：楼号是1到999，单元号是1到99，门牌号最多4位。"),
    Problem.UNCLEAR: N_("没看懂这个门牌。请写成：21号楼4单元302，或 21-4-302"),
}


@dataclass(frozen=True)
class Parsed:
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    problem: Problem | None = None
    part: str = ""  # the unclear piece, for Problem.LETTER

    @property
    def ok(self) -> bool:
        return self.problem is None


# ---- phone numbers ----------------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![0-9])1[3-9][0-9][\s-]?[0-9]{4}[\s-]?[0-9]{4}(?![0-9])"  # 138 1234 5678
    r"|[0-9]{7,}"  # any seven digits and more: no part of an address is that long
)


def looks_like_phone(text: str) -> bool:
    return _PHONE.search(normalize(text)) is not None


# ---- Chinese numerals -------------------------------------------------------------------------
_CN_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")


def cn_number(text: str) -> str | None:
    """二十一 → 21, 三百零二 → 302, 三零二 → 302 (read digit by digit), 十 → 10."""
    if not text or any(c not in _CN_DIGIT and c not in "十百" for c in text):
        return None
    if "十" not in text and "百" not in text:
        return "".join(str(_CN_DIGIT[c]) for c in text)
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGIT:
            current = _CN_DIGIT[c]
        elif c == "百":
            total += (current or 1) * 100
            current = 0
        else:  # 十
            total += (current or 1) * 10
            current = 0
    return str(total + current)


# ---- tokens -----------------------------------------------------------------------------------
B, U, R = "building", "unit", "room"
_MARKERS: tuple[tuple[str, str], ...] = (
    # longest first: "号楼" before "号" and "楼"
    ("号楼", B),
    ("单元", U),
    ("栋", B),
    ("幢", B),
    ("座", B),
    ("号", "号"),  # a building before the unit, a room after it
    ("楼", B),
    ("#", B),
    ("单", U),
    ("门", U),
    ("室", R),
    ("户", R),
    ("房", R),
)
_MARK_ROLE = dict(_MARKERS)
_EN_MARKERS = {
    "building": B,
    "bldg": B,
    "bld": B,
    "block": B,
    "blk": B,
    "tower": B,
    "unit": U,
    "entrance": U,
    "entry": U,
    "staircase": U,
    "room": R,
    "rm": R,
    "apt": R,
    "apartment": R,
    "flat": R,
    "suite": R,
}
# Said before the address, or between its parts: dropped.
_FILLER = re.compile(
    r"^(?:我家住在|我家住|我住在|我住|住在|家住|我家是|我家在|我家|地址是|地址|门牌是|门牌号是"
    r"|门牌号|门牌|my address is|address|i live (?:in|at)|we live (?:in|at))[:：\s]*"
)
# Province, city, district, street, community, estate: "克拉玛依区", "锡林社区", "XX小区".
_PLACE = re.compile(
    r"^[\u4e00-\u9fff]{1,12}?(?:自治区|省|市|地区|盟|街道|社区|小区|花园|家园|新村|镇|乡)"
    # a district has two characters and more before 区 ("东区3号楼" is a building's name)
    r"|^[\u4e00-\u9fff]{2,8}?(?:区|县|旗)"
)
_SEPARATORS = " -–—_/\\|,，、.。;；:：()（）"
_TOKEN = re.compile(
    r"(?P<floor>[0-9]+\s*(?:层|楼层))"
    r"|(?P<num>[a-z]?[0-9]+[a-z]?|[a-z](?=\s*(?:号楼|栋|幢|座|#)))"
    r"|(?P<word>[a-z]+)"
    r"|(?P<mark>号楼|单元|[栋幢座号楼#单门室户房])"
    r"|(?P<first>第)"
    r"|(?P<sep>[" + re.escape(_SEPARATORS) + r"]+)"
    r"|(?P<other>.)"
)


@dataclass
class _Tok:
    kind: str  # num | mark | word | other
    value: str


def _prepare(text: str) -> tuple[str, str]:
    """Normalised text without fillers and place names; and the estate prefix kept."""
    value = normalize(text).lower()
    value = _FILLER.sub("", value)
    while True:
        stripped = _PLACE.sub("", value, count=1).lstrip(_SEPARATORS)
        if stripped == value:
            break
        value = _FILLER.sub("", stripped)
    # Chinese numerals become digits (二十一号楼 → 21号楼), the letter o between digits a 0.
    value = _CN_NUMBER.sub(lambda m: cn_number(m.group(0)) or m.group(0), value)
    value = re.sub(r"(?<=[0-9])o+(?=[0-9])", lambda m: "0" * len(m.group(0)), value)
    estate = ""
    # "官西4号楼": an estate name that is part of the building's name
    m = re.match(r"^([\u4e00-\u9fff]{1,6})(?=[0-9a-z])", value)
    if m and m.group(1) != "第":
        estate, value = m.group(1), value[m.end() :]
    return estate, value


def _tokens(value: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(value):
        kind = m.lastgroup or "other"
        if kind in ("sep", "first", "floor"):
            continue  # separators, 第, and a floor ("3层": the room says it already)
        text = m.group(0)
        if kind == "word" and text in _EN_MARKERS:
            out.append(_Tok("mark", _EN_MARKERS[text]))
        elif kind == "word" and text in ("no", "number", "floor", "fl"):
            continue
        elif kind == "mark":
            out.append(_Tok("mark", _MARK_ROLE[text]))
        else:
            out.append(_Tok(kind, text))
    return out


_ORDER = {B: 0, U: 1, R: 2}
_ROLES = (B, U, R)


def _assign(tokens: list[_Tok]) -> dict[str, str] | Parsed:
    """Give each number its role: from the word after it (21号楼), before it (Building 21),
    or its place in line (21 4 302; a number after the unit is the room)."""
    line: list[tuple[str | None, str]] = []
    prefix = bool(tokens) and tokens[0].kind == "mark"  # "Building 21 …": words lead
    seen_unit = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind != "num" and tok.kind != "mark":
            return Parsed(problem=Problem.UNCLEAR)
        pair = tokens[i : i + 2]
        if prefix and tok.kind == "mark" and len(pair) == 2 and pair[1].kind == "num":
            mark, num = pair
        elif not prefix and tok.kind == "num" and len(pair) == 2 and pair[1].kind == "mark":
            num, mark = pair
        elif tok.kind == "num":
            line.append((None, tok.value))
            i += 1
            continue
        else:
            return Parsed(problem=Problem.UNCLEAR)  # a word with no number to it
        role = mark.value
        if role == "号":  # 21号4单元302号: a building before the unit, a room after it
            role = R if seen_unit or any(r == B for r, _ in line) else B
        seen_unit = seen_unit or role == U
        line.append((role, num.value))
        i += 2
    return _fill(line)


def _fill(line: list[tuple[str | None, str]]) -> dict[str, str] | Parsed:
    roles: dict[str, str] = {}
    for role, value in line:
        if role is not None:
            if role in roles:
                return Parsed(problem=Problem.UNCLEAR)  # two buildings
            roles[role] = value
    complete = len(line) == len(_ROLES)
    for n, (role, value) in enumerate(line):
        if role is not None:
            continue
        before = [_ORDER[r] for r, _ in line[:n] if r is not None]
        after = [_ORDER[r] for r, _ in line[n + 1 :] if r is not None]
        lo = max(before, default=-1) + 1
        hi = min(after, default=3) - 1
        free = [r for r in _ROLES[lo : hi + 1] if r not in roles]
        if not free:
            return Parsed(problem=Problem.UNCLEAR)
        # "21号楼302": with a part missing, three digits are the room, not the unit.
        digits = sum(c.isdigit() for c in value)
        pick = R if R in free and digits >= 3 and not complete else free[0]
        roles[pick] = value
        line[n] = (pick, value)
    return roles


def _number(value: str, limit_digits: int, limit: int | None = None) -> str | None:
    """'021' → '21', '12a' → '12A'; None when too big."""
    digits = re.sub(r"[a-z]", "", value)
    if len(digits) > limit_digits or (limit is not None and digits and int(digits) > limit):
        return None
    letters = value[: len(value) - len(value.lstrip("abcdefghijklmnopqrstuvwxyz"))]
    rest = value[len(letters) :]
    return (letters + (rest.lstrip("0") or "0" if rest[:1].isdigit() else rest)).upper()


def parse(text: str | None) -> Parsed:
    """Building, unit and room, or the reason to ask back (never a guess)."""
    if text is None or not normalize(text):
        return Parsed(problem=Problem.EMPTY)
    if looks_like_phone(text):
        return Parsed(problem=Problem.PHONE)
    estate, value = _prepare(text)
    if not value.strip(_SEPARATORS):
        return Parsed(problem=Problem.UNCLEAR if estate else Problem.EMPTY)
    assigned = _assign(_tokens(value))
    if isinstance(assigned, Parsed):
        return assigned
    building = assigned.get(B)
    unit = assigned.get(U)
    room = assigned.get(R)
    parts = {}
    for role, raw, digits, limit in (
        (B, building, 3, MAX_BUILDING),
        (U, unit, 2, MAX_UNIT),
        (R, room, MAX_ROOM_DIGITS, None),
    ):
        if raw is None:
            continue
        if not any(c.isdigit() for c in raw) and role != B:
            return Parsed(problem=Problem.LETTER, part=raw)
        if re.search(r"[a-z]", raw) and "o" in raw:
            return Parsed(problem=Problem.LETTER, part=raw)
        clean = _number(raw, digits, limit)
        if clean is None:
            return Parsed(problem=Problem.TOO_BIG)
        parts[role] = clean
    if B in parts and estate:
        parts[B] = estate + parts[B]
    found = Parsed(parts.get(B), parts.get(U), parts.get(R))
    for role, problem in (
        (B, Problem.MISSING_BUILDING),
        (U, Problem.MISSING_UNIT),
        (R, Problem.MISSING_ROOM),
    ):
        if role not in parts:
            return Parsed(found.building, found.unit, found.room, problem)
    return found
