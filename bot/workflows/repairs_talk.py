"""Words on a ticket: a worker's notes, the messages the bot relays between the residents and
the assignee (neither sees the other's phone number), and the resident's rating."""

from __future__ import annotations

from dataclasses import dataclass

from bot import repairs as rules
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.outcome import Refused, refuse
from bot.workflows.repairs_access import Forged, may, residents, staff_ids
from storage import repairs as store
from storage.db import Row


def _now(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


@dataclass(frozen=True)
class Noted:
    ticket: Row
    text: str | None
    photo: str | None
    residents: list[int]  # told about a public note (with its photo); none for internal ones


async def add_note(
    rt: Runtime,
    user_id: int,
    ticket_id: int,
    text: str | None,
    photo: str | None,
    *,
    internal: bool,
) -> Noted | Refused | None:
    """写进展 / 内部备注: a worker's note (and photo) in the history. None when there is
    neither a usable text nor a photo (the handler asks again)."""
    checked = await may(rt, user_id, ticket_id, rules.Action.NOTE)
    if isinstance(checked, Refused):
        return checked
    note = rules.clean_note(text)
    if photo is None and note is None:
        return None
    t = checked.ticket
    now = _now(rt)
    async with rt.db.transaction() as tx:
        if photo:
            seq = await store.next_photo_seq(tx, ticket_id)
            await store.add_photo(tx, ticket_id, seq, photo, user_id, now)
        history_note = (note or "") + (" 📷" if photo else "")
        await store.add_history(tx, ticket_id, user_id, now, None, None, history_note, internal)
    return Noted(t, note, photo, [] if internal else await residents(rt, t))


@dataclass(frozen=True)
class Rated:
    ticket_id: int
    stars: int


async def rate(rt: Runtime, user_id: int, ticket_id: int, stars: int) -> Rated | Forged | Refused:
    """The reporter rates a confirmed ticket, once."""
    t = await store.get_ticket(rt.db, ticket_id)
    if t is None or t["reporter_id"] != user_id:
        return refuse(N_("只有报修的居民可以评分。"))
    if not rules.valid_rating(stars):
        return Forged(f"rating {stars}")
    async with rt.db.transaction() as tx:
        ok = await store.set_rating(tx, ticket_id, user_id, stars)
        if ok:
            await store.add_history(tx, ticket_id, user_id, _now(rt), None, None, "⭐" * stars)
    if not ok:
        return refuse(N_("已经评过分了，或者还不能评分。"))
    return Rated(ticket_id, stars)


# ---- replies relayed by the bot ----------------------------------------------------------------
NOT_FOLLOWING = N_("这位居民已经不在这个报修里了。")


@dataclass(frozen=True)
class Relayed:
    """A message to pass on: from a resident to the assignee (or, with nobody assigned, to
    staff), or from a worker to one resident. The bot sends it; numbers stay private."""

    ticket: Row
    text: str
    sender: int
    from_resident: bool
    to: list[int]


async def relay(
    rt: Runtime, user_id: int, ticket_id: int, text: str | None, to_user: int = 0
) -> Relayed | Refused | None:
    """回复: the reporter or a follower writes to whoever works on the ticket; a worker
    answers one resident (`to_user`). Kept in the history for the workers only (a
    resident's words may be personal). None when the text is empty or too long."""
    checked = await may(rt, user_id, ticket_id, rules.Action.REPLY)
    if isinstance(checked, Refused):
        return checked
    t, who = checked.ticket, checked.actor
    body = rules.clean_note(text)
    if body is None:
        return None
    people = await residents(rt, t)
    from_resident = not (who.is_worker and to_user)
    if from_resident:
        if user_id not in people:
            return refuse(rules.NOT_YOURS)
        to = [t["assignee_id"]] if t["assignee_id"] else await staff_ids(rt, t["community_id"])
    else:
        if to_user not in people:
            return refuse(NOT_FOLLOWING)
        to = [to_user]
    async with rt.db.transaction() as tx:
        await store.add_history(tx, ticket_id, user_id, _now(rt), None, None, body, True)
    return Relayed(t, body, user_id, from_resident, [p for p in to if p != user_id])
