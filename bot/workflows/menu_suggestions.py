"""Workflow of /suggestions: what residents wrote to staff in the current (or last) round,
and the daily digest of the new ones to staff (a durable job, scheduled when a resident
writes, so it runs only when there is something new; each staff member may turn it off).
No Telegram here (see handlers/menu_suggestions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.community import Role
from bot.runtime import Runtime
from bot.workflows.community import is_staff
from storage import community as cstore
from storage import menu as menu_store
from storage import menu_suggestions as store
from storage.db import Executor, Row

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


# ---- the daily digest --------------------------------------------------------------------------
DIGEST_JOB = "suggestion_digest"  # payload: community
MAX_DIGEST = 30  # lines in one digest; the rest are in /suggestions


def digest_key(community_id: int) -> str:
    return f"suggestion_digest:{community_id}"


def next_digest(rt: Runtime, now: datetime) -> datetime:
    local = now.astimezone(rt.config.tz)
    at = datetime.combine(local.date(), rt.config.digest_at, tzinfo=rt.config.tz)
    return at if at > local else at + timedelta(days=1)


async def schedule_digest(rt: Runtime, tx: Executor, community_id: int) -> None:
    """After a resident wrote: the community's digest goes out at the next DIGEST_TIME (the
    same key, so many comments make one digest)."""
    when = next_digest(rt, rt.clock.now())
    payload = {"community": community_id}
    await rt.scheduler.schedule(DIGEST_JOB, when, payload, key=digest_key(community_id), tx=tx)


@dataclass(frozen=True)
class Digest:
    community_name: str
    staff: list[int]  # who get it (staff who did not turn it off)
    notes: list[Row]  # oldest first, with `building`
    more: int  # not shown: beyond MAX_DIGEST


async def digest_due(rt: Runtime, community_id: int) -> Digest | None:
    """The job: what is new since the last digest, marked sent before anything goes out (a
    crash loses one digest rather than repeating it). None when nothing is new."""
    async with rt.db.transaction() as tx:
        community = await cstore.get_community(tx, community_id)
        if community is None:
            return None
        notes = await store.since(tx, community_id, await store.last_sent(tx, community_id))
        if not notes:
            return None
        await store.mark_sent(tx, community_id, int(notes[-1]["id"]))
        off = await store.digest_off(tx, community_id)
        staff = [
            r["id"]
            for r in await cstore.members_with_role(tx, community_id, Role.STAFF)
            if r["id"] not in off
        ]
    shown = notes[-MAX_DIGEST:]
    return Digest(community["name"], staff, shown, len(notes) - len(shown))


async def set_digest(rt: Runtime, community_id: int, user_id: int, on: bool) -> bool:
    """Turn this staff member's digest on or off; False when they are not staff there."""
    if not await is_staff(rt, user_id, community_id):
        return False
    await store.set_digest(rt.db, community_id, user_id, on)
    return True


async def digest_on(rt: Runtime, community_id: int, user_id: int) -> bool:
    return user_id not in await store.digest_off(rt.db, community_id)
