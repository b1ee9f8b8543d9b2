"""Pure rules for care visits (关爱走访): read the visit rhythm staff type, and say when a
visit that was not recorded counts as overdue.

No Telegram, no SQL. A rhythm is a repeating `bot.reminders.Schedule`, read with the notices'
time parser plus the "n times a week" form people use for visits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from bot.reminders import (
    NUM,
    Schedule,
    ScheduleError,
    cn_int,
    leftover_ok,
    parse_repeating,
    take_time,
)
from bot.text import normalize

OVERDUE_AFTER = timedelta(days=1)  # a care visit not recorded by then alerts staff
VISIT_TIME = (9, 0)  # care ping time when the rhythm names none

_TIMES_A_WEEK = re.compile(rf"(?:每周|每星期|一周|每礼拜)\s*({NUM})\s*次")


def spread_weekdays(times: int) -> tuple[int, ...]:
    """n visits a week, evenly spread from Monday: 2 → Mon/Thu, 3 → Mon/Wed/Fri."""
    return tuple(sorted({int(i * 7 / times) for i in range(times)}))


def parse_rhythm(text: str) -> Schedule:
    """'每周两次' (Mon/Thu 9:00), '每周二五 10:00', '每天 9:00' → a repeating Schedule."""
    s = normalize(text).lower()
    m = _TIMES_A_WEEK.search(s)
    if m is not None:
        times = cn_int(m.group(1))
        if times is None or not 1 <= times <= 7:
            raise ScheduleError("unclear")
        rest = s[: m.start()] + " " + s[m.end() :]
        clock, rest, _p = take_time(rest)
        if not leftover_ok(rest):
            raise ScheduleError("unclear")
        hour, minute = clock or VISIT_TIME
        days = spread_weekdays(times)
        if len(days) == 7:
            return Schedule("daily", hour, minute)
        return Schedule("weekly", hour, minute, weekdays=days)
    try:
        found = parse_repeating(s)
    except ScheduleError as exc:
        if exc.reason != "need_time":
            raise
        found = parse_repeating(f"{s} {VISIT_TIME[0]}:{VISIT_TIME[1]:02d}")
    if found is None:
        raise ScheduleError("unclear")
    return found


def ping_in_time(late_by: timedelta) -> bool:
    """A visit ping found this late (the bot was down) still helps the volunteer; much later,
    the overdue alert to staff says it instead."""
    return late_by < OVERDUE_AFTER


def current_holder(seen: Sequence[tuple[int, str]]) -> int | None:
    """Who holds a username now, from (user id, last seen) of everyone our users table says
    carries it, most recently seen first: the newest one, unless another was seen at the same
    moment (then it is ambiguous and nobody is chosen: a care visit must not go to a stranger
    who took over an old name)."""
    if not seen:
        return None
    if len(seen) > 1 and seen[1][1] == seen[0][1]:
        return None
    return seen[0][0]
