"""Pure rules for notices: read the times people type, find the next run, say it back in
plain words, decide what to do about a run missed while the bot was down, pace a broadcast.
The care visits' rhythm (`bot/care.py`) is read with the same parser.

No Telegram, no SQL. Times are aware datetimes; wall-clock times are read in the community's
time zone with zoneinfo, so a day with a DST change still lands on the right wall time.
"""

from __future__ import annotations

import asyncio
import calendar
import json
import re
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translate
from bot.text import normalize

MAX_TEXT = 1000  # a notice longer than this is not read by anyone on a phone
LATE_GRACE = timedelta(hours=1)  # later than this a missed notice is skipped, staff told
ON_TIME = timedelta(minutes=2)  # JobQueue jitter and short hiccups still count as on time
MEETING_LEAD = timedelta(hours=1)  # meeting reminder goes out this long before
MAX_AHEAD = timedelta(days=2 * 366)

WEEKDAY_NAMES = (
    N_("星期一"),
    N_("星期二"),
    N_("星期三"),
    N_("星期四"),
    N_("星期五"),
    N_("星期六"),
    N_("星期日"),
)
WEEKDAY_SHORT = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))


class ScheduleError(ValueError):
    """Why a time could not be used: 'unclear', 'need_time', 'bad_time', 'past', 'too_far'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Kind = Literal["once", "daily", "weekly", "monthly"]


@dataclass(frozen=True)
class Schedule:
    kind: Kind
    hour: int = 0
    minute: int = 0
    at: float | None = None  # once: UTC epoch seconds
    weekdays: tuple[int, ...] = ()  # weekly: 0 = Monday
    day: int = 0  # monthly: day of month (clamped to the month's last day)

    @property
    def repeating(self) -> bool:
        return self.kind != "once"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> Schedule:
        data = json.loads(raw)
        data["weekdays"] = tuple(data.get("weekdays") or ())
        return cls(**data)


# ---- numbers and words ---------------------------------------------------------------------
_CN = {
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
_WEEKDAY_CHARS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
_EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"


def cn_int(text: str) -> int | None:
    """'19' / '七' / '十二' / '二十一' → int; None otherwise."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(ones) > 1 or len(tens) > 1:
            return None
        return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)
    return _CN[text] if len(text) == 1 else None


_EVENING = ("下午", "傍晚", "晚上", "今晚", "明晚", "晚")
_MORNING = ("凌晨", "早上", "早晨", "上午", "今早", "明早", "早")
_TIME_CN = re.compile(
    r"(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今晚|明晚|今早|明早|早|晚)?\s*"
    rf"(?<![\d.\-/])(?P<h>{NUM})\s*(?:[:.]\s*(?P<m>\d{{2}})(?!\d)|[点时]\s*(?P<m2>半|一刻|三刻|{NUM})?\s*分?)"
    r"\s*(?P<ampm>am|pm)?"
)
_TIME_EN = re.compile(r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)\b")


def take_time(s: str) -> tuple[tuple[int, int] | None, str, str | None]:
    """Find a time of day; returns ((hour, minute) or None, the rest, the period word)."""
    m = _TIME_CN.search(s)
    if m is None:
        m = _TIME_EN.search(s)
        if m is None:
            return None, s, None
    groups = m.groupdict()
    hour = cn_int(groups["h"])
    minute_raw = groups.get("m") or groups.get("m2")
    minutes = {"半": 30, "一刻": 15, "三刻": 45}
    minute = minutes.get(minute_raw or "", None)
    if minute is None:
        minute = cn_int(minute_raw) if minute_raw else 0
    if hour is None or minute is None:
        raise ScheduleError("bad_time")
    period = groups.get("period")
    ampm = groups.get("ampm")
    if (period in _EVENING or ampm == "pm") and hour < 12:
        hour += 12
    elif period == "中午" and hour < 11:
        hour += 12
    elif (period in _MORNING or ampm == "am") and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ScheduleError("bad_time")
    rest = s[: m.start()] + " " + s[m.end() :]
    # 今晚/明早 also name the day: leave the day word for the date parser.
    if period in ("今晚", "今早"):
        rest = "今天 " + rest
    elif period in ("明晚", "明早"):
        rest = "明天 " + rest
    return (hour, minute), rest, period


def _weekdays(chars: str) -> tuple[int, ...] | None:
    """'一三五' / '1,3,5' / '一至五' → (0, 2, 4) / (0, 1, 2, 3, 4)."""
    chars = re.sub(r"[、,\s和及]|周|星期|礼拜", "", chars)
    rng = re.fullmatch(r"(.)[至到\-~](.)", chars)
    if rng:
        lo, hi = _WEEKDAY_CHARS.get(rng.group(1)), _WEEKDAY_CHARS.get(rng.group(2))
        if lo is None or hi is None or lo > hi:
            return None
        return tuple(range(lo, hi + 1))
    days = [_WEEKDAY_CHARS.get(c) for c in chars]
    if not days or None in days:
        return None
    return tuple(sorted(set(d for d in days if d is not None)))


_FILLER = re.compile(r"[\s,，。.、的在于到]|at|on|the")


def leftover_ok(rest: str) -> bool:
    return not _FILLER.sub("", rest)


# ---- parsing -------------------------------------------------------------------------------
def local_at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """Wall time on a day in tz as an aware UTC instant (a DST gap resolves forwards)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def parse_schedule(text: str, now: datetime, tz: ZoneInfo) -> Schedule:
    """Read '明天 19:00', '每周一三五 7:30', '3小时后', 'every tuesday 7pm' … or raise."""
    s = normalize(text).lower()
    if not s or len(s) > 100:
        raise ScheduleError("unclear")
    repeating = parse_repeating(s)
    if repeating is not None:
        return repeating
    return _parse_once(s, now, tz)


def parse_repeating(s: str) -> Schedule | None:
    kind: Kind | None = None
    weekdays: tuple[int, ...] = ()
    day = 0
    rest = s
    if m := re.search(r"每天|每日|天天|every ?day|daily", s):
        kind, rest = "daily", s[: m.start()] + " " + s[m.end() :]
    elif m := re.search(r"(?:每个?)?工作日|weekdays", s):
        kind, weekdays, rest = "weekly", (0, 1, 2, 3, 4), s[: m.start()] + " " + s[m.end() :]
    elif m := re.search(
        r"每个?(?:周|星期|礼拜)((?:[一二三四五六日天][、,和及至到\-~]*"
        r"(?:周|星期|礼拜)?)+)",
        s,
    ):
        days = _weekdays(m.group(1))
        if days is None:
            raise ScheduleError("unclear")
        kind, weekdays, rest = "weekly", days, s[: m.start()] + " " + s[m.end() :]
    elif m := re.search(r"every ((?:(?:" + "|".join(_EN_DAYS) + r")s?[,\s]*(?:and\s*)?)+)", s):
        found = [i for i, name in enumerate(_EN_DAYS) if name in m.group(1)]
        kind, weekdays, rest = "weekly", tuple(found), s[: m.start()] + " " + s[m.end() :]
    elif m := re.search(rf"每个?月\s*({NUM})\s*[日号]", s):
        value = cn_int(m.group(1))
        if value is None or not 1 <= value <= 31:
            raise ScheduleError("unclear")
        kind, day, rest = "monthly", value, s[: m.start()] + " " + s[m.end() :]
    elif m := re.search(
        r"(?:every month on (?:the )?|monthly (?:on (?:the )?)?)(\d{1,2})"
        r"(?:st|nd|rd|th)?",
        s,
    ):
        value = int(m.group(1))
        if not 1 <= value <= 31:
            raise ScheduleError("unclear")
        kind, day, rest = "monthly", value, s[: m.start()] + " " + s[m.end() :]
    elif re.search(r"每|every", s):
        raise ScheduleError("unclear")
    if kind is None:
        return None
    clock, rest, _period = take_time(rest)
    if clock is None:
        raise ScheduleError("need_time")
    if not leftover_ok(rest):
        raise ScheduleError("unclear")
    return Schedule(kind, clock[0], clock[1], weekdays=weekdays, day=day)


_RELATIVE = re.compile(rf"(?P<n>{NUM}|半)\s*个?\s*(?P<unit>小时|钟头|分钟|天)\s*(?:后|以后|之后)")
_RELATIVE_EN = re.compile(r"in (?P<n>\d{1,4}) ?(?P<unit>hours?|hrs?|minutes?|mins?|days?)")


def _parse_once(s: str, now: datetime, tz: ZoneInfo) -> Schedule:
    m = _RELATIVE.search(s) or _RELATIVE_EN.search(s)
    if m is not None and leftover_ok(s[: m.start()] + s[m.end() :]):
        raw, unit = m.group("n"), m.group("unit")
        n = 0.5 if raw == "半" else cn_int(raw)
        if not n:
            raise ScheduleError("unclear")
        if unit.startswith(("小时", "钟头", "h")):
            delta = timedelta(hours=n)
        elif unit.startswith(("分钟", "m")):
            delta = timedelta(minutes=n)
        else:
            delta = timedelta(days=n)
        return _once(now + delta, now)
    clock, rest, _period = take_time(s)
    today = now.astimezone(tz).date()
    day: date | None = None
    if m := re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?", rest):
        day = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif m := re.search(rf"({NUM})\s*月\s*({NUM})\s*[日号]?|(\d{{1,2}})/(\d{{1,2}})", rest):
        month = cn_int(m.group(1) or m.group(3) or "")
        dom = cn_int(m.group(2) or m.group(4) or "")
        if month is None or dom is None:
            raise ScheduleError("unclear")
        day = _date(today.year, month, dom)
        if day < today:
            day = _date(today.year + 1, month, dom)
    elif m := re.search(r"大后天|后天|明天|今天|明日|今日|昨天|前天|tomorrow|today|tonight", rest):
        word = m.group(0)
        offset = {
            "大后天": 3,
            "后天": 2,
            "明天": 1,
            "明日": 1,
            "tomorrow": 1,
            "昨天": -1,
            "前天": -2,
        }.get(word, 0)
        day = today + timedelta(days=offset)
        if word == "tonight" and clock is not None and clock[0] < 12:
            clock = (clock[0] + 12, clock[1])
    elif m := re.search(r"(下+)个?(?:周|星期|礼拜)([一二三四五六日天1-7])", rest):
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=len(m.group(1)))
        day = monday + timedelta(days=_WEEKDAY_CHARS[m.group(2)])
    elif m := re.search(r"(?:这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])", rest):
        day = _next_weekday(today, _WEEKDAY_CHARS[m.group(1)], clock, now, tz)
    elif m := re.search(r"(next )?(" + "|".join(_EN_DAYS) + ")", rest):
        wd = _EN_DAYS.index(m.group(2))
        day = _next_weekday(today, wd, clock, now, tz)
    if m is None and clock is not None and leftover_ok(rest):
        # Only a time ("7点"): the next time the clock shows it, today or tomorrow.
        day = today if local_at(today, *clock, tz) > now else today + timedelta(days=1)
        return _once(local_at(day, clock[0], clock[1], tz), now)
    if m is None or day is None:
        raise ScheduleError("unclear")
    rest = rest[: m.start()] + " " + rest[m.end() :]
    if clock is None:
        raise ScheduleError("need_time")
    if not leftover_ok(rest):
        raise ScheduleError("unclear")
    return _once(local_at(day, clock[0], clock[1], tz), now)


def _date(year: int, month: int, dom: int) -> date:
    try:
        return date(year, month, dom)
    except ValueError as exc:
        raise ScheduleError("unclear") from exc


def _next_weekday(
    today: date, wd: int, clock: tuple[int, int] | None, now: datetime, tz: ZoneInfo
) -> date:
    day = today + timedelta(days=(wd - today.weekday()) % 7)
    if clock is not None and local_at(day, clock[0], clock[1], tz) <= now:
        day += timedelta(days=7)
    return day


def _once(at: datetime, now: datetime) -> Schedule:
    if at <= now:
        raise ScheduleError("past")
    if at - now > MAX_AHEAD:
        raise ScheduleError("too_far")
    at = at.astimezone(UTC).replace(second=0, microsecond=0)
    local = at  # the hour/minute fields are informative only for one-off notices
    return Schedule("once", local.hour, local.minute, at=at.timestamp())


# ---- next run ------------------------------------------------------------------------------
def _matches(schedule: Schedule, day: date) -> bool:
    if schedule.kind == "daily":
        return True
    if schedule.kind == "weekly":
        return day.weekday() in schedule.weekdays
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(schedule.day, last)


def next_run(schedule: Schedule, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first run strictly after `after` (aware), in UTC; None when there is none."""
    if schedule.kind == "once":
        at = datetime.fromtimestamp(schedule.at or 0, UTC)
        return at if at > after else None
    start = after.astimezone(tz).date()
    for i in range(0, 400):
        day = start + timedelta(days=i)
        if _matches(schedule, day):
            candidate = local_at(day, schedule.hour, schedule.minute, tz)
            if candidate > after:
                return candidate
    return None


# ---- saying it back ------------------------------------------------------------------------
def _hm(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def format_moment(moment: datetime, tz: ZoneInfo, _: Translate) -> str:
    local = moment.astimezone(tz)
    return _("{month}月{day}日 {weekday} {time}").format(
        month=local.month,
        day=local.day,
        weekday=_(WEEKDAY_NAMES[local.weekday()]),
        time=_hm(local.hour, local.minute),
    )


def describe_rule(schedule: Schedule, tz: ZoneInfo, _: Translate) -> str:
    """'每周二 19:00', '每天 08:00', '每月1日 09:00', or the date for a one-off."""
    clock = _hm(schedule.hour, schedule.minute)
    if schedule.kind == "daily":
        return _("每天 {time}").format(time=clock)
    if schedule.kind == "weekly":
        if schedule.weekdays == (0, 1, 2, 3, 4):
            return _("每个工作日 {time}").format(time=clock)
        days = "、".join(_(WEEKDAY_SHORT[d]) for d in schedule.weekdays)
        return _("每{days} {time}").format(days=days, time=clock)
    if schedule.kind == "monthly":
        return _("每月{day}日 {time}").format(day=schedule.day, time=clock)
    return format_moment(datetime.fromtimestamp(schedule.at or 0, UTC), tz, _)


def describe(schedule: Schedule, next_at: datetime | None, tz: ZoneInfo, _: Translate) -> str:
    """'每周二 19:00（下次：5月19日 星期二 19:00）' or '5月20日 星期三 09:00（只发一次）'."""
    if not schedule.repeating:
        return _("{when}（只发一次）").format(when=describe_rule(schedule, tz, _))
    if next_at is None:
        return describe_rule(schedule, tz, _)
    return _("{rule}（下次：{next}）").format(
        rule=describe_rule(schedule, tz, _), next=format_moment(next_at, tz, _)
    )


# ---- missed runs ---------------------------------------------------------------------------
def missed_action(
    late_by: timedelta, grace: timedelta = LATE_GRACE
) -> Literal["send", "late", "skip"]:
    """A run found late (bot was down): on time → send; a little late → send marked late;
    too late → skip (a meeting notice after the meeting helps nobody) and tell staff."""
    if late_by <= ON_TIME:
        return "send"
    if late_by <= grace:
        return "late"
    return "skip"


def minutes_late(late_by: timedelta) -> int:
    return max(1, round(late_by.total_seconds() / 60))


# ---- pacing --------------------------------------------------------------------------------
class Pacer:
    """At most `rate` sends in any sliding `period` seconds (real time).

    PTB's AIORateLimiter is a leaky bucket: it lets a burst of 30 through and then 30/s more,
    so one second can see nearly 60 messages. A broadcast paces itself below that, and the
    rate limiter still guards everything else (RetryAfter, the 20/min per-group limit).
    """

    def __init__(self, rate: int = 25, period: float = 1.0) -> None:
        self.rate = rate
        self.period = period
        self._sent: deque[float] = deque()

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= self.period:
                self._sent.popleft()
            if len(self._sent) < self.rate:
                self._sent.append(now)
                return
            await asyncio.sleep(self.period - (now - self._sent[0]) + 0.001)
