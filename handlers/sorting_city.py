"""/sort_city: staff choose whose garbage-sorting rules their community's answers follow."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_
from bot.sorting import KnowledgeBase
from bot.sorting_city import city_name
from bot.workflows.sorting_city import choose_city, current_city, parse_city
from handlers.shared import Context, acting_community, reply, tr_chat

declare("sort_city", N_("设置本社区按哪个城市的垃圾分类规则"), Audience.STAFF, order=41)


async def sort_city_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    community = await acting_community(update, context, _)
    if community is None:
        return
    kb = KnowledgeBase.get()
    word = " ".join(context.args or [])
    if not word:
        city = await current_city(context.rt, community["id"])
        await reply(
            update,
            _(
                "本社区现在按「{city}」的垃圾分类规则回答。\n"
                "更改：/sort_city 城市（全国、北京、上海、呼和浩特、克拉玛依）"
            ).format(city=city_name(kb, city)),
        )
        return
    code = parse_city(word)
    if code is None:
        await reply(
            update,
            _("暂不支持这个城市。可选：全国、北京、上海、呼和浩特、克拉玛依（按全国标准）。"),
        )
        return
    choice = await choose_city(context.rt, community["id"], code)
    await reply(
        update,
        _("好的，本社区以后按「{city}」的垃圾分类规则回答。").format(
            city=city_name(kb, choice.city)
        ),
    )


def register(app: App) -> None:
    app.add_handler(CommandHandler("sort_city", sort_city_command))
