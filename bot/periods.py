"""Periods a staff member names for statistics and exports ("本月", "上周", "最近30天").

`bot/timeparse.py` understands moments and repeats, not spans; the few span words live here,
shared by /repair_stats and /care_export. Pure: no Telegram, no SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_
from bot.text import normalize

DEFAULT_DAYS = 30
MAX_DAYS = 3660


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
