"""Workflows of staff managing care visits (关爱走访): change the rhythm, pause, resume,
remove. Who may (staff of the person's community) is checked by the handlers before they call.
"""

from __future__ import annotations

from datetime import datetime

from bot.reminders import Schedule
from bot.runtime import Runtime
from bot.workflows.care import ping_key, plan_care
from storage import care as store
from storage import community as cstore
from storage.db import Row


async def change_rhythm(rt: Runtime, care: Row, rhythm: Schedule, user_id: int) -> datetime | None:
    """The new rhythm and its next visit (replacing the planned one); a paused person stays
    paused (None: nothing planned)."""
    async with rt.db.transaction() as tx:
        await store.set_rhythm(tx, care["id"], rhythm.to_json())
        upcoming = None
        if not care["paused"]:
            upcoming = await plan_care(rt, tx, care["id"], rhythm)
        await cstore.audit(tx, care["community_id"], user_id, "care_edit", str(care["id"]))
    return upcoming


async def pause_care(rt: Runtime, care: Row, user_id: int) -> None:
    """No more visit pings until resumed (a visit already open stays as it is)."""
    async with rt.db.transaction() as tx:
        await store.set_care_paused(tx, care["id"], True)
        await rt.scheduler.cancel(ping_key(care["id"]), tx=tx)
        await cstore.audit(tx, care["community_id"], user_id, "care_pause", str(care["id"]))


async def resume_care(rt: Runtime, care: Row, user_id: int) -> datetime | None:
    """Visits again from now on; returns the next one."""
    async with rt.db.transaction() as tx:
        await store.set_care_paused(tx, care["id"], False)
        upcoming = await plan_care(rt, tx, care["id"], Schedule.from_json(care["rhythm"]))
        await cstore.audit(tx, care["community_id"], user_id, "care_resume", str(care["id"]))
    return upcoming


async def remove_care(rt: Runtime, care: Row, user_id: int) -> None:
    """Off the list, with every job it still has (next ping, overdue checks, help escalation);
    the visit records are kept."""
    async with rt.db.transaction() as tx:
        await store.set_care_active(tx, care["id"], False)
        await rt.scheduler.cancel_prefix(f"care:{care['id']}:", tx=tx)
        await cstore.audit(tx, care["community_id"], user_id, "care_remove", str(care["id"]))
