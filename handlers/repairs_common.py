"""Rendering shared by the repair handlers: a ticket's text and buttons, and telling people.

The workflows (`bot/workflows/repairs*.py`) decide what happened and who must hear of it;
this turns their outcomes into messages, each in its reader's language. Used by handlers
(with the `Context`) and by the job callbacks (with the Application).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot import repairs as rules
from bot.community import Address
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import Runtime, get_runtime
from bot.workflows import repairs as wf
from bot.workflows import repairs_jobs as jobs
from bot.workflows.outcome import Refused
from bot.workflows.repairs_access import Viewer
from handlers.outbox import render
from handlers.shared import Context, answer_callback, clip, refuse_callback, tr_user
from storage import community as cstore
from storage.db import Row

log = logging.getLogger(__name__)

FEATURE = "rq"  # buttons on tickets, outside any conversation
NOTE_FEATURE = "rn"  # 写进展 / 内部备注: starts the note conversation
WRONG_CHAT = N_("这个按钮只能在您和我的私聊里用，这里不能操作。")


def when(rt: Runtime, ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).astimezone(rt.config.tz).strftime("%m-%d %H:%M")


def button(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(FEATURE, action, *args))


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(rows) if rows else None


# ---- a ticket as text ------------------------------------------------------------------------
def place_text(_: Translate, building: str, unit: str, place: str) -> str:
    """Where the problem is, without the room number: safe for any worker to read."""
    parts = []
    if building:
        parts.append(_("{building}号楼").format(building=building))
    if unit:
        parts.append(_("{unit}单元").format(unit=unit))
    if place:
        parts.append(place)
    return " ".join(parts) if parts else _("小区公共区域")


def place_label(_: Translate, t: Row) -> str:
    return place_text(_, t["building"], t["unit"], t["place"])


def category_name(_: Translate, key: str) -> str:
    cat = rules.category(key)
    return _(cat.name) if cat else key


def headline(_: Translate, t: Row) -> str:
    return _("#{id} {category} · {place} · {status}").format(
        id=t["id"],
        category=category_name(_, t["category"]),
        place=place_label(_, t),
        status=_(rules.status_name(t["status"])),
    )


def summary(rt: Runtime, _: Translate, t: Row, households: int) -> str:
    """A ticket as another resident sees it before "我也遇到了": its kind, the building, the
    kind of place and the date — never the reporter's words or typed place (which may hold a
    name, a room or a phone number)."""
    day = datetime.fromtimestamp(t["created_at"], UTC).astimezone(rt.config.tz)
    return _(
        "#{id} {category} · {building}号楼 · {kind} · {date} 报修 · {status}（{n}户遇到）"
    ).format(
        id=t["id"],
        category=category_name(_, t["category"]),
        building=t["building"],
        kind=_(rules.place_kind(t["place"])),
        date=day.strftime("%m-%d"),
        status=_(rules.status_name(t["status"])),
        n=households,
    )


def details(rt: Runtime, _: Translate, t: Row, *, personal: bool) -> str:
    """Full text of a ticket. `personal`: the viewer may see the reporter's name and room."""
    lines = [
        _("报修 #{id}：{category}").format(id=t["id"], category=category_name(_, t["category"])),
        _("地点：{place}").format(place=place_label(_, t)),
        _("问题：{text}").format(text=t["description"]),
        _("状态：{status}").format(status=_(rules.status_name(t["status"]))),
        _("提交时间：{at}").format(at=when(rt, t["created_at"])),
    ]
    if t["assignee_name"]:
        lines.append(_("处理人：{name}").format(name=t["assignee_name"]))
    if personal and t["reporter_name"]:
        if "home_building" in t.keys() and t["home_building"]:
            home = Address(t["home_building"], t["home_unit"] or "", t["reporter_room"] or "")
            lines.append(
                _("报修人：{name}（{address}）").format(
                    name=t["reporter_name"], address=home.label(_)
                )
            )
        else:
            lines.append(_("报修人：{name}").format(name=t["reporter_name"]))
        if t["share_phone"] and t["reporter_phone"]:
            lines.append(_("电话：{phone}").format(phone=t["reporter_phone"]))
    elif not personal:
        lines.append(_("报修人没有公开姓名和门牌。"))
    if t["close_reason"]:
        reason = rules.CLOSE_REASONS.get(t["close_reason"], t["close_reason"])
        lines.append(_("关闭原因：{reason}").format(reason=_(reason)))
    if t["merged_into"]:
        lines.append(_("已合并到 #{id}").format(id=t["merged_into"]))
    if t["rating"]:
        lines.append(_("居民评分：{stars}").format(stars="⭐" * int(t["rating"])))
    return "\n".join(lines)


def history_lines(
    rt: Runtime, _: Translate, history: list[Row], t: Row, *, personal: bool
) -> list[str]:
    """Who did what and when: the name of each person with what they did ("张志愿：开始处理",
    "王阿姨：说没解决，重新打开"); the reporter is "报修人" to those who may not know them."""
    lines = []
    for h in history:
        if h["actor_id"] is None:
            who = _("系统")
        elif h["actor_id"] == t["reporter_id"] and not personal:
            who = _("报修人")
        else:
            who = h["actor_name"] or _("居民")
        note = h["note"] or ""
        to = h["to_status"]
        if to and to != h["from_status"]:
            if to == rules.Status.ASSIGNED and note:  # reassigned: the note is the name
                what, note = _(rules.REASSIGNED).format(name=note), ""
            elif to == rules.Status.CLOSED and h["actor_id"] == t["reporter_id"]:
                what = _("撤回了报修")
            else:
                what = _(rules.done_name(h["from_status"], to))
        elif note == "+1":
            what, note = _("也遇到了这个问题"), ""
        elif note.startswith("⏰"):
            what, note = _("提醒了还没处理的人"), ""
        else:
            what, note = note, ""
        line = f"{when(rt, h['at'])} {who}：{what}"
        if note:
            line += f" — {note}"
        if h["internal"]:
            line += " " + _("（内部）")
        lines.append(line)
    return lines


def worker_buttons(_: Translate, t: Row, actor: rules.Actor) -> list[list[InlineKeyboardButton]]:
    """The buttons this person may press on this ticket now (re-checked when pressed)."""
    tid, status = t["id"], t["status"]
    rows: list[list[InlineKeyboardButton]] = []
    if status == "new" and rules.allowed(rules.Action.ACCEPT, actor):
        rows.append([button(_("✋ 接单"), "acc", tid)])
    if status in rules.WORKING and actor.is_worker:
        row = []
        if status == "assigned":
            row.append(button(_("🔧 开始处理"), "go", tid))
        row.append(button(_("✅ 已解决"), "done", tid))
        rows.append(row)
    if status in rules.OPEN and actor.is_worker:
        rows.append(
            [
                InlineKeyboardButton(
                    _("📝 写进展"), callback_data=callbacks.pack(NOTE_FEATURE, "n", tid, 0)
                ),
                InlineKeyboardButton(
                    _("🔒 内部备注"), callback_data=callbacks.pack(NOTE_FEATURE, "n", tid, 1)
                ),
            ]
        )
    if status in rules.WORKING and actor.is_assignee:
        rows.append([button(_("↩️ 退回，我做不了"), "back", tid)])
    if status in rules.OPEN and actor.is_staff:
        rows.append([button(_("👤 改派"), "asg", tid), button(_("🚫 关闭"), "cls", tid)])
    return rows


def for_worker(
    rt: Runtime, _: Translate, t: Row, who: Viewer
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A ticket as this worker sees it, with the buttons they may press."""
    text = details(rt, _, t, personal=who.personal)
    return text, markup(worker_buttons(_, t, who.actor))


def reply_button(_: Translate, tid: int, to: int = 0) -> list[InlineKeyboardButton]:
    """💬 回复 under a relayed message or a note: `to` is the resident a worker answers; 0,
    a resident writing to whoever works on the ticket."""
    return [button(_("💬 回复"), "re", tid, to)]


def confirm_buttons(_: Translate, tid: int) -> list[InlineKeyboardButton]:
    return [button(_("👍 已解决"), "ok", tid), button(_("👎 没解决"), "no", tid)]


# ---- where a button sits -------------------------------------------------------------------------
Callback = Callable[[Update, Context], Coroutine[Any, Any, Any]]


def in_own_chat(update: Update) -> bool:
    """The pressed message is in the presser's own private chat with the bot.

    Every repairs button belongs to such a message: answers edit the message in place and may
    show a ticket's details. Data copied onto a group message (or an inline message, which has
    no chat we know) is refused whoever presses it, so a group message is never edited."""
    query, user = update.callback_query, update.effective_user
    message = query.message if query else None
    if user is None or message is None:
        return False
    chat = message.chat
    return chat.type == ChatType.PRIVATE and chat.id == user.id


def private_button(fn: Callback) -> Callback:
    """`fn`, run only for a button on the presser's private chat; refused (and nothing
    changed, the conversation where it was) anywhere else."""

    async def guarded(update: Update, context: Context) -> Any:
        if not in_own_chat(update):
            await refuse(update, context, WRONG_CHAT)
            return None
        return await fn(update, context)

    return guarded


def on_button(fn: Callback, feature: str, *actions: str) -> CallbackQueryHandler[Context, Any]:
    """The one way the repairs modules register a button: its pattern, and the chat check."""
    return CallbackQueryHandler(private_button(fn), pattern=callbacks.pattern(feature, *actions))


# ---- answering the person who pressed ----------------------------------------------------------
@dataclass(frozen=True)
class Press:
    """A ticket button pressed: who, the parsed data, and the ticket number (argument 0)."""

    user: User
    cb: callbacks.Callback
    ticket_id: int

    @property
    def user_id(self) -> int:
        return self.user.id


def id_arg(cb: callbacks.Callback, index: int) -> int:
    """An integer argument that will be looked up: a positive 64-bit number, or BadCallback
    (a forged 99999999999999999999 must not reach SQLite and raise OverflowError)."""
    value = cb.int_arg(index)
    if not rules.valid_id(value):
        raise callbacks.BadCallback(f"argument {index} out of range")
    return value


async def pressed(update: Update, context: Context) -> Press | None:
    """Parse a ticket button; None (refused when it is not ours) when there is nothing to do."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return None
    try:
        cb = callbacks.unpack(query.data, FEATURE)
        return Press(user, cb, id_arg(cb, 0))
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None


async def refuse(update: Update, context: Context, refused: Refused | str) -> None:
    """A clear answer for a button that is not this person's or not current; nothing changed."""
    user = update.effective_user
    reason = refused.reason.msgid if isinstance(refused, Refused) else refused
    log.info(
        "repairs: refused %r for %s: %s",
        update.callback_query.data if update.callback_query else None,
        user.id if user else None,
        reason,
    )
    _ = await tr_user(context, user) if user else (lambda s: s)
    text = render(_, refused.reason) if isinstance(refused, Refused) else _(refused)
    await answer_callback(update, text, alert=True)


async def edit(update: Update, text: str, reply_markup: InlineKeyboardMarkup | None) -> None:
    """Replace the message whose button was pressed."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, reply_markup=reply_markup)
    except TelegramError as exc:  # e.g. "message is not modified"
        log.debug("edit failed: %s", exc)


# ---- sending ---------------------------------------------------------------------------------
async def send(
    source: Context | App,
    user_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """A private message; None (and the user marked) when they blocked the bot."""
    try:
        return await source.bot.send_message(user_id, clip(text), reply_markup=reply_markup)
    except Forbidden:
        await cstore.mark_blocked(get_runtime(source).db, user_id)
        return None
    except BadRequest as exc:
        log.info("could not message %s: %s", user_id, exc)
        return None


async def send_photos(
    source: Context | App,
    user_id: int,
    ticket_id: int,
    photos: list[str],
    voices: list[str] | None = None,
) -> None:
    """A ticket's photos, then its voice notes (sendVoice), to one person."""
    for file_id in photos:
        try:
            await source.bot.send_photo(user_id, file_id)
        except TelegramError as exc:
            log.info("could not send photo of #%s to %s: %s", ticket_id, user_id, exc)
    for file_id in voices or []:
        try:
            await source.bot.send_voice(user_id, file_id)
        except TelegramError as exc:
            log.info("could not send voice note of #%s to %s: %s", ticket_id, user_id, exc)


async def tell_worker(source: Context | App, t: Row, who: Viewer, intro: str = "") -> None:
    """The ticket, as this worker sees it, with their buttons; `intro` (a msgid) above."""
    _ = await tr_user(source, who.user_id)
    text, buttons = for_worker(get_runtime(source), _, t, who)
    if intro:
        text = _(intro) + "\n" + text
    await send(source, who.user_id, text, buttons)


async def tell_residents(
    source: Context | App,
    t: Row,
    people: list[int],
    text: Callable[[Translate], str],
    reporter_buttons: Callable[[Translate], InlineKeyboardMarkup | None] | None = None,
    *,
    everyone: bool = False,
) -> None:
    """The reporter and every follower, each in their own language; buttons (confirm the
    fix) only for the reporter, or for `everyone` (回复)."""
    for uid in people:
        _ = await tr_user(source, uid)
        mine = everyone or uid == t["reporter_id"]
        buttons = reporter_buttons(_) if reporter_buttons and mine else None
        await send(source, uid, text(_), buttons)


async def tell_status(source: Context | App, t: Row, people: list[int], note: str = "") -> None:
    """Every change of status reaches the resident (and followers)."""

    def text(_: Translate) -> str:
        body = _("您的报修 #{id}（{category}）状态更新：{status}").format(
            id=t["id"],
            category=category_name(_, t["category"]),
            status=_(rules.status_name(t["status"])),
        )
        if t["status"] == "closed" and t["close_reason"]:
            body += "\n" + _("原因：{reason}").format(
                reason=_(rules.CLOSE_REASONS.get(t["close_reason"], t["close_reason"]))
            )
        if note:
            body += "\n" + _("说明：{note}").format(note=note)
        if t["status"] == "resolved":
            body += "\n" + _("问题解决了吗？请点下面的按钮告诉我们。")
        return body

    def buttons(_: Translate) -> InlineKeyboardMarkup | None:
        if t["status"] != "resolved":
            return None
        return InlineKeyboardMarkup([confirm_buttons(_, t["id"])])

    await tell_residents(source, t, people, text, buttons)


async def close_offers(source: Context | App, t: Row, offers: list[Row]) -> None:
    """Everyone else's 接单 button now says it has been taken."""
    for offer in offers:
        _ = await tr_user(source, offer["user_id"])
        try:
            await source.bot.edit_message_text(
                _("#{id} 已被接单，谢谢您！").format(id=t["id"]),
                chat_id=offer["chat_id"],
                message_id=offer["message_id"],
            )
        except TelegramError as exc:
            log.debug("could not edit offer: %s", exc)


RELEASED = {
    rules.Action.REASSIGN: N_("#{id} 已由社区改派给别人，您不用再处理了。"),
    rules.Action.CLOSE: N_("#{id} 已由社区关闭，您不用再处理了，谢谢！"),
    rules.Action.WITHDRAW: N_("居民撤回了 #{id}，您不用再处理了，谢谢！"),
}


async def announce(source: Context | App, changed: wf.Changed) -> None:
    """Tell the people who need to know about a change that just happened (the person who
    acted has been answered already). Works from a handler and from a job alike."""
    t = changed.ticket
    if changed.released is not None:
        _ = await tr_user(source, changed.released)
        text = RELEASED.get(changed.action, RELEASED[rules.Action.REASSIGN])
        await send(source, changed.released, _(text).format(id=t["id"]))
    await tell_status(source, t, changed.residents, changed.note)
    for who in changed.handed_back:
        _ = await tr_user(source, who.user_id)
        text = _("↩️ {name} 退回了 #{id}，已重新派单。").format(
            name=changed.gave_up or _("处理人"), id=t["id"]
        )
        if changed.reason:
            text += "\n" + _("退回原因：{reason}").format(reason=changed.reason)
        await send(source, who.user_id, text + "\n" + headline(_, t), None)
    if changed.reroute:
        await jobs.route_now(get_runtime(source), t["id"])
    if changed.assigned is not None:
        await tell_worker(source, t, changed.assigned, intro=N_("您被指派了一个报修："))
    for who in changed.reopened:
        _ = await tr_user(source, who.user_id)
        await send(
            source,
            who.user_id,
            _("⚠️ 居民说 #{id} 没解决，已重新打开，请再看看。").format(id=t["id"])
            + "\n"
            + headline(_, t),
            markup(worker_buttons(_, t, who.actor)),
        )


async def announce_all(source: Context | App, changes: list[wf.Changed]) -> None:
    """Each of several changes (`bot.workflows.repairs.hand_back_all`), told as `announce`."""
    for changed in changes:
        await announce(source, changed)
