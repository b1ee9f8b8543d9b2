"""Workflows of the staff's side of a menu round (#18): the draft's settings, extending or
reopening a round, and progress with a note announced to the group and to the households
that ordered the item.

Like bot/workflows/menu.py: the Runtime and plain values in, an outcome out; nothing here
sends. Who may act (staff of the round's community) is checked by the handlers first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot import menu as rules
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows import menu as wf
from bot.workflows.outcome import Text
from bot.workflows.reminders_send import Broadcast, Message
from storage import community as cstore
from storage import menu as store

PROGRESS_JOB = "menu_progress_news"  # payload {"n": progress note id}: group + households told


def news_key(note_id: int) -> str:
    return f"{PROGRESS_JOB}:{note_id}"


def _now(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


# ---- the draft ---------------------------------------------------------------------------------
async def save_settings(rt: Runtime, round_id: int, settings: wf.RoundSettings) -> bool:
    """Each choice of K, 一户一单/一人一单, 公布方式 and the deadline is kept on the draft row,
    so a draft left for days (the form timed out, the bot restarted) resumes as it was.
    K is kept within the items."""
    async with rt.db.transaction() as tx:
        n_items = len(await store.items(tx, round_id))
        k = max(1, min(settings.max_picks, rules.MAX_K, max(n_items, 1)))
        return await store.settle(
            tx,
            round_id,
            max_picks=k,
            per_person=settings.per_person,
            live=settings.live,
            deadline=settings.deadline,
        )


async def add_items(rt: Runtime, round_id: int, names: list[str]) -> list[str] | None:
    """添加 with one name or a pasted list (already split and deduplicated by
    `rules.split_items`): the names added, in one transaction, up to MAX_ITEMS; None when
    the menu can no longer change."""
    async with rt.db.transaction() as tx:
        if not await store.editable(tx, round_id):
            return None
        room = rules.MAX_ITEMS - len(await store.items(tx, round_id))
        added = names[: max(room, 0)]
        for name in added:
            await store.add_item(tx, round_id, name)
    return added


# ---- extending or reopening --------------------------------------------------------------------
class ExtendRefusal(StrEnum):
    NO_ROUND = "no_round"  # nothing open nor closed to extend
    PASSED = "passed"  # the new deadline is not in the future
    NOT_LATER = "not_later"  # an open round: the new deadline is not after the old one
    OTHER_ACTIVE = "other_active"  # reopening, but another round is being prepared or open


@dataclass(frozen=True)
class Extended:
    refused: ExtendRefusal | None = None
    reopened: bool = False
    round_id: int = 0
    community_name: str = ""
    deadline: float | None = None
    groups: tuple[int, ...] = ()


async def extend_round(rt: Runtime, round_id: int, deadline: float, by: int) -> Extended:
    """/menu_extend: a later deadline for the open round, or the last closed round open again
    until `deadline`. The close job moves with it (and the day-before reminder), in the same
    transaction; a closed round's results are posted again when it closes again."""
    if deadline <= _now(rt):
        return Extended(ExtendRefusal.PASSED)
    async with rt.db.transaction() as tx:
        rnd = await store.get_round(tx, round_id)
        if rnd is None or rnd["status"] not in ("open", "closed"):
            return Extended(ExtendRefusal.NO_ROUND)
        reopened = rnd["status"] == "closed"
        if reopened:
            # Only the community's last closed round reopens: an old 延长 button under an
            # earlier round's results must not bring that round back.
            last = await store.last_closed(tx, rnd["community_id"])
            if last is None or int(last["id"]) != round_id:
                return Extended(ExtendRefusal.NO_ROUND)
            active = await store.active_round(tx, rnd["community_id"])
            if active is not None or not await store.reopen_round(tx, round_id, deadline):
                return Extended(ExtendRefusal.OTHER_ACTIVE)
            await rt.scheduler.cancel(wf.post_key(wf.Post.RESULTS, round_id), tx=tx)
        else:
            if rnd["deadline"] is not None and deadline <= float(rnd["deadline"]):
                return Extended(ExtendRefusal.NOT_LATER)
            await store.set_deadline(tx, round_id, deadline)
        at = datetime.fromtimestamp(deadline, UTC)
        payload = {"round": round_id}
        await rt.scheduler.schedule(wf.CLOSE_JOB, at, payload, key=wf.close_key(round_id), tx=tx)
        await rt.scheduler.cancel(wf.remind_key(round_id), tx=tx)
        remind = rules.reminder_time(at, rt.clock.now(), wf.REMIND_BEFORE)
        if remind is not None:
            await rt.scheduler.schedule(
                wf.REMIND_JOB, remind, payload, key=wf.remind_key(round_id), tx=tx
            )
        what = "menu_reopen" if reopened else "menu_extend"
        await cstore.audit(tx, rnd["community_id"], by, what, f"{round_id} {deadline:.0f}")
        community = await cstore.get_community(tx, rnd["community_id"])
        groups = tuple(g["chat_id"] for g in await cstore.groups_of(tx, rnd["community_id"]))
    return Extended(
        None,
        reopened,
        round_id,
        community["name"] if community else "",
        deadline,
        groups,
    )


async def extendable(rt: Runtime, community_id: int) -> int | None:
    """The round /menu_extend acts on: the open one, else the last closed one."""
    active = await store.active_round(rt.db, community_id)
    if active is not None and active["status"] == "open":
        return int(active["id"])
    last = await store.last_closed(rt.db, community_id)
    return int(last["id"]) if last is not None else None


# ---- progress ----------------------------------------------------------------------------------
GROUP_NEWS = N_("【{community}改造进度】{icon} {item}：{state}（{date}）")
PRIVATE_NEWS = N_("您家点过的改造项目有了新进度：\n{icon} {item}：{state}（{date}）")
NOTE_LINE = N_("说明：{note}")
REASON_LINE = N_("原因：{note}")
MORE_LINE = N_("发送 /progress 可以看所有项目的进度。")


async def set_progress(
    rt: Runtime, round_id: int, item_id: int, state: rules.Progress, by: int, note: str = ""
) -> int | None:
    """Staff set an item's progress with a note (a reason, for 暂不实施), dated now and audited;
    the news to the group and to the households that ordered the item is a durable job in the
    same transaction (the caller runs it at once: `rt.scheduler.run_key(news_key(id))`).
    None for an item not on that round's menu."""
    async with rt.db.transaction() as tx:
        rnd = await store.get_round(tx, round_id)
        if rnd is None or rnd["status"] != "closed":
            return None
        nid = await store.set_progress(
            tx, round_id, item_id, state.value, note=note, at=_now(rt), by=by
        )
        if nid is None:
            return None
        await cstore.audit(tx, rnd["community_id"], by, "menu_progress", f"{item_id} {state.value}")
        await rt.scheduler.schedule(
            PROGRESS_JOB, rt.clock.now(), {"n": nid}, key=news_key(nid), tx=tx
        )
    return nid


@dataclass(frozen=True)
class ProgressNews:
    groups: Broadcast
    households: Broadcast


def _news_lines(
    community: str, item: str, state: rules.Progress, at: float, note: str
) -> tuple[dict[str, Any], tuple[Text, ...]]:
    """The arguments of the news line and the note under it (shared by the preview and the
    real news, so staff check exactly what residents get)."""
    args: dict[str, Any] = {
        "community": community,
        "icon": rules.PROGRESS_ICONS[state],
        "item": Text(item),
        "state": Text(rules.PROGRESS_NAMES[state]),
        "date": datetime.fromtimestamp(at, UTC),
    }
    extra: tuple[Text, ...] = ()
    if note:
        line = REASON_LINE if state is rules.Progress.PAUSED else NOTE_LINE
        extra = (Text(line, {"note": note}),)
    return args, extra


@dataclass(frozen=True)
class ProgressPreview:
    group: Message  # what the groups will see
    groups: int
    households: int  # residents told privately


async def progress_preview(
    rt: Runtime, round_id: int, item_id: int, state: rules.Progress, note: str
) -> ProgressPreview | None:
    """The news as it would go out now, before anything is saved (staff confirm it first)."""
    rnd = await store.get_round(rt.db, round_id)
    item = await store.get_item(rt.db, round_id, item_id)
    if rnd is None or item is None:
        return None
    community = await cstore.get_community(rt.db, rnd["community_id"])
    args, extra = _news_lines(
        community["name"] if community else "", item["name"], state, _now(rt), note
    )
    groups = await cstore.groups_of(rt.db, rnd["community_id"])
    people = await store.residents_who_ordered(rt.db, round_id, item_id)
    return ProgressPreview(Message((Text(GROUP_NEWS, args), *extra)), len(groups), len(people))


async def progress_news(rt: Runtime, note_id: int) -> ProgressNews | None:
    """The two broadcasts of a progress note: one text for the groups, one for the residents
    of the households that ordered the item (each told alone, never who else ordered). Each
    target at most once (the send ledger), paced like announcements."""
    row = await store.progress_note(rt.db, note_id)
    if row is None:
        return None
    rnd = await store.get_round(rt.db, row["round_id"])
    if rnd is None:
        return None
    community = await cstore.get_community(rt.db, rnd["community_id"])
    state = rules.Progress(row["state"])
    args, extra = _news_lines(
        community["name"] if community else "",
        row["item_name"],
        state,
        float(row["at"]),
        row["note"] or "",
    )
    groups = tuple(g["chat_id"] for g in await cstore.groups_of(rt.db, rnd["community_id"]))
    people = tuple(await store.residents_who_ordered(rt.db, rnd["id"], row["item_id"]))
    about = Text(N_("改造进度通知"))
    return ProgressNews(
        Broadcast(
            f"mpg{note_id}",
            groups,
            Message((Text(GROUP_NEWS, args), *extra)),
            community_id=rnd["community_id"],
            about=about,
        ),
        Broadcast(
            f"mpp{note_id}",
            people,
            Message((Text(PRIVATE_NEWS, args), *extra, Text(MORE_LINE))),
            community_id=rnd["community_id"],
        ),
    )
