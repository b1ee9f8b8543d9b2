"""Workflows of notices (定时通知) and meetings: one function per thing that happens.

Schedule a notice, change its text or time, pause, resume, delete it, record a meeting answer,
and fire it when it is due. Who may act (staff of the notice's community) is checked by the
handlers before they call; what the database must agree to is checked here.

Every message goes out as a `Broadcast` through the send ledger
(`bot/workflows/reminders_send.py`): at most once per target, retried later when it provably
did not leave, and staff told when it failed or may not have arrived. See
docs/flows/reminders.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot import callbacks
from bot import reminders as rules
from bot.i18n import N_
from bot.runtime import Runtime
from bot.workflows.outcome import Button, Text
from bot.workflows.reminders_send import (
    BROADCAST_JOB,
    Broadcast,
    Message,
    broadcast_to_json,
    staff_ids,
)
from storage import community as cstore
from storage import reminders as store
from storage.db import Executor, Row

FEATURE = "rm"  # callback data prefix of the notice buttons
NOTICE_JOB = "notice_send"  # one run of a notice: payload notice, part, due, occ


def next_key(notice_id: int) -> str:
    """The job of a notice's next run (a meeting's is its reminder an hour before)."""
    return f"notice:{notice_id}:next"


def announce_key(notice_id: int) -> str:
    return f"notice:{notice_id}:announce"


# ---- planning -------------------------------------------------------------------------------
async def plan_notice(
    rt: Runtime,
    tx: Executor,
    notice_id: int,
    schedule: rules.Schedule,
    meeting: bool,
    after: datetime | None = None,
) -> datetime | None:
    """(Re)schedule the next job of a notice; returns its next occurrence (for display).

    A plain notice fires at its time; a meeting notice fires its reminder MEETING_LEAD before.
    """
    now = rt.clock.now()
    after = max(after or now, now)
    lead = rules.MEETING_LEAD if meeting else timedelta(0)
    occurrence = rules.next_run(schedule, after + lead, rt.config.tz)
    if occurrence is None:
        await rt.scheduler.cancel(next_key(notice_id), tx=tx)
    else:
        fire = occurrence - lead
        payload = {
            "notice": notice_id,
            "part": "main",
            "due": fire.timestamp(),
            "occ": occurrence.timestamp(),
        }
        await rt.scheduler.schedule(NOTICE_JOB, fire, payload, key=next_key(notice_id), tx=tx)
    shown = rules.next_run(schedule, after, rt.config.tz)
    await store.update_notice(tx, notice_id, next_run=shown.timestamp() if shown else None)
    return shown


# ---- staff create and change notices --------------------------------------------------------
@dataclass(frozen=True)
class NoticeDraft:
    """What /remind gathered: where, what, when, and whether it is a meeting."""

    community_id: int
    target_chat: int | None  # None: every group of the community
    text: str
    schedule: rules.Schedule
    meeting: bool


@dataclass(frozen=True)
class NoticeSaved:
    """`notice_id` is None when the (one-off) time passed while staff were confirming."""

    notice_id: int | None
    upcoming: datetime | None = None


async def schedule_notice(rt: Runtime, draft: NoticeDraft, user_id: int) -> NoticeSaved:
    """Save the notice and its first job; a meeting is also announced in the group at once."""
    now = rt.clock.now()
    if not draft.schedule.repeating and rules.next_run(draft.schedule, now, rt.config.tz) is None:
        return NoticeSaved(None)
    async with rt.db.transaction() as tx:
        notice_id = await store.create_notice(
            tx,
            draft.community_id,
            draft.target_chat,
            draft.text,
            draft.schedule.to_json(),
            draft.meeting,
            user_id,
        )
        upcoming = await plan_notice(rt, tx, notice_id, draft.schedule, draft.meeting)
        if draft.meeting:
            payload = {
                "notice": notice_id,
                "part": "announce",
                "due": now.timestamp(),
                "occ": (upcoming or now).timestamp(),
            }
            await rt.scheduler.schedule(
                NOTICE_JOB, now, payload, key=announce_key(notice_id), tx=tx
            )
        await cstore.audit(tx, draft.community_id, user_id, "notice_create", str(notice_id))
    return NoticeSaved(notice_id, upcoming)


async def edit_text(rt: Runtime, notice_id: int, text: str) -> None:
    await store.update_notice(rt.db, notice_id, text=text)


@dataclass(frozen=True)
class Changed:
    """A notice changed; `tell` are keys of durable jobs due now (a meeting's change announced
    in its groups and privately to who answered 参加) for the caller to run at once, `told`
    the ledger keys of those two broadcasts (groups, people) to count what went out."""

    upcoming: datetime | None = None
    tell: tuple[str, ...] = ()
    told: tuple[str, ...] = ()


@dataclass(frozen=True)
class Told:
    """How many groups and people a meeting's news actually reached (per the ledger)."""

    groups: int = 0
    people: int = 0


async def told(rt: Runtime, changed: Changed) -> Told:
    """Counted after the caller ran `changed.tell`: what the staff may say was sent."""
    counts = []
    for key in changed.told:
        statuses = await store.send_status(rt.db, key)
        # 'retry': Telegram asked to wait (429); the paced sender delivers it shortly.
        counts.append(sum(1 for status in statuses.values() if status in ("sent", "retry")))
    return Told(*counts)


async def reschedule(rt: Runtime, notice: Row, schedule: rules.Schedule) -> Changed:
    """A new time: the notice is active again and its next job follows the new time; returns
    the next occurrence (None when a one-off time is already past). A meeting that moves is
    announced in its groups and to everyone who said 参加 to the old time; a paused one whose
    pause was announced is announced as resumed at the new time, as its pause promised."""
    change = await _meeting_change(rt, notice, schedule)
    resumed = await _resumed_meeting(rt, notice, schedule)
    async with rt.db.transaction() as tx:
        await store.update_notice(tx, notice["id"], schedule=schedule.to_json(), status="active")
        upcoming = await plan_notice(rt, tx, notice["id"], schedule, bool(notice["is_meeting"]))
        if resumed is not None and upcoming is not None:
            keys, ledger = await _schedule_tells(rt, tx, resumed, upcoming, resumed=True)
        else:
            keys, ledger = await _schedule_tells(rt, tx, change, upcoming)
    return Changed(upcoming, keys, ledger)


async def pause_notice(rt: Runtime, notice: Row, user_id: int) -> Changed:
    """No more runs until resumed; the meeting's next occurrence to come is announced as
    paused, like a cancellation (in its groups, and privately to who said 参加 to it). The
    resumption later reaches the chats this announcement reached (see `_last_pause`)."""
    change = await _meeting_change(rt, notice, None)
    async with rt.db.transaction() as tx:
        await store.update_notice(tx, notice["id"], status="paused")
        await rt.scheduler.cancel(next_key(notice["id"]), tx=tx)
        await cstore.audit(tx, notice["community_id"], user_id, "notice_p", str(notice["id"]))
        keys, ledger = await _schedule_tells(rt, tx, change, None, paused=True)
    return Changed(None, keys, ledger)


async def resume_notice(rt: Runtime, notice: Row, user_id: int) -> Changed:
    """Active again from now on; `upcoming` is the next occurrence, or None when the notice's
    (one-off) time has passed: then it is marked done and staff are asked to set a new time.
    A meeting whose pause was announced is announced as resumed, as the pause promised, in
    the groups and to the people the pause reached (the groups with fresh 参加 buttons)."""
    schedule = rules.Schedule.from_json(notice["schedule"])
    change = await _resumed_meeting(rt, notice, schedule)
    async with rt.db.transaction() as tx:
        await store.update_notice(tx, notice["id"], status="active")
        upcoming = await plan_notice(rt, tx, notice["id"], schedule, bool(notice["is_meeting"]))
        if upcoming is None:
            await store.update_notice(tx, notice["id"], status="done")
        await cstore.audit(tx, notice["community_id"], user_id, "notice_r", str(notice["id"]))
        keys: tuple[str, ...] = ()
        ledger: tuple[str, ...] = ()
        if change is not None and upcoming is not None:
            keys, ledger = await _schedule_tells(rt, tx, change, upcoming, resumed=True)
    return Changed(upcoming, keys, ledger)


async def delete_notice(rt: Runtime, notice: Row, user_id: int) -> Changed:
    """Deleted with every job it still has (next run, a pending announcement); a meeting still
    to come is announced as cancelled."""
    change = await _meeting_change(rt, notice, None)
    async with rt.db.transaction() as tx:
        await store.update_notice(tx, notice["id"], status="deleted", next_run=None)
        await rt.scheduler.cancel_prefix(f"notice:{notice['id']}:", tx=tx)
        await cstore.audit(tx, notice["community_id"], user_id, "notice_dd", str(notice["id"]))
        keys, ledger = await _schedule_tells(rt, tx, change, None)
    return Changed(None, keys, ledger)


# ---- a meeting moves or is cancelled --------------------------------------------------------
MOVED = N_("📅 会议改时间了\n{text}\n原定：{old}\n改为：{new}\n请重新点按钮告诉我们您参加不参加。")
MOVED_YOU = N_(
    "📅 您说要参加的会议改时间了\n{text}\n原定：{old}\n改为：{new}\n请到群里重新回复参加不参加。"
)
CANCELLED = N_("❌ 会议取消了\n{text}\n原定：{old}")
CANCELLED_YOU = N_("❌ 您说要参加的会议取消了\n{text}\n原定：{old}")
PAUSED = N_("⏸ 会议暂停了，恢复时会再通知大家\n{text}\n原定：{old}")
PAUSED_YOU = N_("⏸ 您说要参加的会议暂停了，恢复时会再通知\n{text}\n原定：{old}")
RESUMED = N_("▶️ 会议恢复了\n{text}\n时间：{new}\n请点按钮告诉我们您参加不参加。")
RESUMED_YOU = N_("▶️ 您说要参加的会议恢复了\n{text}\n时间：{new}")


@dataclass(frozen=True)
class _MeetingChange:
    notice: Row
    old: datetime
    groups: tuple[int, ...]
    attending: tuple[int, ...]


@dataclass(frozen=True)
class MeetingNews:
    """What pausing or resuming a meeting would announce, for the staff's confirmation."""

    when: datetime
    groups: int
    attending: int


def _news(change: _MeetingChange | None) -> MeetingNews | None:
    if change is None or not (change.groups or change.attending):
        return None
    return MeetingNews(change.old, len(change.groups), len(change.attending))


async def pause_news(rt: Runtime, notice: Row) -> MeetingNews | None:
    """None when pausing this notice announces nothing."""
    return _news(await _meeting_change(rt, notice, None))


async def resume_news(rt: Runtime, notice: Row) -> MeetingNews | None:
    """None when resuming this notice announces nothing."""
    schedule = rules.Schedule.from_json(notice["schedule"])
    return _news(await _resumed_meeting(rt, notice, schedule))


async def _meeting_change(
    rt: Runtime, notice: Row, new: rules.Schedule | None
) -> _MeetingChange | None:
    """Read (before the transaction) who must hear that a meeting's next occurrence to come
    moves or is cancelled; None for notices, paused or past meetings."""
    if not notice["is_meeting"] or notice["status"] != "active":
        return None
    old = occurrence_of(rt, notice)
    now = rt.clock.now()
    if old is None or old < now:
        return None
    if new is not None and rules.next_run(new, now, rt.config.tz) == old:
        return None
    answers = await store.rsvps(rt.db, notice["id"], old.timestamp())
    attending = tuple(a["user_id"] for a in answers if a["answer"] == "yes")
    return _MeetingChange(notice, old, tuple(await _group_targets(rt, notice)), attending)


async def _resumed_meeting(
    rt: Runtime, notice: Row, schedule: rules.Schedule
) -> _MeetingChange | None:
    """Who must hear that a paused meeting still to come is on again (read before the
    transaction): the groups and people its pause reached (or may have reached), none when
    the pause was not announced; `old` is the time it will now take place."""
    if not notice["is_meeting"] or notice["status"] != "paused":
        return None
    upcoming = rules.next_run(schedule, rt.clock.now(), rt.config.tz)
    key = await _last_pause(rt, notice["id"])
    if upcoming is None or key is None:
        return None
    reached = ("sent", "unknown")
    groups = [t for t, s in (await store.send_status(rt.db, key)).items() if s in reached]
    people = [t for t, s in (await store.send_status(rt.db, key + ":you")).items() if s in reached]
    if not groups and not people:
        return None
    return _MeetingChange(notice, upcoming, tuple(sorted(groups)), tuple(sorted(people)))


async def _last_pause(rt: Runtime, notice_id: int) -> str | None:
    """The ledger key of the announcement of the meeting's pause still in force: the latest
    pause announced after the latest announced resumption; None when this pause was not
    announced. Both keys end in the moment they were made (see `_schedule_tells`)."""

    def latest(keys: list[str]) -> tuple[int, str]:
        found = [(int(k.rsplit(":", 1)[1]), k) for k in keys if not k.endswith(":you")]
        return max(found, default=(-1, ""))

    prefix = f"n{notice_id}:"
    paused = latest(await store.send_keys_from(rt.db, prefix + "pause:"))
    resumed = latest(await store.send_keys_from(rt.db, prefix + "resume:"))
    return paused[1] if paused[1] and paused[0] >= resumed[0] else None


async def _schedule_tells(
    rt: Runtime,
    tx: Executor,
    change: _MeetingChange | None,
    new: datetime | None,
    *,
    paused: bool = False,
    resumed: bool = False,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The change as broadcasts through the send ledger, kept in jobs due now (so at most once,
    and not lost if the bot stops before they are sent). Returns the jobs' keys and the two
    broadcasts' ledger keys (groups, people)."""
    if change is None:
        return (), ()
    notice = change.notice
    args: dict[str, Any] = {"text": notice["text"], "old": change.old}
    now = int(rt.clock.now().timestamp())
    if resumed and new is not None:
        # Each resumption is its own announcement (a meeting may be paused and resumed twice).
        args["new"] = new
        tag = f"n{notice['id']}:resume:{int(new.timestamp())}:{now}"
        group = Message((Text(RESUMED, args),), rsvp_buttons(notice["id"], new))
        person = Message((Text(RESUMED_YOU, args),))
    elif new is not None:
        args["new"] = new
        tag = f"n{notice['id']}:moved:{int(change.old.timestamp())}:{int(new.timestamp())}"
        group = Message((Text(MOVED, args),), rsvp_buttons(notice["id"], new))
        person = Message((Text(MOVED_YOU, args),))
    elif paused:
        # Each pause too: a second pause of the same date after a resumption is news again.
        tag = f"n{notice['id']}:pause:{int(change.old.timestamp())}:{now}"
        group, person = Message((Text(PAUSED, args),)), Message((Text(PAUSED_YOU, args),))
    else:
        tag = f"n{notice['id']}:cancel:{int(change.old.timestamp())}"
        group, person = Message((Text(CANCELLED, args),)), Message((Text(CANCELLED_YOU, args),))
    about = Text(ABOUT, {"id": notice["id"]})
    broadcasts = (
        Broadcast(tag, change.groups, group, notice["community_id"], about),
        Broadcast(tag + ":you", change.attending, person, notice["community_id"], about),
    )
    keys = []
    for b in broadcasts:
        if b.targets:
            key = f"meeting_tell:{b.key}"  # not under notice:<id>: (deleting cancels those)
            payload = {"b": broadcast_to_json(b)}
            await rt.scheduler.schedule(BROADCAST_JOB, rt.clock.now(), payload, key=key, tx=tx)
            keys.append(key)
    return tuple(keys), (tag, tag + ":you")


# ---- meeting answers ------------------------------------------------------------------------
def occurrence_of(rt: Runtime, notice: Row) -> datetime | None:
    """The occurrence of a meeting whose answers count now (see rules.current_occurrence)."""
    schedule = rules.Schedule.from_json(notice["schedule"])
    return rules.current_occurrence(schedule, rt.clock.now(), rt.config.tz)


@dataclass(frozen=True)
class Answers:
    """Who answered for one occurrence of a meeting (names as they were when answering)."""

    when: datetime
    yes: tuple[str, ...]
    no: tuple[str, ...]


async def meeting_answers(rt: Runtime, notice: Row) -> list[Answers]:
    """The answers for the occurrence to come, then for any later one already answered (from
    a post about that date), in date order; empty when the meeting has no occurrence."""
    current = occurrence_of(rt, notice)
    if current is None:
        return []
    schedule = rules.Schedule.from_json(notice["schedule"])
    found: dict[float, tuple[list[str], list[str]]] = {current.timestamp(): ([], [])}
    for row in await store.rsvps_from(rt.db, notice["id"], current.timestamp()):
        when = datetime.fromtimestamp(row["occ"], UTC)
        if row["occ"] not in found and not rules.is_occurrence(schedule, when, rt.config.tz):
            continue  # answered for a date the meeting no longer has
        yes, no = found.setdefault(row["occ"], ([], []))
        (yes if row["answer"] == "yes" else no).append(row["name"])
    return [
        Answers(datetime.fromtimestamp(occ, UTC), tuple(yes), tuple(no))
        for occ, (yes, no) in sorted(found.items())
    ]


async def record_rsvp(
    rt: Runtime,
    notice_id: int,
    occ: float | None,
    chat_id: int,
    user_id: int,
    name: str,
    attending: bool,
) -> Literal["ok", "over", "bad"]:
    """参加/不参加 pressed in a group, for one occurrence (`occ` from the button; None for a
    button from before occurrences: the current one). 'bad' (nothing recorded) unless the
    notice is a live meeting of the community this group belongs to; 'over' when that
    occurrence is past or no longer one (its time was changed). A second answer replaces the
    first."""
    notice = await store.get_notice(rt.db, notice_id)
    group = await cstore.get_group(rt.db, chat_id)
    if (
        notice is None
        or not notice["is_meeting"]
        or notice["status"] == "deleted"
        or group is None
        or group["community_id"] != notice["community_id"]
    ):
        return "bad"
    schedule = rules.Schedule.from_json(notice["schedule"])
    when = datetime.fromtimestamp(occ, UTC) if occ is not None else occurrence_of(rt, notice)
    if (
        when is None
        or when < rt.clock.now() - rules.MEETING_OVER
        or not rules.is_occurrence(schedule, when, rt.config.tz)
    ):
        return "over"
    answer = "yes" if attending else "no"
    await store.set_rsvp(rt.db, notice_id, when.timestamp(), user_id, name, answer)
    return "ok"


# ---- a notice comes due ---------------------------------------------------------------------
NOTICE = N_("📢 社区通知\n{text}")
MEETING_ANNOUNCE = N_("📅 会议通知\n{text}\n时间：{when}\n请点下面的按钮告诉我们您参加不参加。")
MEETING_SOON = N_("⏰ 会议提醒：1小时后开会\n{text}\n时间：{when}")
LATE = N_("（系统原因，晚了{n}分钟送达）")
SKIPPED = N_("通知 #{id} 原定 {when} 发出，因机器人停机错过了，已跳过，没有补发：\n{text}")
ABOUT = N_("通知 #{id}")  # how staff are told which notice did not arrive
ATTEND = N_("✅ 参加")
DECLINE = N_("❌ 不参加")


def rsvp_buttons(notice_id: int, occ: datetime) -> tuple[tuple[Button, ...], ...]:
    """The answer buttons of one occurrence of a meeting."""
    at = int(occ.timestamp())
    return (
        (
            Button(Text(ATTEND), callbacks.pack(FEATURE, "y", notice_id, at)),
            Button(Text(DECLINE), callbacks.pack(FEATURE, "n", notice_id, at)),
        ),
    )


@dataclass(frozen=True)
class NoticeRun:
    """One due run of a notice: what to broadcast, and what `notice_sent` plans next."""

    notice_id: int
    announce: bool  # the meeting announcement right after saving (nothing follows it)
    occurrence: datetime
    schedule: rules.Schedule
    meeting: bool
    broadcast: Broadcast


async def _group_targets(rt: Runtime, notice: Row) -> list[int]:
    groups = [g["chat_id"] for g in await cstore.groups_of(rt.db, notice["community_id"])]
    if notice["target_chat"] is None:
        return groups
    return [notice["target_chat"]] if notice["target_chat"] in groups else []


async def notice_due(rt: Runtime, payload: Mapping[str, Any]) -> NoticeRun | None:
    """A notice job fired: decide what goes out (None when the notice is paused or gone).

    On time → the message; a little late (the bot was down) → the message marked late; too
    late → nothing to the groups, and the staff are told it was skipped. Nothing is written
    here: the caller broadcasts, then calls `notice_sent`.
    """
    notice = await store.get_notice(rt.db, int(payload["notice"]))
    if notice is None or notice["status"] != "active":
        return None
    announce = payload.get("part", "main") == "announce"
    due = datetime.fromtimestamp(float(payload["due"]), UTC)
    occurrence = datetime.fromtimestamp(float(payload.get("occ", payload["due"])), UTC)
    late_by = max(rt.clock.now() - due, timedelta(0))
    meeting = bool(notice["is_meeting"])
    key = f"n{notice['id']}:{'announce' if announce else 'main'}:{int(due.timestamp())}"
    action = rules.missed_action(late_by, timedelta(minutes=notice["grace_minutes"]))
    if action == "skip" and await store.send_status(rt.db, key):
        # It had started going out before a crash: the groups not reached yet get it too
        # (marked late), rather than some groups having it and staff hearing "skipped".
        action = "late"
    if announce and action != "skip":
        action = "send"  # a fresh announcement is not "late"
    if action == "skip":
        skipped = Text(SKIPPED, {"id": notice["id"], "when": due, "text": notice["text"][:200]})
        staff = await staff_ids(rt, notice["community_id"], notice["created_by"])
        broadcast = Broadcast(key + ":skip", tuple(staff), Message((skipped,)), repeat_unclear=True)
    else:
        if announce:
            line = Text(MEETING_ANNOUNCE, {"text": notice["text"], "when": occurrence})
        elif meeting:
            line = Text(MEETING_SOON, {"text": notice["text"], "when": occurrence})
        else:
            line = Text(NOTICE, {"text": notice["text"]})
        lines = (
            (line, Text(LATE, {"n": rules.minutes_late(late_by)})) if action == "late" else (line,)
        )
        buttons = rsvp_buttons(notice["id"], occurrence) if meeting else ()
        targets = tuple(await _group_targets(rt, notice))
        broadcast = Broadcast(
            key,
            targets,
            Message(lines, buttons),
            notice["community_id"],
            Text(ABOUT, {"id": notice["id"]}),
        )
    return NoticeRun(
        notice["id"],
        announce,
        occurrence,
        rules.Schedule.from_json(notice["schedule"]),
        meeting,
        broadcast,
    )


async def notice_sent(rt: Runtime, run: NoticeRun) -> None:
    """After the broadcast: plan the next run of a repeating notice; a one-off is done (a
    one-off meeting stays listed with its answers).

    Only after it: planning replaces this job's key, so planning first and then crashing
    mid-broadcast would leave the remaining targets without a job to resume them."""
    if run.announce:
        return
    if run.schedule.repeating:
        async with rt.db.transaction() as tx:
            await plan_notice(
                rt, tx, run.notice_id, run.schedule, run.meeting, after=run.occurrence
            )
    elif not run.meeting:
        await store.update_notice(rt.db, run.notice_id, status="done", next_run=None)
