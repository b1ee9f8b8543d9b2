"""/menu_open: staff prepare a round in the group (edit the menu, settings, deadline) and open it.

A ConversationHandler (diagram in docs/flows/menu.md). The settings live in the person's state
until 开始点单; every change of the menu and the opening itself are workflow calls.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, timeparse
from bot import menu as rules
from bot import reminders as schedules
from bot.context import App
from bot.workflows import menu as wf
from handlers.menu_common import (
    FO,
    OPENING,
    Place,
    btn,
    item_name,
    items_lines,
    right_place,
    when_text,
)
from handlers.menu_delivery import publish
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_group,
    is_staff,
    refuse_callback,
    reply,
    reply_long,
    tr_chat,
    tr_user,
)
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)

EDIT, TEXT, DEADLINE = range(3)  # the conversation's states
_EDITS = {e.value: e for e in wf.ItemEdit if e is not wf.ItemEdit.ADD}  # picked from a list


def _settings(context: Context) -> dict[str, Any]:
    settings: dict[str, Any] = context.state.setdefault(OPENING, {})
    return settings


async def _show_draft(update: Update, context: Context, rid: int, note: str = "") -> int:
    _ = await tr_chat(update, context)
    items = await store.items(context.rt.db, rid)
    lines = ([note] if note else []) + [_("本轮菜单（可以添加、改名、加说明、删除）：")]
    lines += items_lines(_, items)
    rows = [
        [btn(_("➕ 添加"), FO, "add", rid), btn(_("✏️ 改名"), FO, "ren", rid)],
        [btn(_("📝 加说明"), FO, "desc", rid), btn(_("🗑 删除"), FO, "del", rid)],
        [btn(_("下一步：设置 ▶"), FO, "next", rid)],
        [btn(_("取消本轮"), FO, "x", rid)],
    ]
    await reply_long(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def _show_settings(update: Update, context: Context, rid: int) -> int:
    _ = await tr_chat(update, context)
    s = _settings(context)
    k = s.get("k", rules.DEFAULT_K)
    lines = [_("每户最多选几项？现在是 {k} 项。").format(k=k)]
    rows = [
        [
            btn(("● " if n == k else "") + str(n), FO, "k", rid, n)
            for n in range(1, rules.MAX_K + 1)
        ],
        [btn(_("一人一单") if s.get("per_person") else _("一户一单"), FO, "mode", rid)],
        [btn(_("随时公布统计") if s.get("live") else _("截止后公布统计"), FO, "live", rid)],
        [btn(_("◀ 改菜单"), FO, "back", rid), btn(_("下一步：截止时间 ▶"), FO, "dl", rid)],
    ]
    lines.append(_("点按钮可以切换：一户一单/一人一单，截止后公布/随时公布。"))
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def _show_confirm(update: Update, context: Context, rid: int) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    s = _settings(context)
    items = await store.items(rt.db, rid)
    lines = [
        _("请核对："),
        *items_lines(_, items, descriptions=False),
        _("每{who}最多选 {k} 项").format(
            who=_("人") if s.get("per_person") else _("户"), k=s.get("k", rules.DEFAULT_K)
        ),
        _("截止时间：{when}").format(when=when_text(rt, _, s.get("deadline"))),
        _("统计：随时公布") if s.get("live") else _("统计：截止后公布"),
    ]
    rows = [[btn(_("🚀 开始点单"), FO, "go", rid)], [btn(_("◀ 改设置"), FO, "next", rid)]]
    await reply_long(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def menu_open(update: Update, context: Context) -> int:
    """/menu_open in the group: resume or start the community's draft."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    if not is_group(update):
        await reply(update, _("请在社区居民群里发送 /menu_open。"))
        return ConversationHandler.END
    community = await acting_community(update, context, _)
    if community is None:
        return ConversationHandler.END
    draft = await wf.start_draft(context.rt, community["id"], user.id)
    if draft.round_id is None:
        await reply(
            update,
            _("本轮点单正在进行，居民已经可以点单，菜单不能再改。要结束请发送 /menu_close。"),
        )
        return ConversationHandler.END
    context.state[OPENING] = {"rid": draft.round_id, "k": rules.DEFAULT_K}
    return await _show_draft(update, context, draft.round_id)


async def _check_opening(update: Update, context: Context, rid: int) -> Row | None:
    """Server side: a group of the round's community, still staff, still a draft."""
    rt = context.rt
    user = update.effective_user
    rnd = await store.get_round(rt.db, rid)
    if user is None or rnd is None:
        await refuse_callback(update, context, f"menu_open: no round {rid}")
        return None
    if not await right_place(update, context, rnd["community_id"], Place.GROUP):
        return None
    if not await is_staff(rt, user.id, rnd["community_id"]):
        await refuse_callback(update, context, f"menu_open: not staff for round {rid}")
        return None
    if not await store.editable(rt.db, rid):
        _ = await tr_user(context, user)
        await answer_callback(update, _("这一轮已经开始点单，菜单不能再改。"), alert=True)
        return None
    return rnd


async def open_button(update: Update, context: Context) -> int | None:
    """Every button of the conversation (`mo`); None keeps the state (a refused button)."""
    query = update.callback_query
    assert query is not None
    try:
        cb = callbacks.unpack(query.data, FO)
        rid = cb.int_arg(0, lo=1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    rnd = await _check_opening(update, context, rid)
    if rnd is None:
        return None
    _ = await tr_chat(update, context)
    s = _settings(context)
    s["rid"] = rid
    act = cb.action
    await answer_callback(update)
    if act in _EDITS:  # 改名 / 加说明 / 删除: which item?
        items = await store.items(context.rt.db, rid)
        rows = [[btn(item_name(_, i), FO, "pk", rid, i["id"], act)] for i in items]
        rows.append([btn(_("◀ 返回"), FO, "back", rid)])
        await reply(update, _("请选择项目："), reply_markup=InlineKeyboardMarkup(rows))
        return EDIT
    if act == "pk":
        return await _picked(update, context, cb, rid)
    if act == "add" and len(await store.items(context.rt.db, rid)) >= rules.MAX_ITEMS:
        await reply(update, _("菜单最多 {n} 项，请先删掉一项再添加。").format(n=rules.MAX_ITEMS))
        return EDIT
    if act == "add":
        s["wait"] = [wf.ItemEdit.ADD.value, None]
        await reply(update, _("请输入新项目的名称，例如：增设健身器材"))
        return TEXT
    if act == "back":
        return await _show_draft(update, context, rid)
    if act == "next":
        return await _show_settings(update, context, rid)
    if act == "k":
        try:
            s["k"] = cb.int_arg(1, lo=1, hi=rules.MAX_K)
        except callbacks.BadCallback as exc:
            await refuse_callback(update, context, exc)
            return None
        return await _show_settings(update, context, rid)
    if act in ("mode", "live"):
        key = "per_person" if act == "mode" else "live"
        s[key] = not s.get(key)
        return await _show_settings(update, context, rid)
    if act == "dl":
        await reply(
            update,
            _("请输入截止时间，例如：5月31日 18:00、下周五晚上8点、3天后。"),
            reply_markup=InlineKeyboardMarkup([[btn(_("不设截止"), FO, "nodl", rid)]]),
        )
        return DEADLINE
    if act == "nodl":
        s["deadline"] = None
        return await _show_confirm(update, context, rid)
    if act == "go":
        return await _go(update, context, rnd)
    if act == "x":
        await wf.cancel_draft(context.rt, rid)
        context.state.pop(OPENING, None)
        await reply(update, _("已取消，本轮没有开始。"))
        return ConversationHandler.END
    await refuse_callback(update, context, f"menu_open: unknown action {act}")
    return None


async def open_elsewhere(update: Update, context: Context) -> None:
    """A `mo` button the conversation did not take: pressed in another chat (a private one, or
    another community's group), by someone not preparing this round, or after it ended."""
    query = update.callback_query
    assert query is not None
    try:
        rnd = await store.get_round(
            context.rt.db, callbacks.unpack(query.data, FO).int_arg(0, lo=1)
        )
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    if rnd is not None and not await right_place(update, context, rnd["community_id"], Place.GROUP):
        return
    await refuse_callback(update, context, "menu_open: button outside its conversation")


async def _picked(update: Update, context: Context, cb: callbacks.Callback, rid: int) -> int | None:
    """An item picked for 改名 / 加说明 (then a text) or 删除 (at once)."""
    _ = await tr_chat(update, context)
    try:
        item = await store.get_item(context.rt.db, rid, cb.int_arg(1, lo=1))
        edit = _EDITS.get(cb.str_arg(2))
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    if item is None or edit is None:
        await refuse_callback(update, context, "menu_open: unknown item or op")
        return None
    if edit is wf.ItemEdit.REMOVE:
        await wf.edit_item(context.rt, rid, edit, item_id=item["id"])
        return await _show_draft(
            update, context, rid, _("已删除：{item}").format(item=item_name(_, item))
        )
    _settings(context)["wait"] = [edit.value, item["id"]]
    await reply(
        update,
        (
            _("请输入“{item}”的新名称：")
            if edit is wf.ItemEdit.RENAME
            else _("请输入“{item}”的说明（{n}字以内）：")
        ).format(item=item_name(_, item), n=rules.MAX_DESCRIPTION),
    )
    return TEXT


async def open_text(update: Update, context: Context) -> int:
    """The name of a new item, a new name, or a description."""
    _ = await tr_chat(update, context)
    rt = context.rt
    s = _settings(context)
    rid: int | None = s.get("rid")
    wait = s.get("wait") or [wf.ItemEdit.ADD.value, None]
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    rnd = await store.get_round(rt.db, rid) if rid else None
    if rid is None or rnd is None or not await is_staff(rt, user.id, rnd["community_id"]):
        return ConversationHandler.END
    edit, item_id = wf.ItemEdit(wait[0]), wait[1]
    value = (
        rules.clean_text(message.text or "", rules.MAX_DESCRIPTION)
        if edit is wf.ItemEdit.DESCRIBE
        else rules.clean_item_name(message.text or "")
    )
    if value is None:
        await reply(
            update, _("太长或看不懂，请重新输入（名称{n}字以内）。").format(n=rules.MAX_NAME)
        )
        return TEXT
    done = await wf.edit_item(rt, rid, edit, item_id=item_id, value=value)
    s.pop("wait", None)
    if not done:
        await reply(update, _("这一轮已经开始点单，菜单不能再改。"))
        return ConversationHandler.END
    return await _show_draft(update, context, rid, _("已保存。"))


async def deadline_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    message = update.effective_message
    assert message is not None
    s = _settings(context)
    text, now = message.text or "", rt.clock.now()
    when = None
    if not rules.no_deadline(text):
        try:
            when = timeparse.parse_moment(text, now, rt.config.tz)
        except timeparse.TimeParseError as exc:
            refusal = schedules.time_refusal(exc, rt.config.tz, _, now)
            await reply(
                update, refusal + "\n" + _("请这样写：5月31日 18:00、下周五晚上8点、3天后。")
            )
            return DEADLINE
    s["deadline"] = when.timestamp() if when else None
    return await _show_confirm(update, context, s["rid"])


async def _go(update: Update, context: Context, rnd: Row) -> int:
    """🚀 开始点单: open the round and post the menu in the community's groups."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    s = _settings(context)
    settings = wf.RoundSettings(
        max_picks=s.get("k", rules.DEFAULT_K),
        per_person=bool(s.get("per_person")),
        live=bool(s.get("live")),
        deadline=s.get("deadline"),
    )
    opened = await wf.open_round(context.rt, rnd["id"], user.id, settings)
    if opened.refused is wf.OpenRefusal.DEADLINE_PASSED:
        await reply(update, _("截止时间已经过去了，请重新设置。"))
        return EDIT
    context.state.pop(OPENING, None)
    if opened.post is None:
        await reply(update, _("这一轮已经开始点单，菜单不能再改。"))
        return ConversationHandler.END
    await post_menu(context, opened.post, by=user.id)
    return ConversationHandler.END


async def post_menu(source: Context | App, post: wf.MenuPost, by: int | None = None) -> None:
    """The menu in every group of the community, with the button to order privately; a
    failed post is retried or told to `by` (handlers/menu_delivery.py)."""
    await publish(source, post, by=by)


async def open_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(OPENING, None)
    await reply(update, _("已退出设置。菜单草稿已保存，再发送 /menu_open 可以继续。"))
    return ConversationHandler.END


def conversation() -> ConversationHandler[Context]:
    """/menu_open → EDIT (menu, settings) ⇄ TEXT (a name or description) / DEADLINE → open."""
    text_only = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("menu_open", menu_open)],
        states={
            EDIT: [CallbackQueryHandler(open_button, pattern=callbacks.pattern(FO))],
            TEXT: [
                MessageHandler(text_only, open_text),
                CallbackQueryHandler(open_button, pattern=callbacks.pattern(FO)),
            ],
            DEADLINE: [
                MessageHandler(text_only, deadline_text),
                CallbackQueryHandler(open_button, pattern=callbacks.pattern(FO)),
            ],
        },
        fallbacks=[CommandHandler("cancel", open_cancel), CommandHandler("menu_open", menu_open)],
        name="menu_open",
        persistent=True,
        allow_reentry=True,
    )
