"""Workflows of the garbage-sorting look-up: answer a look-up, keep the ones we could not
answer so staff can extend the knowledge base. No Telegram here (see handlers/sorting.py)."""

from __future__ import annotations

import logging
import re

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


async def unknown_look_ups(rt: Runtime, limit: int = 20) -> list[Row]:
    """The look-ups nobody could answer yet, most asked first (`query`, `asked`)."""
    return await store.top_unknown(rt.db, limit)
