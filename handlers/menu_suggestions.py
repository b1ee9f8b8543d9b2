"""/suggestions: staff read the suggestions and 议一议 comments residents were told were "转给社区
工作人员" — newest first, with the building but never the room, in private chat only. And the
daily digest of the new ones, sent privately to staff at DIGEST_TIME (18:00 by default) when there are any, with a
button to turn it off (and on again under /suggestions)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import menu_suggestions as flow
from handlers.menu_common import item_name
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    deep_link,
    is_private,
    link_button,
    refuse_callback,
    reply,
    reply_long,
    send_private,
    tr_chat,
    tr_user,
)
from storage.db import Row

FEATURE = "sg"  # 1|sg|on|<community>, 1|sg|off|<community>: the daily digest

declare("suggestions", N_("居民的建议和议一议留言"), Audience.STAFF, order=25)


async def suggestions_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    community = await acting_community(update, context, _)
    if community is None:
        return
    if not is_private(update):  # residents' own words stay out of the group
        await reply(
            update,
            _("居民的建议只在私聊里显示。"),
            reply_markup=link_button(_("私聊查看"), deep_link(context, "suggestions")),
        )
        return
    rt = context.rt
    found = await flow.suggestions(rt, community["id"])
    if found.round is None or not found.notes:
        await reply(
            update,
            _("{community}这一轮还没有居民的建议或留言。").format(community=community["name"]),
        )
        return
    lines = [
        _("【{community}居民建议和留言】共 {n} 条，最新的在前：").format(
            community=community["name"], n=len(found.notes)
        )
    ]
    user = update.effective_user
    if user is None:
        return
    on = await flow.digest_on(rt, community["id"], user.id)
    lines.extend(note_line(rt, _, note) for note in found.notes)
    lines.append(
        _("每日摘要（每天{at}私聊发来当天新的建议和留言）：{state}").format(
            at=context.rt.config.digest_at.strftime("%H:%M"),
            state=_("已开启") if on else _("已关闭"),
        )
    )
    # The switch goes on the list's last message (reply_long puts the buttons there).
    await reply_long(update, "\n".join(lines), reply_markup=_digest_button(_, community["id"], on))


def note_line(rt: Runtime, _: Translate, note: Row) -> str:
    when = datetime.fromtimestamp(note["at"], rt.config.tz).strftime("%m-%d %H:%M")
    what = (
        _("议一议“{item}”").format(item=item_name(_, note, "item_name"))
        if note["item_name"]
        else _("建议")
    )
    where = (
        _("{building}号楼").format(building=note["building"]) if note["building"] else _("未登记")
    )
    return f"· {when} {where} {what}：{note['text']}"


def _digest_button(_: Translate, community_id: int, on: bool) -> InlineKeyboardMarkup:
    label, action = (_("🔕 不再接收每日摘要"), "off") if on else (_("🔔 接收每日摘要"), "on")
    data = callbacks.pack(FEATURE, action, community_id)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


async def digest_job(app: App, job: ScheduledJob) -> None:
    rt = get_runtime(app)
    cid = int(job.payload["community"])
    digest = await flow.digest_due(rt, cid)
    if digest is None:
        return
    for staff in digest.staff:
        _ = await tr_user(app, staff)
        lines = [
            _("【{community}】今天有 {n} 条新的居民建议和留言：").format(
                community=digest.community_name, n=len(digest.notes) + digest.more
            ),
            *(note_line(rt, _, note) for note in digest.notes),
        ]
        if digest.more:
            lines.append(_("……还有 {n} 条，发送 /suggestions 查看全部。").format(n=digest.more))
        text = "\n".join(lines)[:4000]
        await send_private(app, staff, text, reply_markup=_digest_button(_, cid, True))


async def digest_button(update: Update, context: Context) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    try:
        cb = callbacks.unpack(query.data, FEATURE)
        cid = cb.int_arg(0)
        if cb.action not in ("on", "off"):
            raise callbacks.BadCallback(f"unknown digest action {cb.action!r}")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    on = cb.action == "on"
    if not is_private(update) or not await flow.set_digest(context.rt, cid, user.id, on):
        await refuse_callback(update, context, "digest switch of a non-staff or in a group")
        return
    _ = await tr_user(context, user)
    await answer_callback(update, _("已开启每日摘要。") if on else _("已关闭每日摘要。"))
    await query.edit_message_reply_markup(_digest_button(_, cid, on))


def register(app: App) -> None:
    get_runtime(app).scheduler.register(flow.DIGEST_JOB, digest_job, at_least_once=False)
    app.add_handler(CallbackQueryHandler(digest_button, pattern=callbacks.pattern(FEATURE)))
    app.add_handler(CommandHandler("suggestions", suggestions_command))
    app.add_handler(
        CommandHandler("start", suggestions_command, filters.Regex(r"^/start suggestions$"))
    )
