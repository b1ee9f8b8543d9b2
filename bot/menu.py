"""Pure rules of the renovation menu (菜单服务): items, K limit, deadlines, tallies.

No Telegram, no SQL: handlers and the demo call these; tests call them directly.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.i18n import N_
from bot.text import normalize

# The menu from the 锡林社区 report, in its order.
DEFAULT_ITEMS: tuple[str, ...] = (
    N_("整修围墙和大门"),
    N_("改造消防通道"),
    N_("建筑物主体结构加固"),
    N_("外墙保温节能改造"),
    N_("楼体外墙及楼道粉饰"),
    N_("房屋内部老旧管线更新改造"),
    N_("小区楼顶防水"),
    N_("车棚改造"),
    N_("破损路面重新硬化"),
    N_("楼梯维修"),
    N_("小区环境优化"),
)

DEFAULT_K = 3
MAX_K = 6
MAX_ITEMS = 20
MAX_NAME = 30
MAX_DESCRIPTION = 200
MAX_COMMENT = 300


class Status(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


# Allowed round transitions; anything else is refused (a stale or repeated action).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.OPEN, Status.CLOSED}),  # draft → closed = cancelled
    Status.OPEN: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),  # reopened by staff (/menu_extend)
}


def can_move(current: str, target: Status) -> bool:
    try:
        return target in TRANSITIONS[Status(current)]
    except ValueError:
        return False


class Progress(StrEnum):
    NONE = "none"
    PLANNED = "planned"
    BUILDING = "building"
    DONE = "done"
    PAUSED = "paused"  # 暂不实施: needs a reason


# Items already being done: a new round does not offer them again.
UNDERWAY = frozenset({Progress.PLANNED, Progress.BUILDING, Progress.DONE})


def next_menu(
    previous: Sequence[tuple[str, str]], defaults: Sequence[str] = DEFAULT_ITEMS
) -> tuple[list[str], list[str]]:
    """The items a new draft starts with, and the names left out as already underway.

    After a round, the next one offers what residents wanted but is not being done (not yet
    arranged, or 暂不实施 and worth asking again) in the same order, not the defaults again;
    with no earlier round, or nothing left of it, the defaults not underway."""
    underway = [name for name, progress in previous if progress in UNDERWAY]
    carried = [name for name, progress in previous if progress not in UNDERWAY]
    if not carried:
        carried = [name for name in defaults if name not in underway]
    return carried[:MAX_ITEMS], underway


# A building's picks are shown in a group only when at least this many households took part,
# so neighbours cannot read one household's order off the results.
MIN_PUBLIC_HOUSEHOLDS = 3

PROGRESS_NAMES: dict[Progress, str] = {
    Progress.NONE: N_("未安排"),
    Progress.PLANNED: N_("计划中"),
    Progress.BUILDING: N_("施工中"),
    Progress.DONE: N_("已完成"),
    Progress.PAUSED: N_("暂不实施"),
}
PROGRESS_ICONS: dict[Progress, str] = {
    Progress.NONE: "⚪",
    Progress.PLANNED: "📝",
    Progress.BUILDING: "🚧",
    Progress.DONE: "✅",
    Progress.PAUSED: "⏸",
}
MAX_PROGRESS_NOTE = 200


# ---- items and picks --------------------------------------------------------------------------
def clean_item_name(text: str) -> str | None:
    name = normalize(text)
    if not name or len(name) > MAX_NAME or name.startswith("/"):
        return None
    return name


# Separators of a pasted list: 、 ， , ； ; and line breaks; "1." "2、" "(3)" numbering too.
_SPLIT = re.compile(r"[、,;\n]+")
_NUMBERED = re.compile(
    r"(?:^|(?<=[\s、,，;；]))[(]?(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[.、):](?!\d)\s*"
)


@dataclass(frozen=True)
class Pasted:
    """Items read from one pasted text, and what was left out (to tell staff why)."""

    names: list[str]
    duplicates: list[str] = field(default_factory=list)
    too_long: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)  # beyond MAX_ITEMS


def split_items(text: str, existing: Iterable[str] = (), room: int = MAX_ITEMS) -> Pasted:
    """ "加装电梯、充电桩、增设停车位", commas, lines or a numbered list ("1. 加装电梯 2. 充电桩")
    → one name each. Empty pieces are ignored; a name already on the menu (or twice in the
    text) is left out once; at most `room` new names are taken."""
    lines = [normalize(line) for line in text.splitlines()]  # normalize joins lines
    folded = _NUMBERED.sub("\n", "\n".join(lines)).replace("，", ",").replace("；", ";")
    seen = {normalize(n) for n in existing}
    out = Pasted([])
    for raw in _SPLIT.split(folded):
        name = " ".join(raw.split()).strip(" 。.")
        if not name:
            continue
        if len(name) > MAX_NAME or name.startswith("/"):
            out.too_long.append(name)
        elif name in seen:
            out.duplicates.append(name)
        elif len(out.names) >= room:
            out.over_limit.append(name)
        else:
            seen.add(name)
            out.names.append(name)
    return out


def k_choices(n_items: int) -> range:
    """K can be 1 … min(MAX_K, number of items)."""
    return range(1, min(MAX_K, n_items) + 1)


def clean_text(text: str, limit: int) -> str | None:
    value = " ".join(text.split())
    if not value or len(value) > limit or value.startswith("/"):
        return None
    return value


class PickError(StrEnum):
    TOO_MANY = "too_many"
    UNKNOWN_ITEM = "unknown_item"


def toggle(
    picks: Iterable[int], item_id: int, k: int, valid: Iterable[int]
) -> tuple[list[int], PickError | None]:
    """Add or remove one item; refuses the (K+1)-th pick and items not on the menu."""
    current = [p for p in picks]
    if item_id not in set(valid):
        return current, PickError.UNKNOWN_ITEM
    if item_id in current:
        return [p for p in current if p != item_id], None
    if len(current) >= k:
        return current, PickError.TOO_MANY
    return [*current, item_id], None


def picks_mark(picks: Iterable[int]) -> str:
    """A short fingerprint of a set of ticks, carried by a confirm button: 确认 saves only the
    ticks the screen showed (a screen older than the draft, after a crash say, is refused)."""
    text = ",".join(str(p) for p in sorted(set(picks)))
    return hashlib.blake2s(text.encode(), digest_size=4).hexdigest()


def check_order(picks: Iterable[int], k: int, valid: Iterable[int]) -> PickError | None:
    """What the storage re-checks inside the write transaction."""
    chosen = list(picks)
    if len(set(chosen)) != len(chosen) or not set(chosen) <= set(valid):
        return PickError.UNKNOWN_ITEM
    if len(chosen) > k:
        return PickError.TOO_MANY
    return None


def may_enter_paper(
    roles: set[str], building: str, my_buildings: Iterable[str], *, admin: bool = False
) -> bool:
    """Who may enter a household's paper order: staff (and bot admins) for any building of
    their community, a grid worker only for the buildings of their grid."""
    if admin or "staff" in roles:
        return True
    return "grid_worker" in roles and building in set(my_buildings)


# ---- deadlines --------------------------------------------------------------------------------
_NO_DEADLINE = {"无", "不设", "不设截止", "没有", "不限", "none", "no", "-"}


def no_deadline(text: str) -> bool:
    """'无', '不设' …: staff close the round by hand. Any other text is a time, read by the one
    time parser (`bot.timeparse.parse_moment`: a day alone means 23:59 that day)."""
    return normalize(text).lower().strip() in _NO_DEADLINE


_EXTEND_LEAD = re.compile(
    r"^(?:再延长|再延|再推迟|延长到|延到|推迟到|改到|延长|推迟|extend to|extend by|extend)\s*"
)
_DURATION = re.compile(
    r"^(?:再)?(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3}|半)\s*个?\s*"
    r"(?P<unit>天|日|周|星期|礼拜|小时|钟头|月)$"
)
_DURATION_EN = re.compile(r"^(?:by\s+)?(?P<n>\d{1,3})\s+(?:more\s+)?(?P<unit>day|week|hour)s?$")
_EN_UNITS = {"day": "天", "week": "周", "hour": "小时"}


def extension(text: str) -> tuple[str, bool]:
    """What to read from "/menu_extend …": "延长到周五晚上8点" → ("周五晚上8点", False), a time
    from now; "再延长三天" → ("三天后", True), three days after the current deadline."""
    s = normalize(text).lower()
    relative_lead = s.startswith(("再", "extend by", "by "))
    rest = _EXTEND_LEAD.sub("", s).strip()
    m = _DURATION.match(rest)
    if m is not None:
        unit = "个月" if m.group("unit") == "月" else m.group("unit")
        return m.group("n") + unit + "后", True
    m = _DURATION_EN.match(rest)
    if m is not None:
        return m.group("n") + _EN_UNITS[m.group("unit")] + "后", True
    return rest, relative_lead and rest.endswith("后")


def reminder_time(
    deadline: datetime, now: datetime, before: timedelta = timedelta(hours=24)
) -> datetime | None:
    """When to remind those who have not ordered: a day before, if that is still ahead."""
    at = deadline - before
    return at if at > now + timedelta(minutes=30) else None


# ---- tallies ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    id: int
    name: str
    position: int = 0


@dataclass(frozen=True)
class OrderRecord:
    """One confirmed order: which household (and its building) picked which items."""

    household_id: int
    building: str
    item_ids: frozenset[int]
    paper: bool = False  # entered from a paper form by a grid worker or staff


@dataclass(frozen=True)
class Counts:
    """Aggregates the storage can compute in SQL; `aggregate` computes them from orders."""

    cells: Mapping[tuple[int, str], int]  # (item, building) → households
    participants: Mapping[str, int]  # building → households that ordered
    known: Mapping[str, int]  # building → households registered or known from an order
    registered: int = 0  # households with a registered resident (登记户数)
    registered_participants: int = 0  # of those, the ones that ordered
    paper: int = 0  # households that ordered, on paper only


@dataclass(frozen=True)
class ItemResult:
    item_id: int
    name: str
    rank: int
    households: int
    share: float  # of participating households


@dataclass(frozen=True)
class BuildingResult:
    building: str
    participants: int
    registered: int
    counts: dict[int, int] = field(default_factory=dict)
    households: int | None = None  # the real number staff set (/households), if any

    @property
    def base(self) -> int:
        """What turnout is measured against: the real count, else the registered one."""
        return self.households if self.households is not None else self.registered

    @property
    def turnout(self) -> float:
        return self.participants / self.base if self.base else 0.0


@dataclass(frozen=True)
class Results:
    items: list[ItemResult]
    participants: int  # households that ordered, registered or not
    registered: int  # households with a registered resident
    buildings: list[BuildingResult]
    registered_participants: int = 0
    paper: int = 0  # households whose order is a paper one
    waiting: int = 0  # a group's live tally: households that ordered, not counted in it yet

    @property
    def turnout(self) -> float:
        """Of the registered households, the share that ordered (a paper-only household
        took part but was never registered, so it cannot push this past 100%)."""
        return self.registered_participants / self.registered if self.registered else 0.0

    @property
    def unregistered(self) -> int:
        """Households that took part without anyone registered there (paper-only homes)."""
        return self.participants - self.registered_participants

    @property
    def real(self) -> bool:
        """Staff set the real number of households for at least one building."""
        return any(b.households is not None for b in self.buildings)

    @property
    def real_base(self) -> int:
        """Households turnout is measured against: the real count where staff set one, the
        registered (or known from an order) households elsewhere."""
        return sum(b.base for b in self.buildings)

    @property
    def real_turnout(self) -> float:
        took_part = sum(b.participants for b in self.buildings)
        return took_part / self.real_base if self.real_base else 0.0

    @property
    def fallback_buildings(self) -> int:
        """Buildings without a real count, measured against registered households."""
        return sum(1 for b in self.buildings if b.households is None)


def aggregate(orders: Iterable[OrderRecord], known: Mapping[int, str]) -> Counts:
    """Orders → counts. A household counts once per item even if several members ordered.
    `known` maps the registered households to their buildings."""
    per_household: dict[int, set[int]] = defaultdict(set)
    online: set[int] = set()
    building_of: dict[int, str] = dict(known)
    for order in orders:
        per_household[order.household_id] |= order.item_ids
        building_of[order.household_id] = order.building
        if not order.paper:
            online.add(order.household_id)
    cells: dict[tuple[int, str], int] = defaultdict(int)
    participants: dict[str, int] = defaultdict(int)
    for hid, picks in per_household.items():
        b = building_of[hid]
        participants[b] += 1
        for item in picks:
            cells[(item, b)] += 1
    registered: dict[str, int] = defaultdict(int)
    for b in building_of.values():
        registered[b] += 1
    return Counts(
        dict(cells),
        dict(participants),
        dict(registered),
        registered=len(known),
        registered_participants=len(set(per_household) & set(known)),
        paper=len(set(per_household) - online),
    )


def building_key(building: str) -> tuple[int, str]:
    return (int(building), "") if building.isdigit() else (10**9, building)


def tally(items: Iterable[Item], counts: Counts, real: Mapping[str, int] | None = None) -> Results:
    """Rank items by households that ordered them; ties share a rank (1, 1, 3). `real` is
    staff's number of households per building: those buildings are listed (even with
    nobody registered) and their turnout is measured against it."""
    real = real or {}
    menu = sorted(items, key=lambda i: (i.position, i.id))
    total: dict[int, int] = defaultdict(int)
    for (item_id, _b), n in counts.cells.items():
        total[item_id] += n
    participants = sum(counts.participants.values())
    ordered = sorted(menu, key=lambda i: (-total[i.id], i.position, i.id))
    ranked: list[ItemResult] = []
    for index, item in enumerate(ordered):
        n = total[item.id]
        rank = ranked[-1].rank if ranked and ranked[-1].households == n else index + 1
        share = n / participants if participants else 0.0
        ranked.append(ItemResult(item.id, item.name, rank, n, share))
    on_menu = {i.id for i in menu}
    buildings = []
    for b in sorted(set(counts.known) | set(counts.participants) | set(real), key=building_key):
        per = {i: n for (i, bb), n in counts.cells.items() if bb == b and i in on_menu}
        buildings.append(
            BuildingResult(
                b,
                counts.participants.get(b, 0),
                max(counts.known.get(b, 0), counts.participants.get(b, 0)),
                per,
                real.get(b),
            )
        )
    return Results(
        ranked,
        participants,
        counts.registered,
        buildings,
        registered_participants=counts.registered_participants,
        paper=counts.paper,
    )


def public_buildings(res: Results) -> frozenset[str]:
    """The buildings whose picks a group may see. Each has at least MIN_PUBLIC_HOUSEHOLDS
    households taking part, and the households left out are either none or at least that many:
    otherwise the totals minus the shown buildings would give away a small building's orders.
    The smallest shown buildings are hidden too until that holds (complementary suppression)."""
    shown = sorted(
        (b for b in res.buildings if b.participants >= MIN_PUBLIC_HOUSEHOLDS),
        key=lambda b: (b.participants, building_key(b.building)),
    )
    hidden = res.participants - sum(b.participants for b in shown)
    while shown and 0 < hidden < MIN_PUBLIC_HOUSEHOLDS:
        hidden += shown.pop(0).participants
    return frozenset(b.building for b in shown)


def public_batch(participants: int) -> int:
    """How many households a group's live tally counts: whole batches of
    MIN_PUBLIC_HOUSEHOLDS, so comparing two tallies never shows one household's order."""
    return participants - participants % MIN_PUBLIC_HOUSEHOLDS


def public_totals(res: Results) -> bool:
    """A group sees how many households chose each item only when enough took part that the
    counts cannot be one or two neighbours' orders."""
    return res.participants >= MIN_PUBLIC_HOUSEHOLDS


def percent(share: float) -> str:
    """A share as a whole percent, half rounded up as a spreadsheet's 0% format does (Python
    rounds halves to even: 1/8 read 12% in the chat and 13% in the workbook). The small
    epsilon keeps 0.145 (stored as 14.4999…) at 15%."""
    return f"{math.floor(share * 100 + 0.5 + 1e-9)}%"
