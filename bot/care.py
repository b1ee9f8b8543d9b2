"""Pure rules for care visits (关爱走访): read the visit rhythm staff type, and say when a
visit that was not recorded counts as overdue.

No Telegram, no SQL. A rhythm is a repeating `bot.reminders.Schedule` (an RFC 5545 rule),
read with the one time parser, `bot/timeparse.py`: "每周两次", "每周二五 10:00", "每两周一次",
"每月一次", "每月最后一个周五".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import timeparse
from bot.i18n import N_
from bot.reminders import Schedule

# A visit's status as staff read it: the chat (handlers/care.py), its export and the dashboard.
VISIT_STATUS_NAMES = {
    "pending": N_("待走访"),
    "ok": N_("一切正常"),
    "help": N_("需要帮助"),
    "overdue": N_("逾期未记录"),
}
OVERDUE_AFTER = timedelta(days=1)  # a care visit not recorded by then alerts staff
VISIT_TIME = (9, 0)  # care ping time when the rhythm names none
HELP_TAKE_WITHIN = timedelta(minutes=30)  # a help alert nobody took by then goes to staff again


def parse_rhythm(text: str, now: datetime, tz: ZoneInfo) -> Schedule:
    """A repeating Schedule; a one-off time is not a rhythm ('unclear'). Raises
    TimeParseError. Without a time of day the ping goes out at VISIT_TIME."""
    parsed = timeparse.parse(text, now, tz, default_time=VISIT_TIME)
    if not parsed.repeating:
        raise timeparse.TimeParseError("unclear")
    return Schedule.from_parsed(parsed)


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
