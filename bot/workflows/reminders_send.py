"""The send ledger: every broadcast of notices and care visits, at most once per target, and
never lost in silence.

`claim_each` writes a (send, target) row, commits it, and only then yields the target to the
caller, which sends and reports how it went with `record_send`:

* sent / blocked: done.
* retry: the message provably did not leave (no connection could be made, or Telegram said
  429 "retry after"). The row is released for a durable job (`BROADCAST_JOB`) that sends it
  again later, with back-off; after the last try it counts as failed.
* unknown: the request may have arrived (a timeout or a 5xx after it was sent). It is never
  repeated (a notice must not come twice); the community's staff are told privately to look.
* failed: Telegram refused it (the bot left the group …); the staff are told too.

A crash between the claim and `record_send` leaves the row 'claimed': never sent again.
See docs/flows/reminders.md.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.community import Address
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.outcome import Button, Text
from storage import community as cstore
from storage import reminders as store

BROADCAST_JOB = "broadcast_send"  # a retry, or a report to staff: payload {"b": broadcast}
# After a provable non-send, try again after these waits (30 minutes in all), then give up.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 900))


class SendStatus(StrEnum):
    """How a claimed send ended; a row still 'claimed' was cut short by a crash."""

    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot (or never started it)
    FAILED = "failed"  # Telegram refused it, or every retry failed
    UNKNOWN = "unknown"  # may have arrived: not repeated, staff told
    RETRY = "retry"  # provably not sent: a job tries again later


class Why(StrEnum):
    """Why a send failed, for the note to staff."""

    REFUSED = "refused"
    GAVE_UP = "gave_up"


@dataclass(frozen=True)
class Message:
    """Lines joined with a newline once translated; each is rendered for its reader. Format
    arguments may be datetimes and addresses, which the renderer words in that language."""

    lines: tuple[Text, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Broadcast:
    """One message to several chats (groups: negative ids; people: positive), each at most
    once under `key` in the ledger.

    `about` names it for the staff of `community_id` when a send fails or may not have
    arrived ("通知 #12"); None for the notes to staff themselves. `repeat_unclear`: an unknown
    outcome is tried again too (for notes to staff, where twice is better than never)."""

    key: str
    targets: tuple[int, ...]
    message: Message
    community_id: int | None = None
    about: Text | None = None
    repeat_unclear: bool = False


@dataclass(frozen=True)
class Claimed:
    """A target whose ledger row is committed: send `message` to `to`, then `record_send`."""

    key: str
    to: int
    message: Message
    broadcast: Broadcast


async def staff_ids(rt: Runtime, community_id: int, also: int | None = None) -> list[int]:
    ids = [r["id"] for r in await cstore.members_with_role(rt.db, community_id, "staff")]
    if also is not None and also not in ids:
        ids.append(also)
    return ids


async def claim_each(rt: Runtime, broadcast: Broadcast) -> AsyncGenerator[Claimed, None]:
    """Claim the targets one at a time, each just before its send, and yield it to the caller.

    Each claim is its own committed statement, so a crash costs at most the one target being
    sent (its row stays 'claimed'). Targets claimed before (a re-run after a crash) are skipped
    unless their row waits for a retry; people known to have blocked the bot are recorded
    'blocked' without a request.
    """
    for target in broadcast.targets:
        if not await store.claim_send(rt.db, broadcast.key, target):
            continue  # sent (or tried) before: never twice
        if target > 0 and await store.is_blocked(rt.db, target):
            await store.finish_send(rt.db, broadcast.key, target, SendStatus.BLOCKED.value)
            continue
        yield Claimed(broadcast.key, target, broadcast.message, broadcast)


# ---- after a send ---------------------------------------------------------------------------
UNKNOWN_GROUP = N_("⚠️ {what} 可能没有送达 {where}，请到群里看一下，如没有请重新发送。")
UNKNOWN_PERSON = N_("⚠️ {what} 可能没有送达 {where}，请直接联系对方确认。")
FAILED_GROUP = N_("❌ {what} 没有送达 {where}（{why}）。请检查机器人是否还在群里，然后重新发送。")
FAILED_PERSON = N_("❌ {what} 没有送达 {where}（{why}）。请直接联系对方。")
WHY = {
    Why.REFUSED: N_("Telegram 拒绝了这条消息"),
    Why.GAVE_UP: N_("半小时里多次重试都连不上 Telegram"),
}


def job_key(key: str, target: int) -> str:
    return f"send:{key}:{target}"


async def record_send(
    rt: Runtime,
    claimed: Claimed,
    status: SendStatus,
    message_id: int | None = None,
    why: Why = Why.REFUSED,
) -> str | None:
    """Write how a send ended. Returns the key of a job due now (a note to staff) that the
    caller should run at once; it is durable, so a crash before that loses nothing."""
    broadcast = claimed.broadcast
    if status is SendStatus.UNKNOWN and broadcast.repeat_unclear:
        status = SendStatus.RETRY
    if status is SendStatus.RETRY:
        async with rt.db.transaction() as tx:
            attempts = await store.retry_send(tx, claimed.key, claimed.to)
            if attempts <= len(RETRY_DELAYS):
                again = replace(broadcast, targets=(claimed.to,))
                await rt.scheduler.schedule(
                    BROADCAST_JOB,
                    rt.clock.now() + RETRY_DELAYS[attempts - 1],
                    {"b": broadcast_to_json(again)},
                    key=job_key(claimed.key, claimed.to),
                    tx=tx,
                )
                return None
        status, why = SendStatus.FAILED, Why.GAVE_UP
    report = None
    if status in (SendStatus.UNKNOWN, SendStatus.FAILED):
        report = await _report(rt, claimed, status, why)
    async with rt.db.transaction() as tx:
        await store.finish_send(tx, claimed.key, claimed.to, status.value, message_id)
        if report is None:
            return None
        key = job_key(report.key, 0)
        await rt.scheduler.schedule(
            BROADCAST_JOB, rt.clock.now(), {"b": broadcast_to_json(report)}, key=key, tx=tx
        )
    return key


async def _report(rt: Runtime, claimed: Claimed, status: SendStatus, why: Why) -> Broadcast | None:
    """The private note to staff about one send that failed or may not have arrived."""
    broadcast = claimed.broadcast
    if broadcast.about is None or broadcast.community_id is None:
        return None
    group = claimed.to < 0
    if group:
        row = await cstore.get_group(rt.db, claimed.to)
        where: Any = (row["title"] if row is not None else None) or str(claimed.to)
    else:
        user = await cstore.get_user(rt.db, claimed.to)
        where = (user["first_name"] if user is not None else None) or str(claimed.to)
    if status is SendStatus.UNKNOWN:
        text = Text(UNKNOWN_GROUP if group else UNKNOWN_PERSON, {"what": broadcast.about})
    else:
        text = Text(
            FAILED_GROUP if group else FAILED_PERSON,
            {"what": broadcast.about, "why": Text(WHY[why])},
        )
    text = Text(text.msgid, {**text.args, "where": where})
    staff = [s for s in await staff_ids(rt, broadcast.community_id) if s != claimed.to]
    return Broadcast(
        f"{claimed.key}:{claimed.to}:{status.value}",
        tuple(staff),
        Message((text,)),
        repeat_unclear=True,
    )


# ---- a broadcast kept in a job (JSON) --------------------------------------------------------
def _value_to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$t": value.timestamp()}
    if isinstance(value, Address):
        return {"$a": [value.building, value.unit, value.room]}
    if isinstance(value, Text):
        return {"$x": _text_to_json(value)}
    return value


def _value_from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "$t" in value:
            return datetime.fromtimestamp(float(value["$t"]), UTC)
        if "$a" in value:
            return Address(*value["$a"])
        if "$x" in value:
            return _text_from_json(value["$x"])
    return value


def _text_to_json(text: Text) -> list[Any]:
    return [text.msgid, {k: _value_to_json(v) for k, v in text.args.items()}]


def _text_from_json(raw: list[Any]) -> Text:
    return Text(raw[0], {k: _value_from_json(v) for k, v in raw[1].items()})


def broadcast_to_json(b: Broadcast) -> dict[str, Any]:
    return {
        "key": b.key,
        "targets": list(b.targets),
        "lines": [_text_to_json(t) for t in b.message.lines],
        "buttons": [
            [[_text_to_json(x.label), x.data, x.url] for x in row] for row in b.message.buttons
        ],
        "community": b.community_id,
        "about": _text_to_json(b.about) if b.about is not None else None,
        "repeat": b.repeat_unclear,
    }


def broadcast_from_json(raw: Mapping[str, Any]) -> Broadcast:
    buttons = tuple(
        tuple(Button(_text_from_json(label), data, url) for label, data, url in row)
        for row in raw["buttons"]
    )
    message = Message(tuple(_text_from_json(t) for t in raw["lines"]), buttons)
    about = _text_from_json(raw["about"]) if raw.get("about") else None
    return Broadcast(
        raw["key"],
        tuple(int(t) for t in raw["targets"]),
        message,
        raw.get("community"),
        about,
        bool(raw.get("repeat")),
    )
