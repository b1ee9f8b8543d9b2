"""Workflows of announcements (公告): staff send a message privately to every registered
resident of the community or of chosen buildings, now or at a time.

The send is a durable job (`ANNOUNCE_JOB`) and a `Broadcast` through the send ledger
(`bot.workflows.reminders_send`), so each resident gets it at most once and a crash resumes
where it stopped. Afterwards the staff member gets a delivery report (delivered, blocked the
bot, failed or unknown) from the ledger's rows; an optional 已知晓 button counts who read it.
Who may announce (staff of the community) is checked by the handlers before they call.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from bot import callbacks
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.outcome import Button, Text
from bot.workflows.reminders_send import Broadcast, Message
from storage import community as cstore
from storage import reminders as store
from storage.db import Row

FEATURE = "an"  # callback data prefix of the announcement buttons
ANNOUNCE_JOB = "announce_send"  # payload: {"a": announcement id}

ANNOUNCEMENT = N_("📮 社区公告（{community}）\n{text}")
ACK = N_("👌 已知晓")
REPORT = N_(
    "📮 公告 #{id} 发送完毕：共 {total} 人。\n送达 {sent} 人；屏蔽了机器人 {blocked} 人；"
    "失败或不确定是否送达 {failed} 人；稍后重试 {retry} 人。"
)
ACK_COUNT = N_("📊 已知晓人数")


def send_key(announcement_id: int) -> str:
    return f"an{announcement_id}"


def job_key(announcement_id: int) -> str:
    return f"announce:{announcement_id}"


@dataclass(frozen=True)
class AnnouncementDraft:
    community_id: int
    text: str
    buildings: tuple[str, ...] | None  # None: the whole community
    ack: bool
    send_at: datetime | None  # None: now


async def recipients(rt: Runtime, community_id: int, buildings: tuple[str, ...] | None) -> int:
    """How many people an announcement would reach now (for the staff's check)."""
    chosen = list(buildings) if buildings is not None else None
    return len(await store.residents_in(rt.db, community_id, chosen))


async def schedule_announcement(rt: Runtime, draft: AnnouncementDraft, user_id: int) -> int:
    """Saved with its job in one transaction; the caller runs the job at once when it is due
    now (`rt.scheduler.run_key(job_key(id))`)."""
    at = draft.send_at or rt.clock.now()
    buildings = json.dumps(list(draft.buildings)) if draft.buildings is not None else None
    async with rt.db.transaction() as tx:
        aid = await store.create_announcement(
            tx, draft.community_id, draft.text, buildings, draft.ack, at.timestamp(), user_id
        )
        await rt.scheduler.schedule(ANNOUNCE_JOB, at, {"a": aid}, key=job_key(aid), tx=tx)
        await cstore.audit(tx, draft.community_id, user_id, "announce", str(aid))
    return aid


async def cancel_announcement(rt: Runtime, row: Row, user_id: int) -> bool:
    """撤回 before it went out; False when it is already sent (or cancelled)."""
    if row["status"] != "scheduled" or when_of(row) <= rt.clock.now():
        return False
    async with rt.db.transaction() as tx:
        # Checked again inside the transaction: it may have started going out meanwhile.
        if not await store.cancel_scheduled_announcement(tx, row["id"]):
            return False
        await rt.scheduler.cancel(job_key(row["id"]), tx=tx)
        await cstore.audit(tx, row["community_id"], user_id, "announce_x", str(row["id"]))
    return True


def ack_buttons(announcement_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(Text(ACK), callbacks.pack(FEATURE, "ack", announcement_id)),),)


async def announcement_due(rt: Runtime, announcement_id: int) -> Broadcast | None:
    """The job fired: the broadcast to every resident (found now). None when it was cancelled.
    No note to staff per failed person (`about` is None): the report sums them up."""
    row = await store.get_announcement(rt.db, announcement_id)
    if row is None or row["status"] == "cancelled":
        return None
    community = await cstore.get_community(rt.db, row["community_id"])
    buildings = json.loads(row["buildings"]) if row["buildings"] else None
    targets = await store.residents_in(rt.db, row["community_id"], buildings)
    text = Text(
        ANNOUNCEMENT, {"community": community["name"] if community else "", "text": row["text"]}
    )
    buttons = ack_buttons(row["id"]) if row["ack"] else ()
    return Broadcast(send_key(row["id"]), tuple(targets), Message((text,), buttons))


async def announcement_sent(rt: Runtime, announcement_id: int) -> Broadcast | None:
    """After the broadcast: marked sent, and the delivery report to the staff member who wrote
    it, counted from the ledger (so a run resumed after a crash counts everyone). The report
    is itself a broadcast under its own key: at most once."""
    row = await store.get_announcement(rt.db, announcement_id)
    if row is None:
        return None
    await store.set_announcement_status(rt.db, announcement_id, "sent")
    counts = Counter((await store.send_status(rt.db, send_key(announcement_id))).values())
    args = {
        "id": announcement_id,
        "total": sum(counts.values()),
        "sent": counts["sent"],
        "blocked": counts["blocked"],
        "failed": counts["failed"] + counts["unknown"] + counts["claimed"],
        "retry": counts["retry"],
    }
    buttons: tuple[tuple[Button, ...], ...] = ()
    if row["ack"]:
        buttons = ((Button(Text(ACK_COUNT), callbacks.pack(FEATURE, "cnt", announcement_id)),),)
    return Broadcast(
        send_key(announcement_id) + ":report",
        (row["created_by"],),
        Message((Text(REPORT, args),), buttons),
        repeat_unclear=True,
    )


async def acknowledge(rt: Runtime, announcement_id: int, user_id: int) -> bool | None:
    """已知晓 pressed by a resident: None unless the announcement reached them; False when
    they had pressed it before."""
    row = await store.get_announcement(rt.db, announcement_id)
    if row is None or not row["ack"]:
        return None
    if not await store.was_sent(rt.db, send_key(announcement_id), user_id):
        return None
    return await store.add_ack(rt.db, announcement_id, user_id)


@dataclass(frozen=True)
class AckCount:
    acks: int
    sent: int


async def ack_count(rt: Runtime, row: Row) -> AckCount:
    statuses = await store.send_status(rt.db, send_key(row["id"]))
    sent = sum(1 for s in statuses.values() if s == "sent")
    return AckCount(await store.count_acks(rt.db, row["id"]), sent)


def due_now(rt: Runtime, draft: AnnouncementDraft) -> bool:
    return draft.send_at is None or draft.send_at <= rt.clock.now()


def when_of(row: Row) -> datetime:
    return datetime.fromtimestamp(row["send_at"], UTC)
