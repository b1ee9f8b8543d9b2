"""Workflow of /suggestions: what residents wrote to staff in the current (or last) round.
No Telegram here (see handlers/menu_suggestions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.runtime import Runtime
from storage import menu as menu_store
from storage import menu_suggestions as store
from storage.db import Row

MAX_SHOWN = 500  # a round's worth; older ones are in /menu_export


@dataclass(frozen=True)
class Suggestions:
    round: Row | None  # None: no open or closed round yet
    notes: list[Row] = field(default_factory=list)  # newest first, with `building`


async def suggestions(rt: Runtime, community_id: int) -> Suggestions:
    rnd = await menu_store.current_round(rt.db, community_id)
    if rnd is None:
        return Suggestions(None)
    return Suggestions(rnd, await store.newest(rt.db, rnd["id"], community_id, MAX_SHOWN))
