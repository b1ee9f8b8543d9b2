"""Pure rules for repair tickets (报修单): categories, routing skills, deadlines, statuses, rights.

No Telegram, no SQL: the handlers and the demo use these, and tests call them directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.community import BUILDING_SUFFIXES, UNIT_SUFFIXES, clean_part
from bot.i18n import N_
from bot.text import normalize

MAX_DESCRIPTION = 1000
MAX_PLACE = 60
MAX_NOTE = 500
MAX_PHOTOS = 3
MAX_VOICES = 3  # voice notes on one ticket (kept by file_id, like photos)
VOICE = "🎤"  # the description of a ticket told by voice note only (no speech recognition)

# Not accepted after this long → remind the grid worker; after the second → tell staff.
ACCEPT_REMIND_AFTER = timedelta(hours=4)
ACCEPT_ESCALATE_AFTER = timedelta(hours=24)
# Once the resolve deadline passed, remind again every day until it moves on.
RESOLVE_REPEAT = timedelta(days=1)


@dataclass(frozen=True)
class Category:
    key: str  # short token, safe for callback data
    name: str  # Simplified Chinese msgid (N_)
    skills: tuple[str, ...]
    target_days: int


# Skills are the volunteer teams of bot/community.py SKILLS.
CATEGORIES: tuple[Category, ...] = (
    Category("roof", N_("屋顶漏水"), ("维修",), 7),
    Category("water", N_("水管"), ("维修",), 3),
    Category("power", N_("电路"), ("维修",), 2),
    Category("gas", N_("燃气"), ("社区安全", "维修"), 1),
    Category("stairs", N_("楼道与楼梯"), ("维修", "环境卫生"), 7),
    Category("gate", N_("门禁与围墙"), ("维修", "社区安全"), 5),
    Category("road", N_("路面"), ("维修",), 14),
    Category("green", N_("绿化"), ("环境卫生",), 7),
    Category("illegal", N_("违章搭建"), ("矛盾调处",), 14),
    Category("safety", N_("安全隐患"), ("社区安全",), 2),
    Category("property", N_("物业服务"), ("物业服务",), 5),
    Category("other", N_("其他"), (), 7),
)
BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}


def category(key: str) -> Category | None:
    return BY_KEY.get(key)


def skills_for(key: str) -> tuple[str, ...]:
    cat = BY_KEY.get(key)
    return cat.skills if cat else ()


def target_days(key: str) -> int:
    cat = BY_KEY.get(key)
    return cat.target_days if cat else 7


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    CLOSED = "closed"


STATUS_NAMES: dict[Status, str] = {
    Status.NEW: N_("待受理"),
    Status.ASSIGNED: N_("已派单"),
    Status.IN_PROGRESS: N_("处理中"),
    Status.RESOLVED: N_("已解决"),
    Status.CONFIRMED: N_("已确认"),
    Status.CLOSED: N_("已关闭"),
}
OPEN = frozenset({Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS})
WORKING = frozenset({Status.ASSIGNED, Status.IN_PROGRESS})
FINAL = frozenset({Status.CONFIRMED, Status.CLOSED})

# What staff may choose when closing; every reason a ticket may carry is in CLOSE_REASONS.
STAFF_CLOSE_REASONS: dict[str, str] = {
    "dup": N_("重复"),
    "notours": N_("不属于社区处理"),
    "cannot": N_("无法处理"),
}
CLOSE_REASONS: dict[str, str] = {**STAFF_CLOSE_REASONS, "withdrawn": N_("居民撤回")}


def status_name(value: str) -> str:
    try:
        return STATUS_NAMES[Status(value)]
    except ValueError:
        return value


@dataclass(frozen=True)
class Actor:
    """What a person is to one ticket; the handlers fill it from the database."""

    is_reporter: bool = False
    is_assignee: bool = False
    is_grid: bool = False  # grid worker of the ticket's building
    is_staff: bool = False  # staff of the ticket's community, or a bot admin
    was_offered: bool = False  # a volunteer whose skill fits, who got the offer
    is_follower: bool = False  # a resident who said 我也遇到了

    @property
    def is_worker(self) -> bool:
        return self.is_assignee or self.is_grid or self.is_staff


class Action(StrEnum):
    ACCEPT = "accept"  # new → assigned (to the actor)
    START = "start"  # assigned → in_progress
    RESOLVE = "resolve"  # assigned / in_progress → resolved
    HAND_BACK = "hand_back"  # assigned / in_progress → new (assignee gives it up)
    CONFIRM = "confirm"  # resolved → confirmed (the resident: 已解决)
    REOPEN = "reopen"  # resolved → in_progress (the resident: 没解决)
    CLOSE = "close"  # any open or resolved → closed, with a reason
    REASSIGN = "reassign"  # open → assigned to someone else
    WITHDRAW = "withdraw"  # open → closed (the reporter: 撤回)
    NOTE = "note"  # no status change
    REPLY = "reply"  # no status change: a message between the residents and the assignee


TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.ACCEPT: (frozenset({Status.NEW}), Status.ASSIGNED),
    Action.START: (frozenset({Status.ASSIGNED}), Status.IN_PROGRESS),
    Action.RESOLVE: (WORKING, Status.RESOLVED),
    Action.HAND_BACK: (WORKING, Status.NEW),
    Action.CONFIRM: (frozenset({Status.RESOLVED}), Status.CONFIRMED),
    Action.REOPEN: (frozenset({Status.RESOLVED}), Status.IN_PROGRESS),
    Action.CLOSE: (OPEN | {Status.RESOLVED}, Status.CLOSED),
    Action.REASSIGN: (OPEN, Status.ASSIGNED),
    Action.WITHDRAW: (OPEN, Status.CLOSED),
    Action.NOTE: (OPEN | {Status.RESOLVED}, None),
    Action.REPLY: (OPEN | {Status.RESOLVED}, None),
}


def allowed(action: Action, actor: Actor) -> bool:
    """Who may do what, independent of the current status."""
    if action is Action.ACCEPT:
        return actor.was_offered or actor.is_grid or actor.is_staff
    if action in (Action.START, Action.RESOLVE, Action.NOTE):
        return actor.is_worker
    if action is Action.HAND_BACK:
        return actor.is_assignee
    if action in (Action.CONFIRM, Action.REOPEN):
        return actor.is_reporter or actor.is_staff
    if action in (Action.CLOSE, Action.REASSIGN):
        return actor.is_staff
    if action is Action.WITHDRAW:
        return actor.is_reporter
    if action is Action.REPLY:
        return actor.is_reporter or actor.is_follower or actor.is_worker
    return False


def next_status(action: Action, current: str) -> Status | None:
    """The status after `action`, or None when it does not apply to `current` (stale)."""
    sources, target = TRANSITIONS[action]
    try:
        status = Status(current)
    except ValueError:
        return None
    if status not in sources:
        return None
    return target if target is not None else status


# What each change is called in a ticket's history, by (from, to) status: the name of what
# the person did, not only the status it led to ("王阿姨：说没解决，重新打开", not "王阿姨：处理中").
DONE: dict[tuple[str | None, str], str] = {
    (None, "new"): N_("提交了报修"),
    ("new", "assigned"): N_("接单"),
    ("assigned", "in_progress"): N_("开始处理"),
    ("assigned", "resolved"): N_("标记已解决"),
    ("in_progress", "resolved"): N_("标记已解决"),
    ("assigned", "new"): N_("退回，重新派单"),
    ("in_progress", "new"): N_("退回，重新派单"),
    ("resolved", "confirmed"): N_("确认已解决"),
    ("resolved", "in_progress"): N_("说没解决，重新打开"),
}
REASSIGNED = N_("改派给 {name}")


def done_name(from_status: str | None, to_status: str) -> str:
    """msgid of what a status change in the history did (closing and reassigning aside)."""
    if to_status == Status.CLOSED:
        return N_("关闭了报修")
    if to_status == Status.ASSIGNED and from_status != Status.NEW:
        return N_("改派")
    return DONE.get((from_status, to_status), STATUS_NAMES.get(Status(to_status), to_status))


NOT_YOURS = N_("这不是您的任务，您不能操作。")
MOVED_ON = N_("这个报修的状态已经变了，按钮已失效。")


def check(action: Action, current: str, actor: Actor) -> str | None:
    """None when the change may happen; otherwise a msgid (N_) explaining why not."""
    if not allowed(action, actor):
        return NOT_YOURS
    if next_status(action, current) is None:
        return MOVED_ON
    return None


# Letters, digits or Chinese characters: what makes a text say something.
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


def clean_description(text: str | None) -> tuple[str | None, str | None]:
    """(description, None) or (None, msgid of the polite re-ask)."""
    # Keep the resident's own words (no Traditional→Simplified folding), only tidy spaces.
    value = " ".join((text or "").split())
    if len(_MEANINGFUL.findall(value)) < 2:  # "." or "？" tells the volunteer nothing
        return None, N_("请用文字写一下是什么问题，例如：楼顶漏水，下雨天屋里滴水。")
    if len(value) > MAX_DESCRIPTION:
        return None, N_("写得太长了，请控制在1000字以内，写清楚最主要的问题就好。")
    return value, None


def clean_place(text: str | None) -> str | None:
    """A typed place, or None when it says nothing a worker could find: empty, too long,
    digits only ("1", "302": a menu number or a bare room), or a single character."""
    value = " ".join(normalize(text or "").split())
    if not _MEANINGFUL.search(value) or len(value) > MAX_PLACE or bare_number(value):
        return None
    if len(_MEANINGFUL.findall(value)) < 2:
        return None
    return value


def bare_number(text: str | None) -> bool:
    """Only digits (and spaces, punctuation): "1", "21", "302。"."""
    value = normalize(text or "")
    return bool(re.fullmatch(r"[\s\W_]*\d+[\s\W_]*", value))


def clean_note(text: str | None) -> str | None:
    value = (text or "").strip()
    if not value or len(value) > MAX_NOTE:
        return None
    return value


def valid_rating(value: int) -> bool:
    return 1 <= value <= 5


# SQLite (and PostgreSQL's bigint) hold 64-bit signed integers: a larger number from a
# button or a command would raise OverflowError in the driver instead of a polite answer.
MAX_ID = 2**63 - 1
MAX_PAGE = 100_000


def valid_id(value: int) -> bool:
    """A ticket, community or user number that can be looked up at all."""
    return 0 < value <= MAX_ID


def parse_id(text: str) -> int | None:
    """'#12' or '１２' typed by a person → 12; None for anything else or out of range."""
    value = normalize(text).strip().lstrip("#")
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if valid_id(number) else None


# Where a ticket is, as a kind of place: what another resident may read of it (the typed
# place itself may hold a room number or a name).
PLACE_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("楼顶", "屋顶", "顶楼", "天台", "房顶"), N_("楼顶")),
    (("楼道", "楼梯", "走廊", "过道", "电梯"), N_("楼道")),
    (("路", "地面", "停车", "井盖"), N_("路面")),
    (("大门", "门口", "围墙", "门禁"), N_("门口和围墙")),
    (("绿", "树", "草", "花"), N_("绿化带")),
    (("车棚", "车库"), N_("车棚")),
)


def place_kind(place: str) -> str:
    """msgid of the kind of place; an empty place is the reporter's own unit (本户)."""
    value = normalize(place or "")
    if not value:
        return N_("本户")
    for words, kind in PLACE_KINDS:
        if any(w in value for w in words):
            return kind
    return N_("公共区域")


# Categories where someone may be hurt: the resident is told what to do at once, and the
# ticket escalates sooner (see URGENT_REMIND_AFTER).
SAFETY_ADVICE: dict[str, str] = {
    "gas": N_(
        "⚠️ 闻到燃气味请马上：不要开关电器、不要点火，打开门窗，关掉燃气总阀，"
        "到室外再打燃气公司的抢修电话。"
    ),
    "power": N_(
        "⚠️ 电线冒火花、发烫或有焦味：不要用手碰，能的话先拉下电闸，远离积水，起火了马上打119。"
    ),
}
URGENT_REMIND_AFTER = timedelta(minutes=30)
URGENT_ESCALATE_AFTER = timedelta(hours=2)


def is_urgent(key: str) -> bool:
    return key in SAFETY_ADVICE


def accept_remind_after(key: str) -> timedelta:
    return URGENT_REMIND_AFTER if is_urgent(key) else ACCEPT_REMIND_AFTER


def accept_escalate_after(key: str) -> timedelta:
    return URGENT_ESCALATE_AFTER if is_urgent(key) else ACCEPT_ESCALATE_AFTER


def accept_due(created: datetime, key: str = "") -> datetime:
    return created + accept_remind_after(key)


def resolve_due(accepted: datetime, key: str) -> datetime:
    return accepted + timedelta(days=target_days(key))


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    return status in OPEN and due_at is not None and now > due_at


_PLACE = re.compile(
    r"^(?:(?P<b>[0-9A-Za-z一二三四五六七八九十两]+)\s*(?:号楼|栋|幢|楼|#))?\s*"
    r"(?:(?P<u>[0-9A-Za-z一二三四五六七八九十两]+)\s*(?:单元|门))?\s*(?P<rest>.*)$"
)


def parse_place(text: str) -> tuple[str, str, str]:
    """'21号楼4单元楼顶' → ('21', '4', '楼顶'); '小区大门' → ('', '', '小区大门')."""
    value = normalize(text)
    m = _PLACE.match(value)
    if not m:
        return "", "", value
    b = clean_part(m.group("b"), BUILDING_SUFFIXES) if m.group("b") else None
    u = clean_part(m.group("u"), UNIT_SUFFIXES) if m.group("u") and b else None
    if b is None:
        return "", "", value
    return b, u or "", m.group("rest").strip()
