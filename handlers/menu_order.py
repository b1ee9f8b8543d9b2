"""Residents order (点单) in private chat, and speak up: 议一议 about an item, 提建议 beyond it.

Picks are a draft in the person's state until they confirm; confirming is one workflow call.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import menu as rules
from bot.i18n import N_, data_text
from bot.numbers import parse_id
from bot.runtime import Runtime
from bot.workflows import menu as wf
from handlers import forms, outbox
from handlers.menu_common import (
    TALK,
    F,
    Place,
    btn,
    drafts,
    home_community,
    item_name,
    may_speak,
    menu_post_of,
    order_link,
    results_text,
    right_place,
    when_text,
)
from handlers.shared import (
    Context,
    answer_callback,
    group_community,
    is_group,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    reply_long,
    tr_chat,
    tr_user,
)
from storage import community as cstore
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)

TALK_TEXT = 10  # the one state of the 议一议/提建议 conversation
OTHER_HOUSEHOLD = N_(
    "这一轮您已经为另一户确认过点单（比如您后来换了登记的门牌）。"
    "一个人一轮只能为一户点单，这次没有保存。您家的点单可以由家里其他登记的人来点。"
)
OTHER_HOUSEHOLD_NOTE = N_(
    "注意：这一轮您已经为另一户确认过点单（比如您后来换了登记的门牌），"
    "一个人一轮只能为一户点单。您家的点单可以由家里其他登记的人来点。"
)
STALE = N_("这个页面已经过期了，请重新打开 /menu，核对后再确认。这次什么也没有保存。")
NOT_OURS = N_(
    "只有本社区登记的居民才能对这一轮提意见和建议，这次什么也没有保存。"
    "请先发送 /register 登记您家的门牌。"
)


async def _current_order(
    rt: Runtime, rnd: Row, resident: Row | None, user_id: int
) -> tuple[Row | None, list[int]]:
    if resident is None:
        return None, []
    voter = store.voter_key(
        household_id=resident["household_id"],
        user_id=user_id,
        per_person=bool(rnd["per_person"]),
        paper=False,
    )
    return await store.order_of(rt.db, rnd["id"], voter)


async def order_screen(
    update: Update, context: Context, round_id: int, *, reload: bool, edit: bool
) -> None:
    """The private ordering keyboard: ☑/☐ per item, confirm, 议一议, 提建议."""
    rt = context.rt
    user = update.effective_user
    assert user is not None
    _ = await tr_user(context, user)
    rnd = await store.get_round(rt.db, round_id)
    if rnd is None or rnd["status"] != "open":
        await reply(update, _("这一轮点单已经结束了。发送 /menu 看结果。"))
        return
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    items = await store.items(rt.db, round_id)
    resident = await cstore.get_resident(rt.db, user.id, rnd["community_id"])
    order, saved = await _current_order(rt, rnd, resident, user.id)
    draft = drafts(context).get(str(round_id))
    if draft is None or (reload and not draft.get("dirty")):
        draft = {"picks": saved, "dirty": False}
        drafts(context)[str(round_id)] = draft
    valid = {i["id"] for i in items}
    draft["picks"] = [p for p in draft["picks"] if p in valid]  # items removed meanwhile
    picks: list[int] = draft["picks"]
    k = rnd["max_picks"]
    lines = [
        _("【{community}改造点单】").format(community=community["name"]),
        _("请点选最想先做的项目，最多 {k} 项，选好后点“确认点单”。").format(k=k),
        _("截止时间：{when}").format(when=when_text(rt, _, rnd["deadline"])),
    ]
    if order is not None:
        by = order["first_name"] or _("纸质录入")
        who = _("您") if order["user_id"] == user.id else by
        mine = "、".join(item_name(_, i) for i in items if i["id"] in saved) or _("（空）")
        scope = _("您的点单") if rnd["per_person"] else _("您家目前的点单")
        lines.append(_("{scope}：{items}（{who}确认）").format(scope=scope, items=mine, who=who))
    if draft.get("dirty"):
        lines.append(_("已选 {n}/{k} 项，还没有确认。").format(n=len(picks), k=k))
    if resident is not None:
        first = await store.confirmed_household(rt.db, round_id, user.id)
        if first is not None and first != resident["household_id"]:
            lines.append(_(OTHER_HOUSEHOLD_NOTE))
    rows = [
        [btn(("☑ " if i["id"] in picks else "☐ ") + item_name(_, i), F, "t", round_id, i["id"])]
        for i in items
    ]
    confirm = _("✅ 确认点单（{n}/{k}）").format(n=len(picks), k=k)
    rows.append([btn(confirm, F, "ok", round_id, rules.picks_mark(picks))])
    rows.append([btn(_("💬 议一议"), F, "cl", round_id), btn(_("💡 提建议"), F, "s", round_id)])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    query = update.callback_query
    if edit and query is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except TelegramError as exc:  # "message is not modified" on a double tap
            log.debug("order screen not edited: %s", exc)
        return
    await reply(update, text, reply_markup=markup)


async def _open_round_for(update: Update, context: Context) -> Row | None:
    """The open round relevant to this chat (group's community or the user's)."""
    rt = context.rt
    user = update.effective_user
    assert user is not None
    if is_group(update):
        group = await group_community(update, context)
        cid = group["community_id"] if group else None
    else:
        community = await home_community(rt, user.id)
        cid = community["id"] if community else None
    if cid is None:
        return None
    return await store.current_round(rt.db, cid)


async def menu_command(update: Update, context: Context) -> None:
    """/menu: the current round for anyone; in private it is the ordering keyboard."""
    _ = await tr_chat(update, context)
    rt = context.rt
    if is_group(update) and await group_community(update, context) is None:
        await reply(update, _("本群还没有关联社区。群管理员请发送：/setup 社区名称"))
        return
    rnd = await _open_round_for(update, context)
    if rnd is None:
        await reply(update, _("现在没有进行中的改造点单。"))
        return
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    if rnd["status"] == "closed":
        res = await store.results(rt.db, rnd["id"], community["id"])
        # Buildings with few households stay hidden from everyone but staff in private.
        user = update.effective_user
        staff = user is not None and await is_staff(rt, user.id, community["id"])
        public = not (is_private(update) and staff)
        text = results_text(_, community["name"], res, final=True, public=public)
        await reply_long(update, text)
        return
    if is_private(update):
        await order_screen(update, context, rnd["id"], reload=True, edit=False)
        return
    text = await menu_post_of(rt, _, rnd, community["name"])
    if rnd["live"]:  # a group: the tally in whole batches of households
        res = await store.live_results(rt.db, rnd["id"], community["id"])
        text += "\n\n" + results_text(_, community["name"], res, final=False)
    await reply_long(update, text, reply_markup=order_link(_, context, rnd["id"]))


async def start_menu_link(update: Update, context: Context) -> None:
    """/start menu-<round>: the button under the menu post (the filter guarantees the form)."""
    payload = (context.args or [""])[0]
    _prefix, _dash, number = payload.partition("-")
    round_id = parse_id(number)
    if round_id is not None:
        await order_screen(update, context, round_id, reload=True, edit=False)


async def after_register(update: Update, context: Context, arg: str) -> None:
    round_id = parse_id(arg)
    if round_id is not None:
        await order_screen(update, context, round_id, reload=False, edit=False)


async def toggle(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """☑/☐ one item in the person's draft (nothing is saved until they confirm)."""
    user = update.effective_user
    assert user is not None
    _ = await tr_user(context, user)
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return
    item_id = cb.int_arg(1, lo=1)
    valid = [i["id"] for i in await store.items(context.rt.db, rnd["id"])]
    if item_id not in valid:
        await answer_callback(update, _("这个项目已经从菜单上撤下了，请重新选择。"), alert=True)
        await order_screen(update, context, rnd["id"], reload=False, edit=True)
        return
    draft = drafts(context).get(str(rnd["id"]))
    if draft is None:  # an old message after a restart without a draft: start from the order
        await order_screen(update, context, rnd["id"], reload=True, edit=True)
        draft = drafts(context)[str(rnd["id"])]
    picks, problem = rules.toggle(draft["picks"], item_id, rnd["max_picks"], valid)
    if problem is rules.PickError.TOO_MANY:
        await answer_callback(
            update,
            _("最多只能选 {k} 项。请先点掉一项，再选这一项。").format(k=rnd["max_picks"]),
            alert=True,
        )
        return
    draft.update(picks=picks, dirty=True)
    await answer_callback(update)
    await order_screen(update, context, rnd["id"], reload=False, edit=True)


async def confirm(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """✅ 确认点单: the draft becomes the household's order."""
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    _ = await tr_user(context, user)
    draft = drafts(context).get(str(rnd["id"])) or {"picks": []}
    picks = list(draft["picks"])
    if cb.str_arg(1) != rules.picks_mark(picks):
        # The screen shows other ticks than the draft (an old screen, a crash in between):
        # saving either would not be what the person saw.
        log.info("menu %s: stale order screen of %s refused", rnd["id"], user.id)
        await answer_callback(update, _(STALE), alert=True)
        return
    done = await wf.confirm_order(context.rt, rnd["id"], user.id, picks)
    if done.refused is wf.OrderRefusal.NOT_REGISTERED:
        # Keep the draft; registration comes back here through AFTER_REGISTER.
        context.state["after_register"] = ("menu", str(rnd["id"]))
        await answer_callback(update)
        register = InlineKeyboardButton(_("🏠 登记住户"), callback_data=callbacks.pack("reg", "go"))
        await reply(
            update,
            _("点单前请先登记您家的门牌，您选的项目会保留。"),
            reply_markup=InlineKeyboardMarkup([[register]]),
        )
        return
    if done.refused is not None:
        text = {
            wf.OrderRefusal.NOTHING_PICKED: _("还没有选项目。请先点选想改造的项目。"),
            wf.OrderRefusal.CLOSED: _("这一轮点单已经结束，不能再改了。"),
            wf.OrderRefusal.TOO_MANY: _("最多只能选 {k} 项。").format(k=rnd["max_picks"]),
            wf.OrderRefusal.OTHER_HOUSEHOLD: _(OTHER_HOUSEHOLD),
        }.get(done.refused, _("菜单有变化，请重新选择。"))
        await answer_callback(update, text, alert=True)
        return
    draft.update(picks=picks, dirty=False)
    drafts(context)[str(rnd["id"])] = draft
    await answer_callback(update, _("已保存"))
    chosen = "、".join(data_text(_, name) for name in done.chosen)
    text = (
        _("点单已更新：{items}。截止前还可以再改。")
        if done.replaced
        else _("点单成功：{items}。截止前还可以再改。")
    ).format(items=chosen)
    markup = InlineKeyboardMarkup([[btn(_("✏️ 修改点单"), F, "re", rnd["id"])]])
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:  # a double tap: the first one already edited it
        log.debug("confirm not edited: %s", exc)
    await outbox.deliver(context, done.tell)


async def reopen(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """✏️ 修改点单 (and the reminder's 现在点单): the ordering keyboard again."""
    await answer_callback(update)
    await order_screen(update, context, rnd["id"], reload=True, edit=True)


async def comment_list(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """💬 议一议: which item to talk about."""
    user = update.effective_user
    assert user is not None
    _ = await tr_user(context, user)
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return
    if not await may_speak(context.rt, user.id, rnd["community_id"]):
        await answer_callback(update, _(NOT_OURS), alert=True)
        return
    await answer_callback(update)
    items = await store.items(context.rt.db, rnd["id"])
    rows = [[btn(item_name(_, i), F, "c", rnd["id"], i["id"])] for i in items]
    await reply(
        update, _("想对哪个项目说几句？请点一下。"), reply_markup=InlineKeyboardMarkup(rows)
    )


# ---- 议一议 and suggestions (a tiny conversation: one text) -----------------------------------
async def talk_entry(update: Update, context: Context) -> int:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    _ = await tr_user(context, user)
    rt = context.rt
    try:
        cb = callbacks.unpack(query.data, F)
        rnd = await store.get_round(rt.db, cb.int_arg(0, lo=1))
        about = cb.action == "c"  # 议一议 names an item; 提建议 ("s") does not
        item = await store.get_item(rt.db, cb.int_arg(0), cb.int_arg(1, lo=1)) if about else None
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return ConversationHandler.END
    if rnd is None or (about and item is None):
        await refuse_callback(update, context, "menu talk: unknown round or item")
        return ConversationHandler.END
    if not await right_place(update, context, rnd["community_id"], Place.OWN_CHAT):
        return ConversationHandler.END
    if not await may_speak(rt, user.id, rnd["community_id"]):
        await answer_callback(update, _(NOT_OURS), alert=True)
        return ConversationHandler.END
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return ConversationHandler.END
    await answer_callback(update)
    context.state[TALK] = [rnd["id"], item["id"] if item else None]
    if item is not None:
        await reply(
            update,
            _("请写下您对“{item}”的意见（{n}字以内），发送 /cancel 取消。").format(
                item=item_name(_, item), n=rules.MAX_COMMENT
            ),
        )
    else:
        await reply(
            update,
            _("菜单上没有的需求也可以提，例如“健身器材少”。请写下您的建议，发送 /cancel 取消。"),
        )
    return TALK_TEXT


async def talk_text(update: Update, context: Context) -> int:
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    _ = await tr_user(context, user)
    round_id, item_id = context.state.get(TALK) or [None, None]
    text = rules.clean_text(message.text or "", rules.MAX_COMMENT)
    if text is None:
        await reply(
            update, _("请写{n}字以内的文字，或发送 /cancel 取消。").format(n=rules.MAX_COMMENT)
        )
        return TALK_TEXT
    context.state.pop(TALK, None)
    if not round_id or not await wf.add_comment(context.rt, round_id, item_id, user.id, text):
        await reply(update, _("这一轮点单已经结束，不能再改了。"))
        return ConversationHandler.END
    await reply(update, _("谢谢！您的意见已转给社区工作人员。"))
    return ConversationHandler.END


async def talk_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(TALK, None)
    await reply(update, _("已取消。"))
    return ConversationHandler.END


def talk_conversation() -> ConversationHandler[Context]:
    """💬 议一议 (an item, action "c") or 💡 提建议 ("s") → one text → saved."""
    return forms.Form(
        drafts=(TALK,),
        entry_points=[CallbackQueryHandler(talk_entry, pattern=callbacks.pattern(F, "c", "s"))],
        states={
            TALK_TEXT: [
                MessageHandler(
                    filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, talk_text
                )
            ]
        },
        fallbacks=[CommandHandler("cancel", talk_cancel)],
        name="menu_talk",
        persistent=True,
        allow_reentry=True,
    )
