"""/suggestions: staff read the suggestions and 议一议 comments residents were told were "转给社区
工作人员" — newest first, with the building but never the room, in private chat only."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_
from bot.workflows import menu_suggestions as flow
from handlers.menu_common import item_name
from handlers.shared import (
    Context,
    acting_community,
    deep_link,
    is_private,
    link_button,
    reply,
    reply_long,
    tr_chat,
)

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
    for note in found.notes:
        when = datetime.fromtimestamp(note["at"], rt.config.tz).strftime("%m-%d %H:%M")
        what = (
            _("议一议“{item}”").format(item=item_name(_, note, "item_name"))
            if note["item_name"]
            else _("建议")
        )
        where = (
            _("{building}号楼").format(building=note["building"])
            if note["building"]
            else _("未登记")
        )
        lines.append(f"· {when} {where} {what}：{note['text']}")
    await reply_long(update, "\n".join(lines))


def register(app: App) -> None:
    app.add_handler(CommandHandler("suggestions", suggestions_command))
    app.add_handler(
        CommandHandler("start", suggestions_command, filters.Regex(r"^/start suggestions$"))
    )
