"""Pure rules for repair statistics (/repair_stats): the period a staff member names, and the
numbers over the tickets filed in it. No Telegram, no SQL.

Periods are whole calendar spans in the community's time zone ("本月", "上周") or a
trailing window ("最近30天"); `bot/timeparse.py` understands moments, not spans, so the few
span words live here.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.i18n import N_
from bot.text import normalize

DEFAULT_DAYS = 30
MAX_DAYS = 3660
OPEN = ("new", "assigned", "in_progress")


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware
    label: str  # msgid (N_), formatted with `days`
    days: int = 0


_RECENT = re.compile(r"^(?:最近|近|过去|last)\s*(\d{1,4})\s*(?:天|日|days?)$")


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def parse_period(text: str, now: datetime, tz: ZoneInfo) -> Period | None:
    """ "本月", "上月", "本周", "上周", "今年", "最近30天", "全部"; empty means the last 30 days.
    None for anything else (the handler says which words work)."""
    s = re.sub(r"\s+", "", normalize(text or "")).lower()
    local = now.astimezone(tz)
    today = local.date()
    end_today = _midnight(today + timedelta(days=1), tz)
    if s in ("", "最近一个月", "近一个月"):
        return Period(
            now - timedelta(days=DEFAULT_DAYS), end_today, N_("最近{days}天"), DEFAULT_DAYS
        )
    if m := _RECENT.match(s):
        days = int(m.group(1))
        if not 1 <= days <= MAX_DAYS:
            return None
        return Period(now - timedelta(days=days), end_today, N_("最近{days}天"), days)
    if s in ("本月", "这个月", "this_month", "thismonth"):
        return Period(_midnight(_month_start(today), tz), end_today, N_("本月"))
    if s in ("上月", "上个月", "last_month", "lastmonth"):
        first = _month_start(today)
        prev = _month_start(first - timedelta(days=1))
        return Period(_midnight(prev, tz), _midnight(first, tz), N_("上月"))
    monday = today - timedelta(days=today.weekday())
    if s in ("本周", "这周", "这个星期", "this_week", "thisweek"):
        return Period(_midnight(monday, tz), end_today, N_("本周"))
    if s in ("上周", "上个星期", "上星期", "last_week", "lastweek"):
        return Period(_midnight(monday - timedelta(days=7), tz), _midnight(monday, tz), N_("上周"))
    if s in ("今年", "this_year", "thisyear"):
        return Period(_midnight(date(today.year, 1, 1), tz), end_today, N_("今年"))
    if s in ("全部", "所有", "all"):
        return Period(datetime(2000, 1, 1, tzinfo=tz), end_today, N_("全部"))
    return None


class TicketRow(Protocol):
    """A ticket row as storage returns it (sqlite3.Row or a dict): read by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass
class Group:
    """The numbers of one slice (a category, a building, or everything)."""

    filed: int = 0
    open: int = 0
    overdue: int = 0
    done: int = 0
    accept_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    def add(self, t: TicketRow, now: float) -> None:
        self.filed += 1
        if t["status"] in OPEN:
            self.open += 1
            if t["due_at"] is not None and t["due_at"] < now:
                self.overdue += 1
        elif t["status"] in ("resolved", "confirmed"):
            self.done += 1
        if t["accepted_at"] is not None:
            self.accept_hours.append(max(0.0, (t["accepted_at"] - t["created_at"]) / 3600))
        if t["resolved_at"] is not None:
            self.resolve_hours.append(max(0.0, (t["resolved_at"] - t["created_at"]) / 3600))
        if t["rating"] is not None:
            self.ratings.append(int(t["rating"]))

    @property
    def rating(self) -> float | None:
        return round(statistics.fmean(self.ratings), 1) if self.ratings else None


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the time within which 9 in 10 were done."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 1)


@dataclass
class Stats:
    total: Group
    by_category: dict[str, Group]
    by_building: dict[str, Group]  # '' = common areas


def compute(tickets: Iterable[TicketRow], now: float) -> Stats:
    """Tickets merged into another are counted once, under the one they were merged into."""
    total = Group()
    by_category: dict[str, Group] = {}
    by_building: dict[str, Group] = {}
    for t in tickets:
        if t["merged_into"] is not None:
            continue
        total.add(t, now)
        by_category.setdefault(t["category"], Group()).add(t, now)
        by_building.setdefault(t["building"] or "", Group()).add(t, now)
    return Stats(total, by_category, dict(sorted(by_building.items(), key=_building_order)))


def _building_order(item: tuple[str, Group]) -> tuple[int, int, str]:
    name = item[0]
    return (name == "", int(name) if name.isdigit() else 0, name)
