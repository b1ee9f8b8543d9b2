"""One understanding of the times people type: "下周五晚上8点", "三天后", "每月最后一个周五",
"每两周一次", Traditional ("下週五晚上8點") and English ("next friday 8pm", "every other week").

Pure: no Telegram, no SQL, no clock of its own (`now` is handed in). A one-off time is an aware
UTC datetime; a repeat is an RFC 5545 RRULE (python-dateutil's rrule computes the runs) with its
first run as the anchor, so "every two weeks" and "the last Friday" stay exact.

Rules: a passed time is refused with the reason ("5月1日" typed on 5月15日: write the year to mean
next year); a weekday, a day of the month or a time of day alone means the next one to come.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from bot.text import normalize

MAX_AHEAD = timedelta(days=2 * 366)  # further than this is a typo
Reason = Literal["unclear", "need_time", "bad_time", "past", "too_far"]


class TimeParseError(ValueError):
    """Why a phrase gives no usable time; `when` is the (passed) moment for 'past'."""

    def __init__(self, reason: Reason, when: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason: Reason = reason
        self.when = when


@dataclass(frozen=True)
class Parsed:
    """A one-off moment (`at`), or a repeat (`rule` without DTSTART, `start` its first run)."""

    at: datetime | None = None
    rule: str | None = None
    start: datetime | None = None
    timed: bool = True  # the person named a time of day

    @property
    def repeating(self) -> bool:
        return self.rule is not None


# ---- numbers, times of day ---------------------------------------------------------------------
_CN = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
DAY_CHARS = (
    {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6} | {str(i + 1): i for i in range(7)}
)
EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_SHORT = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
EN_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


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
_NOON = re.compile(r"\bnoon\b|\bmidday\b")


def take_time(s: str) -> tuple[tuple[int, int] | None, str]:
    """Find a time of day; returns ((hour, minute) or None, the rest with day words kept)."""
    if m := _NOON.search(s):
        return (12, 0), s[: m.start()] + " " + s[m.end() :]
    m = _TIME_CN.search(s) or _TIME_EN.search(s)
    if m is None:
        return None, s
    groups = m.groupdict()
    hour = cn_int(groups["h"])
    raw = groups.get("m") or groups.get("m2")
    minute = {"半": 30, "一刻": 15, "三刻": 45}.get(raw or "")
    if minute is None:
        minute = cn_int(raw) if raw else 0
    if hour is None or minute is None:
        raise TimeParseError("bad_time")
    period, ampm = groups.get("period"), groups.get("ampm")
    if (period in _EVENING or ampm == "pm") and hour < 12:
        hour += 12
    elif period == "中午" and hour < 11:
        hour += 12
    elif (period in _MORNING or ampm == "am") and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise TimeParseError("bad_time")
    rest = s[: m.start()] + " " + s[m.end() :]
    if period in ("今晚", "今早"):  # they name the day too
        rest = "今天 " + rest
    elif period in ("明晚", "明早"):
        rest = "明天 " + rest
    return (hour, minute), rest


_FILLER = re.compile(
    r"[\s,，。.、的在于到]|\b(?:at|on|the|of|in|by|every)\b|开始|发|提醒|一次|举行|召开|开会|截止|之前|前"
)


def leftover_ok(rest: str) -> bool:
    return not _FILLER.sub("", rest)


def local_at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """Wall time on a day in tz as an aware UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def _cut(s: str, m: re.Match[str]) -> str:
    return s[: m.start()] + " " + s[m.end() :]


# ---- repeats ------------------------------------------------------------------------------------
def _weekday_list(chars: str) -> list[int] | None:
    """'一三五' / '1,3,5' / '一至五' / 'monday and friday' → weekday numbers (0 = Monday)."""
    found = [i for i, name in enumerate(EN_DAYS) if name in chars or name[:3] in chars]
    if found:
        return found
    chars = re.sub(r"[、,\s和及]|周|星期|礼拜", "", chars)
    if rng := re.fullmatch(r"(.)[至到\-~](.)", chars):
        lo, hi = DAY_CHARS.get(rng.group(1)), DAY_CHARS.get(rng.group(2))
        return list(range(lo, hi + 1)) if lo is not None and hi is not None and lo <= hi else None
    days = [DAY_CHARS.get(c) for c in chars]
    if not days or any(d is None for d in days):
        return None
    return sorted({d for d in days if d is not None})


def _byday(days: list[int]) -> str:
    return ",".join(RRULE_DAYS[d] for d in days)


_CN_WD = r"(?:周|星期|礼拜)[一二三四五六日天]"
_EN_WD = r"(?:" + "|".join(EN_DAYS) + r")s?"
_ORD = {"一": 1, "1": 1, "二": 2, "2": 2, "三": 3, "3": 3, "四": 4, "4": 4, "最后": -1}
_EN_ORD = dict(first=1, second=2, third=3, fourth=4, last=-1) | {"1st": 1, "2nd": 2, "3rd": 3}
_EN_ORD["4th"] = 4


_PLAIN = {"eom": "FREQ=MONTHLY;BYMONTHDAY=-1", "daily": "FREQ=DAILY", "month": "FREQ=MONTHLY"}
_PLAIN |= {"workdays": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "week": "FREQ=WEEKLY"}


def _repeat(s: str) -> tuple[str, str, bool] | None:
    """(RRULE parts without time, the rest, whether the day is fixed by the rule); None when
    the phrase is not a repeat."""
    pats: list[tuple[str, str]] = [
        (r"每个?月\s*(?:的)?\s*(第[一二三四1-4]|最后)一?个\s*(" + _CN_WD + ")", "nth"),
        (
            r"(first|second|third|fourth|1st|2nd|3rd|4th|last) ("
            + "|".join(EN_DAYS)
            + r") of (?:every|each|the) month",
            "nth_en",
        ),
        (
            r"每个?月\s*(?:的)?\s*(?:月底|最后一天)|每个?月底|(?:end|last day) of (?:every|each) month",
            "eom",
        ),
        (
            rf"每个?月\s*({NUM})\s*[日号]|(?:every month|monthly) on (?:the )?(\d{{1,2}})(?:st|nd|rd|th)?",
            "dom",
        ),
        (r"每个?月\s*(?:一次)?|每月|monthly|every month|once a month", "month"),
        (r"每年\s*(" + NUM + r")\s*月\s*(" + NUM + r")\s*[日号]?", "year"),
        (r"(?:每个?)?工作日|(?:every )?weekdays?\b", "workdays"),
        (r"每天|每日|天天|every ?day|daily", "daily"),
        (
            r"(?:每(隔)?\s*(" + NUM + r")\s*(?:个)?(?:周|星期|礼拜)|隔周|every (other|\d+) weeks?"
            r"|biweekly|fortnightly)\s*((?:(?:周|星期|礼拜)?[一二三四五六日天](?!次)[、,和及]*)*)"
            r"((?:\s*(?:on )?(?:" + "|".join(EN_DAYS) + r")s?(?:,| and)?)*)",
            "nweeks",
        ),
        (r"每周\s*(" + NUM + r")\s*次", "times"),
        (
            r"每个?(?:周|星期|礼拜)((?:[一二三四五六日天1-7](?!次)[、,和及至到\-~]*(?:周|星期|礼拜)?)+)",
            "weekly",
        ),
        (r"every ((?:" + _EN_WD + r"(?:,\s*|\s+and\s+|\s+)?)+)", "weekly_en"),
        (r"每周\s*(?:一次)?|weekly|every week|once a week", "week"),
    ]
    for pattern, kind in pats:
        m = re.search(pattern, s)
        if m is None:
            continue
        rest = _cut(s, m)
        g = [x for x in m.groups()]
        if kind == "nth":
            n = _ORD[g[0].lstrip("第")]
            return f"FREQ=MONTHLY;BYDAY={n}{RRULE_DAYS[DAY_CHARS[g[1][-1]]]}", rest, True
        if kind == "nth_en":
            n = _EN_ORD[g[0]]
            return f"FREQ=MONTHLY;BYDAY={n}{RRULE_DAYS[EN_DAYS.index(g[1])]}", rest, True
        if kind in _PLAIN:
            return _PLAIN[kind], rest, kind not in ("month", "week")
        if kind == "dom":
            day = cn_int(g[0] or g[1] or "")
            if day is None or not 1 <= day <= 31:
                raise TimeParseError("unclear")
            return monthday_rule(day), rest, True
        if kind == "year":
            month, day = cn_int(g[0]), cn_int(g[1])
            if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
                raise TimeParseError("unclear")
            return f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}", rest, True
        if kind == "nweeks":
            skip, count, en = g[0], g[1], g[2]
            every: int | None
            if count is not None:  # 每两周; 每隔一周 (one skipped: every other week)
                every = cn_int(count)
                every = every + 1 if every is not None and skip else every
            else:
                every = 2 if en in (None, "other") else int(en)
            if not every or not 1 <= every <= 8:
                raise TimeParseError("unclear")
            days = _weekday_list((g[3] or "") + (g[4] or "")) if (g[3] or g[4]) else None
            rule = f"FREQ=WEEKLY;INTERVAL={every}" if every > 1 else "FREQ=WEEKLY"
            if days:
                return rule + f";BYDAY={_byday(days)}", rest, True
            return rule, rest, False
        if kind == "times":
            times = cn_int(g[0])
            if times is None or not 1 <= times <= 7:
                raise TimeParseError("unclear")
            days = sorted({int(i * 7 / times) for i in range(times)})
            return f"FREQ=WEEKLY;BYDAY={_byday(days)}", rest, True
        if kind in ("weekly", "weekly_en"):
            days = _weekday_list(g[0])
            if not days:
                raise TimeParseError("unclear")
            return f"FREQ=WEEKLY;BYDAY={_byday(days)}", rest, True
        raise AssertionError(kind)
    if re.search(r"每|every", s):
        raise TimeParseError("unclear")
    return None


def monthday_rule(day: int) -> str:
    """The day of the month, or the month's last day when it is shorter (31 → 30 in April)."""
    if day <= 28:
        return f"FREQ=MONTHLY;BYMONTHDAY={day}"
    return f"FREQ=MONTHLY;BYMONTHDAY={day},-1;BYSETPOS=1"


def next_run(rule: str, start: datetime, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first run of a repeat strictly after `after` (aware, UTC); None when there is none."""
    first = start.astimezone(tz).replace(tzinfo=None)
    found = rrulestr("RRULE:" + rule, dtstart=first).after(
        max(after.astimezone(tz).replace(tzinfo=None), first - timedelta(seconds=1))
    )
    if found is None:
        return None
    return found.replace(tzinfo=tz).astimezone(UTC)


def _repeat_parsed(
    rule: str, fixed: bool, clock: tuple[int, int], now: datetime, tz: ZoneInfo
) -> Parsed:
    today = now.astimezone(tz).date()
    first_day = today if local_at(today, *clock, tz) > now else today + timedelta(days=1)
    if not fixed:  # "每两周一次", "每月一次": from the next day the time comes round
        if rule.startswith("FREQ=MONTHLY"):
            rule += ";" + monthday_rule(first_day.day).split(";", 1)[1]
        else:
            rule += f";BYDAY={RRULE_DAYS[first_day.weekday()]}"
    timed = f"{rule};BYHOUR={clock[0]};BYMINUTE={clock[1]};BYSECOND=0"
    # The anchor is the first run of the rule without its interval, so "every two weeks on
    # Tuesday" starts this coming Tuesday.
    plain = re.sub(r";INTERVAL=\d+", "", timed)
    start = next_run(plain, now.replace(second=0, microsecond=0), now, tz)
    if start is None:
        raise TimeParseError("unclear")
    return Parsed(rule=timed, start=start, timed=True)


# ---- one-off moments ----------------------------------------------------------------------------
_REL = re.compile(
    rf"(?P<n>{NUM}|半)\s*个?\s*(?P<unit>小时|钟头|分钟|分|天|日|周|星期|礼拜|月|年)\s*(?:后|以后|之后)"
)
_REL_EN = re.compile(
    r"in (?P<n>\d{1,4}|an?|one|two|three) ?(?P<unit>hours?|hrs?|minutes?|mins?|days?|weeks?|months?)"
    r"|(?P<n2>\d{1,4}|an?|one|two|three) (?P<unit2>hours?|minutes?|days?|weeks?|months?) (?:later|from now)"
)
_EN_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_DAY_WORDS = dict(大后天=3, 后天=2, 明天=1, 明日=1, 今天=0, 今日=0, tomorrow=1, today=0, tonight=0)


def _relative(s: str, now: datetime, tz: ZoneInfo) -> tuple[datetime | date, str] | None:
    m = _REL.search(s)
    if m is not None:
        raw, unit = m.group("n"), m.group("unit")
        n: float | None = 0.5 if raw == "半" else cn_int(raw)
    else:
        m = _REL_EN.search(s)
        if m is None:
            return None
        raw = m.group("n") or m.group("n2")
        unit = m.group("unit") or m.group("unit2")
        n = _EN_NUM[raw] if raw in _EN_NUM else int(raw)
    if not n:
        raise TimeParseError("unclear")
    rest = _cut(s, m)
    if unit.startswith(("小时", "钟头", "h")):
        return now + timedelta(hours=n), rest
    if unit.startswith(("分", "m")) and not unit.startswith("mo"):
        return now + timedelta(minutes=n), rest
    whole = int(n) if n >= 1 else 0
    local = now.astimezone(tz)
    if unit.startswith(("天", "日", "d")):
        delta = relativedelta(days=whole) if whole else relativedelta(hours=12)
    elif unit.startswith(("周", "星期", "礼拜", "w")):
        delta = relativedelta(weeks=whole) if whole else relativedelta(days=3, hours=12)
    elif unit.startswith(("月", "mo")):
        delta = relativedelta(months=whole) if whole else relativedelta(days=15)
    else:
        delta = relativedelta(years=whole)
    return local + delta, rest


def _day(s: str, now: datetime, tz: ZoneInfo) -> tuple[date, str, bool | None] | None:
    """(the day, the rest, exact): exact True for a date; False for a weekday (a passed time
    rolls to next week); None for a day of the month alone (rolls to next month)."""
    today = now.astimezone(tz).date()
    if m := re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?", s):
        return _date(int(m[1]), int(m[2]), int(m[3])), _cut(s, m), True
    if m := re.search(
        rf"(?<!\d)({NUM})\s*月\s*({NUM})\s*[日号]?|(?<![\d:])(\d{{1,2}})/(\d{{1,2}})(?![\d/])", s
    ):
        month, dom = cn_int(m[1] or m[3] or ""), cn_int(m[2] or m[4] or "")
        if month is None or dom is None:
            raise TimeParseError("unclear")
        return _date(today.year, month, dom), _cut(s, m), True
    months = "|".join(name + r"[a-z]*" for name in EN_MONTHS)
    if m := re.search(
        rf"\b({months})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)? ({months})\b",
        s,
    ):
        name, day_raw = (m[1], m[2]) if m[1] else (m[4], m[3])
        month = next(i + 1 for i, full in enumerate(EN_MONTHS) if full.startswith(name[:3]))
        return _date(today.year, month, int(day_raw)), _cut(s, m), True
    if m := re.search(rf"(下|这|本)个?月\s*({NUM})\s*[日号]", s):
        first = today.replace(day=1) + relativedelta(months=1 if m[1] == "下" else 0)
        dom = cn_int(m[2])
        if dom is None:
            raise TimeParseError("unclear")
        return _date(first.year, first.month, dom), _cut(s, m), True
    if m := re.search(r"(下|这|本)?个?月底|end of (?:the |this |next )?month", s):
        first = today.replace(day=1) + relativedelta(
            months=1 if m[1] == "下" or "next" in m[0] else 0
        )
        last = calendar.monthrange(first.year, first.month)[1]
        return first.replace(day=last), _cut(s, m), True
    if m := re.search(
        r"day after tomorrow|大后天|后天|明天|明日|今天|今日|tomorrow|today|tonight", s
    ):
        return today + timedelta(days=_DAY_WORDS.get(m[0], 2)), _cut(s, m), True
    if m := re.search(r"(下+)个?(?:周|星期|礼拜)([一二三四五六日天1-7])", s):
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=len(m[1]))
        return monday + timedelta(days=DAY_CHARS[m[2]]), _cut(s, m), True
    if m := re.search(r"(?:这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])", s):
        return _next_weekday(today, DAY_CHARS[m[1]]), _cut(s, m), False
    if m := re.search(rf"\b(next |this )?({'|'.join(EN_DAYS)}|{_EN_SHORT})\b", s):
        wd = next(i for i, name in enumerate(EN_DAYS) if name.startswith(m[2][:3]))
        if m[1] == "next ":
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
            return monday + timedelta(days=wd), _cut(s, m), True
        return _next_weekday(today, wd), _cut(s, m), False
    if m := re.search(rf"(?<![\d月])({NUM})\s*[日号]", s):  # "3号": the next 3rd
        dom = cn_int(m[1])
        if dom is None or not 1 <= dom <= 31:
            raise TimeParseError("unclear")
        first = today.replace(day=1)
        for ahead in range(0, 3):
            month = first + relativedelta(months=ahead)
            if dom <= calendar.monthrange(month.year, month.month)[1]:
                candidate = month.replace(day=dom)
                if candidate >= today:
                    return candidate, _cut(s, m), None
    return None


def _date(year: int, month: int, dom: int) -> date:
    if not 1 <= month <= 12 or not 1 <= dom <= calendar.monthrange(year, month)[1]:
        raise TimeParseError("unclear")
    return date(year, month, dom)


def _next_weekday(today: date, wd: int) -> date:
    return today + timedelta(days=(wd - today.weekday()) % 7)


def _moment(at: datetime, now: datetime) -> datetime:
    at = at.astimezone(UTC).replace(second=0, microsecond=0)
    if at <= now:
        raise TimeParseError("past", at)
    if at - now > MAX_AHEAD:
        raise TimeParseError("too_far", at)
    return at


# ---- the entry points ---------------------------------------------------------------------------
def parse(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    *,
    default_time: tuple[int, int] | None = None,
    repeat: bool = True,
) -> Parsed:
    """Read what a person typed as a one-off moment or a repeat, or raise TimeParseError.

    Without a time of day, `default_time` is used, or 'need_time' raised (a relative phrase
    like "三天后" keeps the time it is now). `repeat=False` refuses repeats ('unclear')."""
    s = normalize(text).lower()
    if not s or len(s) > 100:
        raise TimeParseError("unclear")
    clock, rest = take_time(s)
    if clock is None and re.search(r"上午|早上|中午|下午|晚上|morning|evening", rest):
        raise TimeParseError("need_time")
    found = _repeat(rest)
    if found is not None:
        if not repeat:
            raise TimeParseError("unclear")
        rule, rest, fixed = found
        if not leftover_ok(rest):
            raise TimeParseError("unclear")
        clock = clock or default_time
        if clock is None:
            raise TimeParseError("need_time")
        return _repeat_parsed(rule, fixed, clock, now, tz)
    relative = _relative(rest, now, tz)
    if relative is not None:
        moment, rest = relative
        if not leftover_ok(rest):
            raise TimeParseError("unclear")
        assert isinstance(moment, datetime)
        if clock is not None:
            moment = local_at(moment.astimezone(tz).date(), *clock, tz)
        return Parsed(at=_moment(moment, now), timed=True)
    day = _day(rest, now, tz)
    if day is None:
        if clock is None or not leftover_ok(rest):
            raise TimeParseError("unclear")
        today = now.astimezone(tz).date()  # only a time: the next time the clock shows it
        when = today if local_at(today, *clock, tz) > now else today + timedelta(days=1)
        return Parsed(at=_moment(local_at(when, *clock, tz), now))
    on, rest, exact = day
    if not leftover_ok(rest):
        raise TimeParseError("unclear")
    timed = clock is not None
    clock = clock or default_time
    if clock is None:
        raise TimeParseError("need_time")
    if "tonight" in s and clock[0] < 12:
        clock = (clock[0] + 12, clock[1])
    at = local_at(on, *clock, tz)
    if exact is False and at <= now:  # "周五 8点" on Friday at nine: next Friday
        at = local_at(on + timedelta(days=7), *clock, tz)
    elif exact is None and at <= now:  # "15号 8点" on the 15th at nine: next month's
        later = on + relativedelta(months=1)
        if later.day == on.day:
            at = local_at(later, *clock, tz)
    return Parsed(at=_moment(at, now), timed=timed)


def parse_moment(
    text: str, now: datetime, tz: ZoneInfo, default_time: tuple[int, int] = (23, 59)
) -> datetime:
    """A one-off moment (a deadline, say): "明天", "下周五晚上8点", "12月5日", "三天后".
    A day without a time means `default_time` that day. Raises TimeParseError."""
    parsed = parse(text, now, tz, default_time=default_time, repeat=False)
    assert parsed.at is not None
    return parsed.at
