"""/merge (staff): a duplicate ticket closed into the one kept, its people and its assignee
moved over. See `bot/workflows/repairs.py` for the other changes to a ticket."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import repairs as rules
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows import repairs_jobs as jobs
from bot.workflows.community import is_staff
from bot.workflows.outcome import Refused, refuse
from bot.workflows.repairs import STALE
from bot.workflows.repairs_access import Viewer, residents, viewer
from storage import repairs as store
from storage.db import Row


def _now(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


@dataclass(frozen=True)
class Merged:
    """A merge that happened; the handler tells, after answering staff:"""

    ticket: Row  # the duplicate, closed now
    kept: Row  # the kept ticket, as it is now
    residents: list[int]  # the duplicate's reporter and followers: now following `kept`
    taken: list[Row] = field(default_factory=list)  # the kept ticket's offers: edit to "taken"
    handed: Viewer | None = None  # the duplicate's assignee, who now holds the kept ticket
    released: int | None = None  # the duplicate's assignee, no longer needed
    kept_by: Viewer | None = None  # the kept ticket's assignee: more households now wait
    kept_residents: list[int] = field(default_factory=list)  # the kept one's status changed


class _Raced(Exception):
    """The kept ticket changed while merging: roll the whole merge back."""


async def merge(
    rt: Runtime, user_id: int, dup_id: int, keep_id: int, *, dup_note: str, keep_note: str
) -> Merged | Refused:
    """/merge (staff): close the duplicate as merged into the kept ticket, whose followers
    now include the duplicate's reporter and followers. The kept ticket keeps its assignee;
    with none, the duplicate's assignee takes it over (it moves to 已派单). The notes go into
    both histories (written in the language of the staff member who merged)."""
    dup = await store.get_ticket(rt.db, dup_id)
    keep = await store.get_ticket(rt.db, keep_id)
    if dup is None or keep is None or dup["community_id"] != keep["community_id"]:
        return refuse(N_("找不到这两个报修，或者它们不在同一个社区。"))
    if not await is_staff(rt, user_id, dup["community_id"]):
        return refuse(N_("只有社区工作人员可以合并报修。"))
    if dup["status"] not in rules.OPEN or keep["status"] in rules.FINAL:
        return refuse(N_("#{a} 必须还没完成，#{b} 不能已关闭或已确认。"), a=dup_id, b=keep_id)
    moved = await residents(rt, dup)  # before its followers move over
    heir = dup["assignee_id"]
    take_over = bool(heir) and keep["assignee_id"] is None and keep["status"] == rules.Status.NEW
    now = _now(rt)
    closed, assigned = rules.Status.CLOSED, rules.Status.ASSIGNED
    offered: list[Row] = []
    try:
        async with rt.db.transaction() as tx:
            if not await store.move(
                tx,
                dup_id,
                dup["status"],
                closed,
                now,
                assignee_was=dup["assignee_id"],
                close_reason="dup",
                merged_into=keep_id,
            ):
                raise _Raced
            await store.add_history(tx, dup_id, user_id, now, dup["status"], closed, dup_note)
            await store.add_history(tx, keep_id, user_id, now, None, None, keep_note, internal=True)
            await store.move_followers(tx, dup_id, keep_id, dup["reporter_id"], now)
            await store.clear_offers(tx, dup_id)
            await jobs.cancel_jobs(rt, dup_id, tx)
            if take_over:
                due = rules.resolve_due(rt.clock.now(), keep["category"]).timestamp()
                fields = {"assignee_id": heir, "accepted_at": now, "due_at": due}
                if not await store.move(tx, keep_id, keep["status"], assigned, now, **fields):
                    raise _Raced
                name = dup["assignee_name"] or ""  # the history says to whom
                await store.add_history(tx, keep_id, user_id, now, keep["status"], assigned, name)
                await rt.scheduler.cancel(jobs.accept_key(keep_id), tx=tx)
                await jobs.schedule_resolve(rt, keep_id, due, tx)
                offered = await store.offers(tx, keep_id)
                await store.clear_offers(tx, keep_id)
    except _Raced:
        return refuse(STALE)
    after = await store.get_ticket(rt.db, dup_id)
    kept = await store.get_ticket(rt.db, keep_id)
    assert after is not None and kept is not None  # tickets are never deleted
    holder = kept["assignee_id"]
    return Merged(
        after,
        kept,
        moved,
        taken=[o for o in offered if o["user_id"] != heir],
        handed=await viewer(rt, heir, kept) if take_over else None,
        released=heir if heir and heir != holder else None,
        kept_by=await viewer(rt, holder, kept) if holder and not take_over else None,
        kept_residents=await residents(rt, kept) if take_over else [],
    )
