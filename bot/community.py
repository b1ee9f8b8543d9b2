"""Pure rules about communities and people: roles, skills, addresses. No Telegram, no SQL."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot import address
from bot.i18n import N_, Translate
from bot.text import normalize


class Role(StrEnum):
    STAFF = "staff"
    GRID_WORKER = "grid_worker"
    VOLUNTEER = "volunteer"


ROLE_NAMES: dict[Role, str] = {
    Role.STAFF: N_("社区工作人员"),
    Role.GRID_WORKER: N_("网格员"),
    Role.VOLUNTEER: N_("志愿者"),
}

# Words people type for a role, in any of our languages (matched after normalize()).
ROLE_ALIASES: dict[str, Role] = {
    "staff": Role.STAFF,
    "工作人员": Role.STAFF,
    "社区工作人员": Role.STAFF,
    "社工": Role.STAFF,
    "grid": Role.GRID_WORKER,
    "grid_worker": Role.GRID_WORKER,
    "网格员": Role.GRID_WORKER,
    "网格": Role.GRID_WORKER,
    "volunteer": Role.VOLUNTEER,
    "志愿者": Role.VOLUNTEER,
    "义工": Role.VOLUNTEER,
}

# Volunteer skills from the Karamay report's party-member teams, plus repairs.
SKILLS: tuple[str, ...] = (
    N_("环境卫生"),
    N_("医疗服务"),
    N_("物业服务"),
    N_("矛盾调处"),
    N_("困难慰问"),
    N_("社区安全"),
    N_("维修"),
)

MAX_COMMUNITY_NAME = 40
MAX_ADDRESS_PART = 12


def parse_role(word: str) -> Role | None:
    return ROLE_ALIASES.get(normalize(word).lower())


def parse_skills(text: str) -> tuple[list[str], list[str]]:
    """Split '维修，医疗服务' into (known skills, unknown words)."""
    known: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[,，、;；\s]+", normalize(text)):
        if not part:
            continue
        if part in SKILLS:
            if part not in known:
                known.append(part)
        else:
            unknown.append(part)
    return known, unknown


def strip_invisible(text: str) -> str:
    """Drop format characters (zero-width spaces and joiners, BOM, direction marks): they
    make two names look the same while comparing different."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


# Phrasing around a name typed at "怎么称呼您？": "就用王阿姨", "叫我王阿姨就行", "我是王阿姨",
# "称呼：王阿姨吧". Only the name is kept; a bare "就用" is no name at all.
_NAME_BEFORE = re.compile(
    r"^(?:(?:那|那就|就|还是)(?:用|叫|写|填)(?:我)?|(?:叫|称呼|写|填)我|我叫|我是|我姓|"
    r"称呼(?:是|为)?|名字(?:是|叫)?|(?:call me|i am|i'm|my name is|just use|use)(?=[\s:,]))"
    r"[\s:：,，]*",
    re.IGNORECASE,
)
_NAME_AFTER = re.compile(
    r"[\s,，。.!！~～]*(?:就行了?|就可以了?|就好了?|吧|好了|即可|吧。)?[\s。.!！~～]*$"
)


def clean_person_name(text: str) -> str:
    """The name in what a person typed at the name question, without the phrasing around it
    ("就用王阿姨" → "王阿姨"); '' when nothing is left."""
    name = " ".join(strip_invisible(text).split())
    for _ in range(2):  # "那就用叫我…" is rare; twice covers "就用 我是王阿姨"
        name = _NAME_BEFORE.sub("", name, count=1).strip()
    name = _NAME_AFTER.sub("", name).strip()
    for left, right in ("“”", '""', "''", "「」", "『』"):  # only a pair around the whole name
        if len(name) > 2 and name[0] == left and name[-1] == right:
            name = name[1:-1].strip()
    return name


def clean_community_name(text: str) -> str | None:
    """The community name as stored: invisible characters stripped, NFKC, Simplified."""
    name = normalize(strip_invisible(text))
    if not name or len(name) > MAX_COMMUNITY_NAME or any(c in name for c in "<>/\\@#"):
        return None
    return name


def community_key(name: str) -> str:
    """What two names must not share to be told apart: '锡林社区', '锡林 社区', '錫林社區' and
    '锡林' are the same community to a resident."""
    key = normalize(strip_invisible(name)).replace(" ", "").lower()
    return key.removesuffix("社区") or key


def gettext_zh(message: str) -> str:
    return message


@dataclass(frozen=True)
class Address:
    building: str
    unit: str
    room: str

    def label(self, _: Translate = gettext_zh) -> str:
        return _("{building}号楼{unit}单元{room}室").format(
            building=self.building, unit=self.unit, room=self.room
        )


_NUMBERISH = re.compile(r"^[0-9A-Za-z\-]+$")
# Buildings may carry an estate prefix, as in the report's "官西4号楼".
_BUILDING_NAME = re.compile(r"^[\u4e00-\u9fff]{0,6}[0-9A-Za-z\-]+$")


_PHONE = re.compile(r"(?<![0-9])1[0-9]{2}-?[0-9]{4}-?[0-9]{4}(?![0-9])|[0-9]{7,}")
# A building is a small number (1–999), maybe with a letter or an estate prefix: 东区3, 12A.
_LONG_NUMBER = re.compile(r"[0-9]{4,}")
_ROOM_AFTER_DASH = re.compile(r"-[0-9]{3,}")


def looks_like_phone(text: str) -> bool:
    """11 digits starting with 1 (also as 138-1234-5678), or any 7 digits and more: no part
    of an address is that long, so it is a phone number typed at the wrong question."""
    return _PHONE.search(normalize(text).replace(" ", "")) is not None


def clean_part(text: str, suffixes: tuple[str, ...], *, named: bool = False) -> str | None:
    """'21号楼' → '21', '四单元' → '4', '302室' → '302'; None when it is not an address part.

    `named`: a building, which may carry an estate prefix but whose number is small (it is
    shown in groups, on the grid chart): '13812345678号楼' is a phone number, not a building.
    """
    if looks_like_phone(text) or re.search(r"[0-9]\s+[0-9]", normalize(text)):
        return None  # "21 4" is two numbers, never building 214
    value = normalize(text).replace(" ", "")
    for suffix in suffixes:
        if value.endswith(suffix) and len(value) > len(suffix):
            value = value[: -len(suffix)]
            break
    value = value.removeprefix("第")
    value = address.cn_number(value) or value
    shape = _BUILDING_NAME if named else _NUMBERISH
    if not value or len(value) > MAX_ADDRESS_PART or not shape.match(value):
        return None
    if named and (_LONG_NUMBER.search(value) or _ROOM_AFTER_DASH.search(value)):
        return None  # "21-302" is building and room: asked again, never a building shown in groups
    return value.upper().lstrip("0") or "0"


BUILDING_SUFFIXES = ("号楼", "栋", "幢", "座", "楼", "号", "#")
UNIT_SUFFIXES = ("单元", "门", "单")
ROOM_SUFFIXES = ("室", "号", "户")


def parse_full_address(text: str) -> Address | None:
    """Elderly users often type it all at once: '21号楼4单元302', '21 4 302', '21/4/302'
    (the rules: bot/address.py)."""
    found = address.parse(text)
    if not found.ok or found.building is None or found.unit is None or found.room is None:
        return None
    return Address(found.building, found.unit, found.room)


def parse_buildings(text: str) -> list[str] | None:
    """'21, 22, 25-27号楼' → ['21', '22', '25', '26', '27']; None on anything unclear."""
    result: list[str] = []
    for part in re.split(r"[,，、;；\s]+", normalize(text)):
        if not part:
            continue
        rng = re.match(r"^(\d+)\s*[-~至到]\s*(\d+)(?:号楼|栋|号|楼)?$", part)
        if rng:
            lo, hi = int(rng.group(1)), int(rng.group(2))
            if lo > hi or hi - lo > 200 or hi > 999:
                return None
            result.extend(str(n) for n in range(lo, hi + 1))
            continue
        b = clean_part(part, BUILDING_SUFFIXES, named=True)
        if b is None:
            return None
        result.append(b)
    deduped = list(dict.fromkeys(result))
    return deduped or None


class BuildingProblem(StrEnum):
    ZERO = "zero"  # 0号楼: buildings count from 1
    NEGATIVE = "negative"  # -3 inside a list
    TOO_BIG = "too_big"  # above MAX_BUILDING
    PHONE = "phone"  # a phone number typed where buildings go
    UNCLEAR = "unclear"


MAX_BUILDING = 999
# Words (or a leading "-") that turn /grid_assign's list into buildings to take away.
REMOVE_WORDS = ("删除", "去掉", "移除", "取消", "remove", "delete", "del")


@dataclass(frozen=True)
class GridChange:
    """What /grid_assign's list asks: give these buildings, or take them away (`remove`)."""

    buildings: list[str]
    remove: bool = False
    problem: BuildingProblem | None = None
    word: str = ""  # the part that is wrong (never echoed for PHONE)


_PLAIN = re.compile(r"^第?(\d+)(?:号楼|栋|幢|楼|号|#)?$")
_RANGE = re.compile(r"^(\d+)\s*[-~至到]\s*(\d+)(?:号楼|栋|号|楼)?$")


def _building_problem(part: str) -> BuildingProblem | None:
    if looks_like_phone(part):
        return BuildingProblem.PHONE
    if part.startswith(("-", "负")):
        return BuildingProblem.NEGATIVE
    numbers: list[int] = []
    if m := _PLAIN.match(part):
        numbers = [int(m.group(1))]
    elif m := _RANGE.match(part):
        numbers = [int(m.group(1)), int(m.group(2))]
    elif clean_part(part, BUILDING_SUFFIXES, named=True) == "0":  # 零号楼
        return BuildingProblem.ZERO
    if any(n > MAX_BUILDING for n in numbers):
        return BuildingProblem.TOO_BIG
    if any(n == 0 for n in numbers):
        return BuildingProblem.ZERO
    return None


def parse_grid_change(text: str) -> GridChange:
    """'21,22,25-27' gives buildings; '-21,22' or '删除 21' takes them away. Impossible
    buildings (0, negative, above 999, a phone number) are named, not silently dropped."""
    rest = normalize(text).strip()
    remove = False
    for word in REMOVE_WORDS:
        if rest.lower().startswith(word):
            rest, remove = rest[len(word) :].strip(" :："), True
            break
    else:
        if rest.startswith("-"):
            rest, remove = rest[1:].strip(), True
    for part in re.split(r"[,，、;；\s]+", rest):
        if part and (problem := _building_problem(part)) is not None:
            return GridChange([], remove, problem, part[:20])
    buildings = parse_buildings(rest)
    if buildings is None:
        return GridChange([], remove, BuildingProblem.UNCLEAR, rest[:20])
    return GridChange(buildings, remove)


def building_sort_key(building: str) -> tuple[int, str]:
    return (int(building), "") if building.isdigit() else (10**9, building)


def format_buildings(buildings: list[str]) -> str:
    """['1','2','3','5','A'] → '1-3、5、A': long runs of buildings read better as ranges."""
    numbers = sorted({int(b) for b in buildings if b.isdigit()})
    others = sorted(b for b in set(buildings) if not b.isdigit())
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{numbers[i]}-{numbers[j]}")
        else:
            parts.extend(str(n) for n in numbers[i : j + 1])
        i = j + 1
    return "、".join(parts + others)
