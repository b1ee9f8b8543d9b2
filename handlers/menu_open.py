"""/menu_open: staff prepare a round in private (edit the menu, settings, deadline), preview
it, and post it to the community's groups (发布到群).

A ConversationHandler (diagram in docs/flows/menu.md). The draft lives in the database: the
items and every setting (K, 一户一单/一人一单, 公布方式, the deadline) are saved on the draft
round as they are chosen, so a form that timed out or a restart loses nothing and /menu_open
resumes it. The person's state only says which draft they are on and what text is awaited.
In a group /menu_open answers with a button to the private chat: residents never see a menu
half-made.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
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
from bot.i18n import N_, data_text
from bot.numbers import parse_id
from bot.workflows import menu as wf
from bot.workflows import menu_staff as sw
from bot.workflows.community import staff_communities
from handlers import forms
from handlers.menu_common import (
    FO,
    OPENING,
    Place,
    btn,
    item_name,
    right_place,
)
from handlers.menu_delivery import publish
from handlers.menu_draft import (
    DEADLINE,
    EDIT,
    TEXT,
    pasted_note,
    show_confirm,
    show_draft,
    show_settings,
)
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    deep_link,
    is_group,
    is_staff,
    refuse_callback,
    reply,
    tr_chat,
    tr_user,
)
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)

_EDITS = {e.value: e for e in wf.ItemEdit if e is not wf.ItemEdit.ADD}  # picked from a list
LINK = "menuopen"  # /start menuopen-<community>: the group's button into the private chat
SAVED = N_("菜单草稿已经保存。再发送 /menu_open 可以继续准备。")


def _state(context: Context) -> dict[str, Any]:
    state: dict[str, Any] = context.state.setdefault(OPENING, {})
    return state


async def menu_open(update: Update, context: Context) -> int:
    """/menu_open: in private, resume or start a draft (choosing the community if the person
    is staff of several); in a group, a button to the private chat."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    if is_group(update):
        community = await acting_community(update, context, _)
        if community is not None:
            url = deep_link(context, f"{LINK}-{community['id']}")
            button = InlineKeyboardButton(_("📝 去私聊准备菜单"), url=url)
            await reply(
                update,
                _("菜单请在私聊里准备，准备好后点「发布到群」，居民才会看到。"),
                reply_markup=InlineKeyboardMarkup([[button]]),
            )
        return ConversationHandler.END
    mine = await staff_communities(context.rt, user.id)
    if len(mine) > 1:
        rows = [[btn(c["name"], FO, "cm", c["id"])] for c in mine]
        await reply(update, _("为哪个社区准备菜单？"), reply_markup=InlineKeyboardMarkup(rows))
        return EDIT
    community = await acting_community(update, context, _)
    if community is None:
        return ConversationHandler.END
    return await _begin(update, context, community["id"])


async def start_link(update: Update, context: Context) -> int:
    """/start menuopen-<community>, from the button the group's /menu_open showed."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    cid = parse_id((message.text or "").rsplit("-", 1)[-1])
    if cid is None or not await is_staff(context.rt, user.id, cid):
        _ = await tr_chat(update, context)
        await reply(update, _("只有社区工作人员可以这样做。"))
        return ConversationHandler.END
    return await _begin(update, context, cid)


async def _begin(update: Update, context: Context, community_id: int) -> int:
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    draft = await wf.start_draft(context.rt, community_id, user.id)
    if draft.round_id is None:
        await reply(
            update,
            _(
                "本轮点单正在进行，居民已经可以点单，菜单不能再改。"
                "要延长请发送 /menu_extend，要结束请发送 /menu_close。"
            ),
        )
        return ConversationHandler.END
    context.state[OPENING] = {"rid": draft.round_id}
    note = "" if draft.created else _("继续上次保存的草稿。")
    if draft.carried_from is not None:
        note = _("菜单沿用第 {n} 轮还没有实施的项目，可以添加或删除。").format(n=draft.carried_from)
        if draft.left_out:
            note += "\n" + _("已经计划、在施工或完成的没有放进来：{names}").format(
                names="、".join(data_text(_, name) for name in draft.left_out)
            )
        if draft.paused:
            note += "\n" + _("上一轮定为暂不实施、又放进来的：{names}（不想再问可以删除）").format(
                names="、".join(data_text(_, name) for name in draft.paused)
            )
    return await show_draft(update, context, draft.round_id, note)


async def _check_opening(update: Update, context: Context, rid: int) -> Row | None:
    """Server side: the presser's private chat, still staff of the round's community, still a
    draft."""
    rt = context.rt
    user = update.effective_user
    rnd = await store.get_round(rt.db, rid)
    if user is None or rnd is None:
        await refuse_callback(update, context, f"menu_open: no round {rid}")
        return None
    if not await right_place(update, context, rnd["community_id"], Place.OWN_CHAT):
        return None
    if not await is_staff(rt, user.id, rnd["community_id"]):
        await refuse_callback(update, context, f"menu_open: not staff for round {rid}")
        return None
    if not await store.editable(rt.db, rid):
        _ = await tr_user(context, user)
        await answer_callback(update, _("这一轮已经开始点单，菜单不能再改。"), alert=True)
        return None
    return rnd


async def _community_picked(update: Update, context: Context, cb: callbacks.Callback) -> int | None:
    user = update.effective_user
    chat = update.effective_chat
    cid = cb.int_arg(0, lo=1)
    if (
        user is None
        or chat is None
        or chat.id != user.id
        or not await is_staff(context.rt, user.id, cid)
    ):
        await refuse_callback(update, context, f"menu_open: community {cid} refused")
        return None
    await answer_callback(update)
    return await _begin(update, context, cid)


async def open_button(update: Update, context: Context) -> int | None:
    """Every button of the conversation (`mo`); None keeps the state (a refused button)."""
    query = update.callback_query
    assert query is not None
    try:
        cb = callbacks.unpack(query.data, FO)
        if cb.action == "cm":
            return await _community_picked(update, context, cb)
        rid = cb.int_arg(0, lo=1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    rnd = await _check_opening(update, context, rid)
    if rnd is None:
        return None
    _state(context)["rid"] = rid
    await answer_callback(update)
    try:
        return await _dispatch(update, context, cb, rnd)
    except callbacks.BadCallback as exc:  # a later argument missing, malformed or out of range
        await refuse_callback(update, context, exc)
        return None


async def _dispatch(
    update: Update, context: Context, cb: callbacks.Callback, rnd: Row
) -> int | None:
    _ = await tr_chat(update, context)
    s = _state(context)
    rid = int(rnd["id"])
    act = cb.action
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
        await reply(
            update,
            _("请输入新项目的名称，可以一次写多项，用顿号、逗号或换行隔开，例如：{example}").format(
                example=_("加装电梯、充电桩、增设停车位")
            ),
        )
        return TEXT
    if act == "back":
        return await show_draft(update, context, rid)
    if act in ("next", "k", "mode", "live"):
        return await _setting(update, context, cb, rnd)
    if act == "dl":
        await reply(
            update,
            _("请输入截止时间，例如：5月31日 18:00、下周五晚上8点、3天后。"),
            reply_markup=InlineKeyboardMarkup([[btn(_("不设截止"), FO, "nodl", rid)]]),
        )
        return DEADLINE
    if act == "nodl":
        return await _deadline_set(update, context, rnd, None)
    if act == "go":
        return await _go(update, context, rnd)
    if act == "x":
        await wf.cancel_draft(context.rt, rid)
        context.state.pop(OPENING, None)
        await reply(update, _("已取消，本轮没有开始。"))
        return ConversationHandler.END
    await refuse_callback(update, context, f"menu_open: unknown action {act}")
    return None


async def _setting(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> int:
    """下一步 (show), K, 一户一单/一人一单, 公布方式: each saved on the draft at once."""
    s = wf.settings_of(rnd)
    if cb.action == "k":
        s = replace(s, max_picks=cb.int_arg(1, lo=1, hi=rules.MAX_K))
    elif cb.action == "mode":
        s = replace(s, per_person=bool(cb.int_arg(1, lo=0, hi=1)))
    elif cb.action == "live":
        s = replace(s, live=bool(cb.int_arg(1, lo=0, hi=1)))
    await sw.save_settings(context.rt, rnd["id"], s)
    fresh = await store.get_round(context.rt.db, rnd["id"])
    assert fresh is not None
    return await show_settings(update, context, fresh)


async def _deadline_set(update: Update, context: Context, rnd: Row, when: float | None) -> int:
    await sw.save_settings(context.rt, rnd["id"], replace(wf.settings_of(rnd), deadline=when))
    fresh = await store.get_round(context.rt.db, rnd["id"])
    assert fresh is not None
    return await show_confirm(update, context, fresh)


async def open_elsewhere(update: Update, context: Context) -> None:
    """A `mo` button the conversation did not take: pressed in another chat (a group, another
    person's chat), by someone not preparing this round, or after it ended."""
    query = update.callback_query
    assert query is not None
    try:
        cb = callbacks.unpack(query.data, FO)
        rnd = (
            None if cb.action == "cm" else await store.get_round(context.rt.db, cb.int_arg(0, lo=1))
        )
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    if rnd is not None and not await right_place(
        update, context, rnd["community_id"], Place.OWN_CHAT
    ):
        return
    await refuse_callback(update, context, "menu_open: button outside its conversation")


async def _picked(update: Update, context: Context, cb: callbacks.Callback, rid: int) -> int | None:
    """An item picked for 改名 / 加说明 (then a text) or 删除 (at once)."""
    _ = await tr_chat(update, context)
    item = await store.get_item(context.rt.db, rid, cb.int_arg(1, lo=1))
    edit = _EDITS.get(cb.str_arg(2))
    if item is None or edit is None:
        await refuse_callback(update, context, "menu_open: unknown item or op")
        return None
    if edit is wf.ItemEdit.REMOVE:
        await wf.edit_item(context.rt, rid, edit, item_id=item["id"])
        return await show_draft(
            update, context, rid, _("已删除：{item}").format(item=item_name(_, item))
        )
    _state(context)["wait"] = [edit.value, item["id"]]
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
    """The names of new items (one or a pasted list), a new name, or a description."""
    _ = await tr_chat(update, context)
    rt = context.rt
    s = _state(context)
    rid: int | None = s.get("rid")
    wait = s.get("wait") or [wf.ItemEdit.ADD.value, None]
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    rnd = await store.get_round(rt.db, rid) if rid else None
    if rid is None or rnd is None or not await is_staff(rt, user.id, rnd["community_id"]):
        return ConversationHandler.END
    edit, item_id = wf.ItemEdit(wait[0]), wait[1]
    if edit is wf.ItemEdit.ADD:
        return await _add_items(update, context, rid, message.text or "")
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
    return await show_draft(update, context, rid, _("已保存。"))


async def _add_items(update: Update, context: Context, rid: int, text: str) -> int:
    _ = await tr_chat(update, context)
    existing = [r["name"] for r in await store.items(context.rt.db, rid)]
    pasted = rules.split_items(text, existing, room=rules.MAX_ITEMS - len(existing))
    if not pasted.names and not pasted.duplicates and not pasted.over_limit:
        await reply(
            update, _("太长或看不懂，请重新输入（名称{n}字以内）。").format(n=rules.MAX_NAME)
        )
        return TEXT
    added = await sw.add_items(context.rt, rid, pasted.names)
    _state(context).pop("wait", None)
    if added is None:
        await reply(update, _("这一轮已经开始点单，菜单不能再改。"))
        return ConversationHandler.END
    return await show_draft(update, context, rid, pasted_note(_, added, pasted))


async def deadline_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    message = update.effective_message
    assert message is not None
    user = update.effective_user
    rid = _state(context).get("rid")
    rnd = await store.get_round(rt.db, rid) if rid else None
    if (
        user is None
        or rnd is None
        or not await is_staff(rt, user.id, rnd["community_id"])
        or not await store.editable(rt.db, rnd["id"])
    ):
        return ConversationHandler.END
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
    return await _deadline_set(update, context, rnd, when.timestamp() if when else None)


async def _go(update: Update, context: Context, rnd: Row) -> int:
    """📣 发布到群: open the round and post the menu in the community's groups."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    opened = await wf.open_round(context.rt, rnd["id"], user.id, wf.settings_of(rnd))
    if opened.refused is wf.OpenRefusal.DEADLINE_PASSED:
        await reply(update, _("截止时间已经过去了，请重新设置。"))
        return EDIT
    if opened.refused is wf.OpenRefusal.NO_ITEMS:
        await reply(update, _("菜单还是空的，请先添加项目。"))
        return await show_draft(update, context, rnd["id"])
    if opened.refused is wf.OpenRefusal.TOO_MANY_PICKS:
        await reply(update, _("每户能选的项数不能比菜单项目多，请重新设置。"))
        return await show_settings(update, context, rnd)
    context.state.pop(OPENING, None)
    if opened.post is None:
        await reply(update, _("这一轮已经开始点单，菜单不能再改。"))
        return ConversationHandler.END
    report = await post_menu(context, opened.post, by=user.id)
    if report.delivered:
        await reply(
            update,
            _("已发布到 {n} 个居民群，居民现在可以点单了。").format(n=len(opened.post.groups)),
        )
    return ConversationHandler.END


async def post_menu(source: Context | App, post: wf.MenuPost, by: int | None = None) -> Any:
    """The menu in every group of the community, with the button to order privately; a
    failed post is retried or told to `by` (handlers/menu_delivery.py)."""
    return await publish(source, post, by=by)


async def open_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(OPENING, None)
    await reply(update, _(SAVED))
    return ConversationHandler.END


def conversation() -> ConversationHandler[Context]:
    """/menu_open → EDIT (menu, settings) ⇄ TEXT (names or a description) / DEADLINE →
    preview → 发布到群."""
    text_only = filters.TEXT & ~filters.COMMAND
    link = CommandHandler(
        "start",
        start_link,
        filters.Regex(rf"^/start {LINK}-\d{{1,12}}$") & filters.ChatType.PRIVATE,
    )
    return forms.Form(
        drafts=(OPENING,),
        timed_out=SAVED,
        entry_points=[CommandHandler("menu_open", menu_open), link],
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
        fallbacks=[
            CommandHandler("cancel", open_cancel),
            CommandHandler("menu_open", menu_open),
            link,
        ],
        name="menu_open",
        persistent=True,
        allow_reentry=True,
    )
