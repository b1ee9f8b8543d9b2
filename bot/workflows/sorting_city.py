"""Which city's garbage-sorting rules a community follows (chosen by its staff)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runtime import Runtime
from bot.sorting_city import CITIES, city_code
from storage import sorting as store

# What staff may type: codes and Chinese names (Karamay follows the national categories).
CITY_WORDS = {
    "national": "national",
    "全国": "national",
    "国家标准": "national",
    "beijing": "beijing",
    "北京": "beijing",
    "shanghai": "shanghai",
    "上海": "shanghai",
    "hohhot": "hohhot",
    "呼和浩特": "hohhot",
    "呼市": "hohhot",
    "karamay": "karamay",
    "克拉玛依": "karamay",
}


@dataclass(frozen=True)
class CityChoice:
    community_id: int
    city: str | None  # the rules now followed (None: national)
    changed: bool


def parse_city(word: str) -> str | None:
    """A city code from what staff typed, or None if it is not a supported city."""
    code = CITY_WORDS.get(word.strip().lower())
    return code if code in CITIES else None


async def current_city(rt: Runtime, community_id: int) -> str | None:
    return city_code(await store.city_of(rt.db, community_id))


async def choose_city(rt: Runtime, community_id: int, code: str) -> CityChoice:
    """Store the community's choice; answers then follow that city's rules."""
    async with rt.db.transaction() as tx:
        before = city_code(await store.city_of(tx, community_id))
        await store.set_city(tx, community_id, code, rt.clock.now().timestamp())
    after = city_code(code)
    return CityChoice(community_id, after, before != after)
