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

import dataclasses
import logging
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from bot.runtime import Runtime
from bot.sorting import LookupResult, lookup
from bot.text import mask_personal, normalize
from storage import community as cstore
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
DIGEST_NEAR = 2  # the question may be at most this many messages below the answer message


async def community_of(rt: Runtime, *, chat_id: int | None, user_id: int | None) -> int:
    """Whose residents asked: the group's community, or in private the asker's only one
    (0: none or several; those look-ups are seen by bot admins only)."""
    if chat_id is not None and chat_id < 0:
        group = await cstore.get_group(rt.db, chat_id)
        return int(group["community_id"]) if group is not None else 0
    if user_id is not None:
        mine = await cstore.communities_of(rt.db, user_id)
        return int(mine[0]["id"]) if len(mine) == 1 else 0
    return 0


async def city_for(rt: Runtime, *, chat_id: int | None, user_id: int | None) -> str | None:
    """Whose rules answer here: the group's community, or in private the asker's only
    community (several communities, or none: the national standard)."""
    community_id = await community_of(rt, chat_id=chat_id, user_id=user_id)
    if not community_id:
        return None
    return await store.city_of(rt.db, community_id)


async def look_up(
    rt: Runtime,
    query: str,
    *,
    typed_freely: bool = False,
    city: str | None = None,
    chat_id: int | None = None,
    user_id: int | None = None,
) -> LookupResult:
    """Look an item up under `city`'s rules; an unknown one is counted for the staff of the
    asker's community (/sort_unknown).

    `typed_freely`: plain private text, not /sort, which may not be about rubbish at all.
    Phone numbers, rooms and names in the question are masked before anything is stored or
    echoed (the result's `query` is masked too: a group sees its answer)."""
    try:
        result = lookup(query, city)
    except ValueError:  # a city code from an older release: national rules, not a failure
        log.warning("unknown city %r; answering with the national rules", city)
        result = lookup(query)
    result = dataclasses.replace(
        result,
        query=mask_personal(result.query),
        query_normalized=mask_personal(result.query_normalized),
    )
    if result.status == "unknown":
        key = mask_personal(normalize(query))[: MAX_LOGGED_CHARS * 4]
        if not typed_freely or len(key) <= MAX_LOGGED_CHARS or _ASKS_ABOUT_RUBBISH.search(key):
            community_id = await community_of(rt, chat_id=chat_id, user_id=user_id)
            if community_id:  # staff read this list: no neighbour's name in it
                for name in await cstore.resident_names(rt.db, community_id):
                    if len(name) >= 2:
                        key = key.replace(normalize(name), "某人")
            await store.log_unknown(rt.db, community_id, key, rt.clock.now().timestamp())
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


async def look_up_in_group(
    rt: Runtime, chat_id: int, query: str, message_id: int | None = None
) -> GroupLookUp:
    """/sort in a group: the result (under the group's city rules), and whether to add it to
    the latest answer message. Candidates to pick from (a fuzzy result) always come as their
    own message: buttons. An answer is added to the latest answer message only while that
    message sits right above the question (at most one other message between, by Telegram's
    sequential message ids): a child must find the answer next to the question."""
    city = await city_for(rt, chat_id=chat_id, user_id=None)
    result = await look_up(rt, query, city=city, chat_id=chat_id)
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
        and (message_id is None or 0 < message_id - pace.digest_id <= DIGEST_NEAR)
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


async def unknown_look_ups(
    rt: Runtime, user_id: int, *, chat_id: int | None = None, limit: int = 20
) -> list[Row] | None:
    """The look-ups nobody could answer yet, most asked first (`query`, `asked`), of the
    communities the person is staff of (in a group: that group's only); None: not staff."""
    admin = rt.is_admin(user_id)
    mine = {int(c["id"]) for c in await cstore.communities_with_role(rt.db, user_id, "staff")}
    if chat_id is not None and chat_id < 0:
        group = await cstore.get_group(rt.db, chat_id)
        here = int(group["community_id"]) if group is not None else None
        if here is None or not (admin or here in mine):
            return None
        return await store.top_unknown(rt.db, [here], limit)
    if admin:
        return await store.top_unknown(rt.db, None, limit)
    if not mine:
        return None
    return await store.top_unknown(rt.db, sorted(mine), limit)
