"""Workflows of the garbage-sorting look-up: answer a look-up, keep the ones we could not
answer so staff can extend the knowledge base, and pace the answers in a busy group.
No Telegram here (see handlers/sorting.py).

A look-up in a group is answered in one line. When the group is busy (more than
BUSY_LOOK_UPS look-ups in the last BUSY_WINDOW), the answer is added as a line to the
group's latest answer message instead of a new message, while that message is younger than
BUSY_WINDOW and holds fewer than DIGEST_LINES answers: a burst of questions costs one
message per DIGEST_LINES answers, not one each. The count is kept in memory only: after a
restart a group simply starts quiet.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from bot.runtime import Runtime
from bot.sorting import LookupResult, lookup
from bot.text import normalize
from storage import sorting as store
from storage.db import Row

log = logging.getLogger(__name__)

# Plain private text is kept as an unknown item only when it plausibly asks about rubbish:
# "你好" or a long chat message should not flood the staff's list.
_ASKS_ABOUT_RUBBISH = re.compile(r"垃圾|扔|丢|分类|回收|桶")
MAX_LOGGED_CHARS = 12
BUSY_LOOK_UPS = 3
BUSY_WINDOW = timedelta(seconds=60)
DIGEST_LINES = 10


async def look_up(rt: Runtime, query: str, *, typed_freely: bool = False) -> LookupResult:
    """Look an item up; an unknown one is counted for staff (/sort_unknown).

    `typed_freely`: plain private text, not /sort, which may not be about rubbish at all."""
    result = lookup(query)
    if result.status == "unknown":
        key = normalize(query)[: MAX_LOGGED_CHARS * 4]
        if not typed_freely or len(key) <= MAX_LOGGED_CHARS or _ASKS_ABOUT_RUBBISH.search(key):
            await store.log_unknown(rt.db, key, rt.clock.now().timestamp())
            log.info("unknown sorting query %r", key)
    return result


@dataclass
class _Pace:
    """One group's recent look-ups and its latest answer message (in memory)."""

    asked: deque[float] = field(default_factory=deque)
    digest_id: int | None = None
    digest_at: float = 0.0
    lines: list[str] = field(default_factory=list)


def _pace(rt: Runtime, chat_id: int) -> _Pace:
    paces: dict[int, _Pace] = rt.cache.setdefault("sorting_pace", {})
    return paces.setdefault(chat_id, _Pace())


@dataclass(frozen=True)
class GroupLookUp:
    result: LookupResult
    digest_id: int | None = None  # busy: add the answer to this message, do not post
    lines: tuple[str, ...] = ()  # what that message says now


async def look_up_in_group(rt: Runtime, chat_id: int, query: str) -> GroupLookUp:
    """/sort in a group: the result, and whether to add it to the latest answer message.
    Candidates to pick from (a fuzzy result) always come as their own message: buttons."""
    result = await look_up(rt, query)
    pace, now = _pace(rt, chat_id), rt.clock.now().timestamp()
    window = BUSY_WINDOW.total_seconds()
    while pace.asked and pace.asked[0] <= now - window:
        pace.asked.popleft()
    pace.asked.append(now)
    busy = len(pace.asked) > BUSY_LOOK_UPS
    open_digest = (
        pace.digest_id is not None
        and now - pace.digest_at < window
        and len(pace.lines) < DIGEST_LINES
    )
    if busy and open_digest and result.status != "fuzzy":
        return GroupLookUp(result, pace.digest_id, tuple(pace.lines))
    return GroupLookUp(result)


def answered_in_group(rt: Runtime, chat_id: int, message_id: int, lines: list[str]) -> None:
    """The group's latest answer message and its lines (a new message starts a new digest)."""
    pace = _pace(rt, chat_id)
    if message_id != pace.digest_id:
        pace.digest_id, pace.digest_at = message_id, rt.clock.now().timestamp()
    pace.lines = list(lines)


async def unknown_look_ups(rt: Runtime, limit: int = 20) -> list[Row]:
    """The look-ups nobody could answer yet, most asked first (`query`, `asked`)."""
    return await store.top_unknown(rt.db, limit)
