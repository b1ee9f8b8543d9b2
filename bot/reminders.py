"""Pure rules for notices: keep a time (one-off, or an RFC 5545 repeat read by
`bot/timeparse.py`), find the next run, say it back in plain words, decide what to do about a run missed while the bot was down, pace a broadcast.
The care visits' rhythm (`bot/care.py`) and the menu deadline use the same parser.

No Telegram, no SQL. Times are aware datetimes; wall-clock times are read in the community's
time zone with zoneinfo, so a day with a DST change still lands on the right wall time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot import timeparse
from bot.i18n import N_, Translate

MAX_TEXT = 1000  # a notice longer than this is not read by anyone on a phone
LATE_GRACE = timedelta(hours=1)  # later than this a missed notice is skipped, staff told
ON_TIME = timedelta(minutes=2)  # JobQueue jitter and short hiccups still count as on time
MEETING_LEAD = timedelta(hours=1)  # meeting reminder goes out this long before
MEETING_OVER = timedelta(hours=2)  # answers to a meeting are taken until this long after it starts

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


Kind = Literal["once", "rule"]
_LEGACY = ("daily", "weekly", "monthly")  # rows written before the rules: read as RRULEs


@dataclass(frozen=True)
class Schedule:
    """A one-off moment (`at`, UTC epoch) or a repeat: an RFC 5545 RRULE (with BYHOUR and
    BYMINUTE, no DTSTART) and its first run `start` (epoch), the anchor that keeps "every two
    weeks" on the right weeks. `start` is None for rules whose anchor does not matter."""

    kind: Kind
    at: float | None = None
    rule: str | None = None
    start: float | None = None

    @property
    def repeating(self) -> bool:
        return self.kind != "once"

    @classmethod
    def from_parsed(cls, parsed: timeparse.Parsed) -> Schedule:
        if parsed.rule is not None and parsed.start is not None:
            return cls("rule", rule=parsed.rule, start=parsed.start.timestamp())
        assert parsed.at is not None
        return cls("once", at=parsed.at.timestamp())

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None})

    @classmethod
    def from_json(cls, raw: str) -> Schedule:
        data = json.loads(raw)
        if data["kind"] in _LEGACY:
            return cls("rule", rule=_legacy_rule(data))
        return cls(data["kind"], data.get("at"), data.get("rule"), data.get("start"))


def _legacy_rule(data: dict[str, Any]) -> str:
    clock = f"BYHOUR={data.get('hour', 0)};BYMINUTE={data.get('minute', 0)};BYSECOND=0"
    if data["kind"] == "daily":
        return f"FREQ=DAILY;{clock}"
    if data["kind"] == "weekly":
        days = ",".join(timeparse.RRULE_DAYS[d] for d in data.get("weekdays") or ())
        return f"FREQ=WEEKLY;BYDAY={days};{clock}"
    return f"{timeparse.monthday_rule(int(data.get('day') or 1))};{clock}"


# ---- reading what people type: one parser, bot/timeparse.py ---------------------------------
TimeParseError = timeparse.TimeParseError


def parse_schedule(text: str, now: datetime, tz: ZoneInfo) -> Schedule:
    """'明天 19:00', '每周一三五 7:30', '3小时后', '每两周周二 19:00' … or TimeParseError."""
    return Schedule.from_parsed(timeparse.parse(text, now, tz))


def next_run(schedule: Schedule, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first run strictly after `after` (aware), in UTC; None when there is none."""
    if schedule.kind == "once" or schedule.rule is None:
        at = datetime.fromtimestamp(schedule.at or 0, UTC)
        return at if at > after else None
    if schedule.start is not None:
        start = datetime.fromtimestamp(schedule.start, UTC)
    else:  # no anchor needed: begin the day before
        start = (after - timedelta(days=1)).replace(second=0, microsecond=0)
    return timeparse.next_run(schedule.rule, start, after, tz)


def current_occurrence(schedule: Schedule, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The meeting occurrence staff see and pause now: the next one to come, so a repeating
    meeting moves on as soon as one has started (late answers to that one still count, from
    its own buttons). A one-off meeting keeps its only one; a repeat that has ended keeps its
    last one while it is not over."""
    found = next_run(schedule, now, tz)
    if found is None and schedule.at is not None:
        return datetime.fromtimestamp(schedule.at, UTC)
    if found is None:
        return next_run(schedule, now - MEETING_OVER, tz)
    return found


def is_occurrence(schedule: Schedule, occ: datetime, tz: ZoneInfo) -> bool:
    return next_run(schedule, occ - timedelta(seconds=1), tz) == occ


# ---- saying it back ------------------------------------------------------------------------
def _hm(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def format_moment(moment: datetime, tz: ZoneInfo, _: Translate, now: datetime) -> str:
    """'5月19日 星期二 19:00'; the year too when it is not this year."""
    local = moment.astimezone(tz)
    args = {
        "year": local.year,
        "month": local.month,
        "day": local.day,
        "weekday": _(WEEKDAY_NAMES[local.weekday()]),
        "time": _hm(local.hour, local.minute),
    }
    if local.year != now.astimezone(tz).year:
        return _("{year}年{month}月{day}日 {weekday} {time}").format(**args)
    return _("{month}月{day}日 {weekday} {time}").format(**args)


ORDINALS = (N_("第一个"), N_("第二个"), N_("第三个"), N_("第四个"))
LAST = N_("最后一个")


def rule_parts(rule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rule.split(";") if "=" in part)


def describe_rule(schedule: Schedule, tz: ZoneInfo, _: Translate, now: datetime) -> str:
    """A repeat in words ('每周二 19:00', '每两周的周二 19:00', '每月最后一个星期五 19:00'),
    or the moment of a one-off."""
    if schedule.rule is None:
        return format_moment(datetime.fromtimestamp(schedule.at or 0, UTC), tz, _, now)
    p = rule_parts(schedule.rule)
    clock = _hm(int(p.get("BYHOUR", "0").split(",")[0]), int(p.get("BYMINUTE", "0").split(",")[0]))
    freq, every = p.get("FREQ"), int(p.get("INTERVAL", "1"))
    days = [timeparse.RRULE_DAYS.index(d[-2:]) for d in p.get("BYDAY", "").split(",") if d]
    if freq == "DAILY":
        return _("每天 {time}").format(time=clock)
    if freq == "WEEKLY":
        names = "、".join(_(WEEKDAY_SHORT[d]) for d in days)
        if every == 1 and len(days) == 7:
            return _("每天 {time}").format(time=clock)
        if every == 1 and days == [0, 1, 2, 3, 4]:
            return _("每个工作日 {time}").format(time=clock)
        if every == 1:
            return _("每{days} {time}").format(days=names, time=clock)
        if every == 2:
            return _("每两周的{days} {time}").format(days=names, time=clock)
        return _("每{n}周的{days} {time}").format(n=every, days=names, time=clock)
    if freq == "MONTHLY" and "BYDAY" in p:
        nth = int(p["BYDAY"][:-2] or "1")
        which = _(LAST) if nth < 0 else _(ORDINALS[min(nth, 4) - 1])
        return _("每月{nth}{weekday} {time}").format(
            nth=which, weekday=_(WEEKDAY_NAMES[days[0]]), time=clock
        )
    if freq == "MONTHLY":
        day = int(p.get("BYMONTHDAY", "1").split(",")[0])
        if day < 0:
            return _("每月最后一天 {time}").format(time=clock)
        return _("每月{day}日 {time}").format(day=day, time=clock)
    if freq == "YEARLY":
        return _("每年{month}月{day}日 {time}").format(
            month=p.get("BYMONTH", "1"), day=p.get("BYMONTHDAY", "1"), time=clock
        )
    return _("按规则重复 {time}").format(time=clock)


def describe(
    schedule: Schedule, next_at: datetime | None, tz: ZoneInfo, _: Translate, now: datetime
) -> str:
    """'每周二 19:00（下次：5月19日 星期二 19:00）' or '5月20日 星期三 09:00（只发一次）'."""
    if not schedule.repeating:
        return _("{when}（只发一次）").format(when=describe_rule(schedule, tz, _, now))
    if next_at is None:
        return describe_rule(schedule, tz, _, now)
    return _("{rule}（下次：{next}）").format(
        rule=describe_rule(schedule, tz, _, now), next=format_moment(next_at, tz, _, now)
    )


def time_refusal(exc: timeparse.TimeParseError, tz: ZoneInfo, _: Translate, now: datetime) -> str:
    """Why a typed time cannot be used, naming the moment when it has passed."""
    if exc.reason == "past" and exc.when is not None:
        return _("这个时间（{when}）已经过去了，请写一个以后的时间。").format(
            when=format_moment(exc.when, tz, _, now)
        )
    text = {
        "past": _("这个时间已经过去了，请写一个以后的时间。"),
        "need_time": _("请写上几点几分。"),
        "bad_time": _("没有这个钟点，请检查一下。"),
        "too_far": _("时间太远了，请设在两年以内。"),
    }
    return text.get(exc.reason, _("没看懂这个时间。"))


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
