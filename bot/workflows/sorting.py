"""Workflows of the garbage-sorting look-up: answer a look-up, keep the ones we could not
answer so staff can extend the knowledge base. No Telegram here (see handlers/sorting.py)."""

from __future__ import annotations

import logging
import re

from bot.runtime import Runtime
from bot.sorting import LookupResult, lookup
from bot.text import normalize
from storage import community as cstore
from storage import sorting as store
from storage.db import Row

log = logging.getLogger(__name__)

# Plain private text is kept as an unknown item only when it plausibly asks about rubbish:
# "你好" or a long chat message should not flood the staff's list.
_ASKS_ABOUT_RUBBISH = re.compile(r"垃圾|扔|丢|分类|回收|桶")
MAX_LOGGED_CHARS = 12


async def city_for(rt: Runtime, *, chat_id: int | None, user_id: int | None) -> str | None:
    """Whose rules answer here: the group's community, or in private the asker's only
    community (several communities, or none: the national standard)."""
    community_id: int | None = None
    if chat_id is not None and chat_id < 0:
        group = await cstore.get_group(rt.db, chat_id)
        community_id = group["community_id"] if group is not None else None
    elif user_id is not None:
        mine = await cstore.communities_of(rt.db, user_id)
        community_id = mine[0]["id"] if len(mine) == 1 else None
    if community_id is None:
        return None
    return await store.city_of(rt.db, community_id)


async def look_up(
    rt: Runtime, query: str, *, typed_freely: bool = False, city: str | None = None
) -> LookupResult:
    """Look an item up under `city`'s rules; an unknown one is counted for staff
    (/sort_unknown).

    `typed_freely`: plain private text, not /sort, which may not be about rubbish at all."""
    try:
        result = lookup(query, city)
    except ValueError:  # a city code from an older release: national rules, not a failure
        log.warning("unknown city %r; answering with the national rules", city)
        result = lookup(query)
    if result.status == "unknown":
        key = normalize(query)[: MAX_LOGGED_CHARS * 4]
        if not typed_freely or len(key) <= MAX_LOGGED_CHARS or _ASKS_ABOUT_RUBBISH.search(key):
            await store.log_unknown(rt.db, key, rt.clock.now().timestamp())
            log.info("unknown sorting query %r", key)
    return result


async def unknown_look_ups(rt: Runtime, limit: int = 20) -> list[Row]:
    """The look-ups nobody could answer yet, most asked first (`query`, `asked`)."""
    return await store.top_unknown(rt.db, limit)
