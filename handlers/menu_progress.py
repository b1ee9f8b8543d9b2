"""Progress of the renovation items: /progress for everyone, /menu_progress for staff to set it.

Staff pick an item, then a state (计划中, 施工中, 已完成, 暂不实施), then write a note (for 暂不实施
the reason, which is required); the note is dated and announced in the community's groups and
privately to the residents of the households that ordered the item (paced, each at most once:
the send ledger of announcements), never saying to anyone who else ordered it.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler
from telegram.ext import filters as tg_filters

from bot import callbacks
from bot import menu as rules
from bot.context import App
from bot.i18n import N_, Translate
from bot.runtime import Runtime, get_runtime
from bot.scheduler import ScheduledJob
from bot.workflows import menu_staff as sw
from handlers import forms
from handlers.menu_common import F, Place, btn, home_community, item_name, right_place, when_text
from handlers.reminders_send import deliver, render
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    group_community,
    is_group,
    is_staff,
    refuse_callback,
    reply,
    reply_long,
    tr_chat,
)
from storage import community as cstore
from storage import menu as store
from storage.db import Row

NOTE = "menu_progress_note"  # state: {"rid", "item", "state"} while staff write the note
PUBLISH = N_("📣 确认发布")  # also pressed by the demo
WRITE, CONFIRM = 0, 1  # writing the note; checking the news before it goes out


def note_line(rt: Runtime, _: Translate, item: Row) -> str:
    if item["progress_at"] is None:
        return ""
    line = "    " + when_text(rt, _, float(item["progress_at"]))
    if item["progress_note"]:
        label = (
            _("原因：{note}") if item["progress"] == rules.Progress.PAUSED else _("说明：{note}")
        )
        line += " · " + label.format(note=item["progress_note"])
    return line


async def progress_command(update: Update, context: Context) -> None:
    """/progress: each item of the last closed round, its progress (with the latest note and
    its date) and how many ordered it; then the items of earlier rounds that are planned,
    being built, done or paused (progress follows an item's name across rounds)."""
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    if is_group(update):
        group = await group_community(update, context)
        community = await cstore.get_community(rt.db, group["community_id"]) if group else None
    else:
        community = await home_community(rt, user.id)
    rnd = await store.last_closed(rt.db, community["id"]) if community else None
    if community is None or rnd is None:
        await reply(update, _("还没有结束的点单，暂时没有进度可看。"))
        return
    res = await store.results(rt.db, rnd["id"], community["id"])
    every = await store.progress_items(rt.db, community["id"])
    items = {r["id"]: r for r in every if r["round_id"] == rnd["id"]}
    lines = [_("【{community}改造进度】").format(community=community["name"])]
    # The counts follow the results' rule: with very few households they would tell
    # neighbours what one household chose (everyone may read this, residents too).
    counts = rules.public_totals(res)
    for result in res.items:
        item = items[result.item_id]
        line = _progress_line(_, item)
        if counts:
            line += _("（{n}户点单）").format(n=result.households)
        lines.append(line)
        note = note_line(rt, _, item)
        if note:
            lines.append(note)
    earlier = [
        r
        for r in every
        if r["round_id"] != rnd["id"] and rules.Progress(r["progress"]) is not rules.Progress.NONE
    ]
    if earlier:
        lines.append(_("以前各轮点过的项目："))
        for item in earlier:
            lines.append(_progress_line(_, item))
            note = note_line(rt, _, item)
            if note:
                lines.append(note)
    await reply_long(update, "\n".join(lines))


def _progress_line(_: Translate, item: Row) -> str:
    state = rules.Progress(item["progress"])
    return _("{icon} {name}：{state}").format(
        icon=rules.PROGRESS_ICONS[state],
        name=item_name(_, item),
        state=_(rules.PROGRESS_NAMES[state]),
    )


async def menu_progress(update: Update, context: Context) -> None:
    """/menu_progress (staff): the items of the closed rounds (the last one's first), to pick
    one."""
    _ = await tr_chat(update, context)
    community = await acting_community(update, context, _)
    if community is None:
        return
    rnd = await store.last_closed(context.rt.db, community["id"])
    if rnd is None:
        await reply(update, _("还没有结束的点单，暂时没有进度可看。"))
        return
    await _progress_list(update, context, rnd, edit=False)


async def _progress_list(update: Update, context: Context, rnd: Row, *, edit: bool) -> None:
    """Every item of the community's closed rounds, once per name: an item carried over or
    left out of a later round keeps its progress and can still be moved on."""
    _ = await tr_chat(update, context)
    items = await store.progress_items(context.rt.db, rnd["community_id"])
    rows = []
    for i in items:
        state = rules.Progress(i["progress"])
        label = (
            f"{rules.PROGRESS_ICONS[state]} {item_name(_, i)} · {_(rules.PROGRESS_NAMES[state])}"
        )
        rows.append([btn(label, F, "pi", i["round_id"], i["id"])])
    text = _("点项目，设置进度：")
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
    else:
        await reply(update, text, reply_markup=InlineKeyboardMarkup(rows))


async def _progress_staff(update: Update, context: Context, rnd: Row) -> bool:
    user = update.effective_user
    if user is None or not await is_staff(context.rt, user.id, rnd["community_id"]):
        await refuse_callback(update, context, "menu progress: not staff")
        return False
    return True


async def progress_item(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """An item picked: its possible states as buttons."""
    if not await _progress_staff(update, context, rnd):
        return
    item = await store.get_item(context.rt.db, rnd["id"], cb.int_arg(1, lo=1))
    if item is None:
        await refuse_callback(update, context, "menu progress: unknown item")
        return
    _ = await tr_chat(update, context)
    await answer_callback(update)
    states = [p for p in rules.Progress if p is not rules.Progress.NONE]
    now = rules.Progress(item["progress"])
    rows = [
        [
            btn(
                ("● " if p is now else "")
                + f"{rules.PROGRESS_ICONS[p]} {_(rules.PROGRESS_NAMES[p])}",
                F,
                "pg",
                rnd["id"],
                item["id"],
                p.value,
            )
        ]
        for p in states
    ]
    query = update.callback_query
    assert query is not None
    await query.edit_message_text(
        _("“{item}”现在的进度：{icon} {state}。要改成：").format(
            item=item_name(_, item),
            icon=rules.PROGRESS_ICONS[now],
            state=_(rules.PROGRESS_NAMES[now]),
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


# ---- the note: a small form after the state is picked -----------------------------------------
async def progress_pick(update: Update, context: Context) -> int | None:
    """A state picked (`mn pg <round> <item> <state>`): ask for the note (the reason, for
    暂不实施). Checked like every `mn` button: the round, the place, still staff."""
    query = update.callback_query
    assert query is not None
    try:
        cb = callbacks.unpack(query.data, F)
        rnd = await store.get_round(context.rt.db, cb.int_arg(0, lo=1))
        item_id = cb.int_arg(1, lo=1)
        state = rules.Progress(cb.str_arg(2))
    except (callbacks.BadCallback, ValueError) as exc:
        await refuse_callback(update, context, f"menu progress: {exc}")
        return ConversationHandler.END
    if rnd is None or state is rules.Progress.NONE:
        await refuse_callback(update, context, "menu progress: no round or state")
        return ConversationHandler.END
    if not await right_place(update, context, rnd["community_id"], Place.COMMUNITY):
        return ConversationHandler.END
    if not await _progress_staff(update, context, rnd):
        return ConversationHandler.END
    item = await store.get_item(context.rt.db, rnd["id"], item_id)
    if item is None:
        await refuse_callback(update, context, "menu progress: unknown item")
        return ConversationHandler.END
    _ = await tr_chat(update, context)
    await answer_callback(update)
    context.state[NOTE] = {"rid": rnd["id"], "item": item_id, "state": state.value}
    name, label = item_name(_, item), _(rules.PROGRESS_NAMES[state])
    if state is rules.Progress.PAUSED:
        await query.edit_message_text(
            _("“{item}”设为{state}。请写一句原因，会通知居民群和点过这一项的住户：").format(
                item=name, state=label
            )
        )
    else:
        await query.edit_message_text(
            _(
                "“{item}”设为{state}。请写一句说明（例如：预计12月开工），会通知居民群和点过这一项的住户；"
                "不需要说明请点下面的按钮。"
            ).format(item=name, state=label),
            reply_markup=InlineKeyboardMarkup(
                [[btn(_("不写说明，直接保存"), F, "pn", rnd["id"], item_id)]]
            ),
        )
    return WRITE


async def note_text(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    _ = await tr_chat(update, context)
    note = rules.clean_text(message.text or "", rules.MAX_PROGRESS_NOTE)
    if note is None:
        await reply(
            update, _("太长或看不懂，请重新输入（{n}字以内）。").format(n=rules.MAX_PROGRESS_NOTE)
        )
        return WRITE
    return await _preview(update, context, note)


async def no_note(update: Update, context: Context) -> int | None:
    """不写说明 (not offered for 暂不实施, whose reason is required)."""
    pending = context.state.get(NOTE) or {}
    _ = await tr_chat(update, context)
    if pending.get("state") == rules.Progress.PAUSED:
        await answer_callback(update, _("暂不实施需要写一句原因。"), alert=True)
        return WRITE
    await answer_callback(update)
    return await _preview(update, context, "")


async def _preview(update: Update, context: Context, note: str) -> int:
    """The news exactly as the groups will read it, before anything is saved or sent: a reason
    typed in haste goes to every resident, so staff see it first."""
    _ = await tr_chat(update, context)
    rt = context.rt
    pending = context.state.get(NOTE) or {}
    if not pending:
        return ConversationHandler.END
    state = rules.Progress(pending["state"])
    rid, item_id = int(pending["rid"]), int(pending["item"])
    seen = await sw.progress_preview(rt, rid, item_id, state, note)
    if seen is None:
        context.state.pop(NOTE, None)
        await reply(update, _("这个项目已经不在菜单上了。"))
        return ConversationHandler.END
    pending["note"] = note
    news = "\n".join(render(_, line, rt.config.tz, rt.clock.now()) for line in seen.group.lines)
    text = "\n".join(
        [
            _("请核对，居民群里会看到："),
            "",
            news,
            "",
            _("会发到 {g} 个居民群，并私聊告诉点过这一项的 {n} 位住户。").format(
                g=seen.groups, n=seen.households
            ),
            _("要改说明，直接再发一句就行。"),
        ]
    )
    rows = [
        [btn(_(PUBLISH), F, "pgo", rid, item_id)],
        [btn(_("取消，不改进度"), F, "pno", rid, item_id)],
    ]
    await reply(update, text, reply_markup=InlineKeyboardMarkup(rows))
    return CONFIRM


async def confirm_press(update: Update, context: Context) -> int | None:
    """📣 确认发布 / 取消 under the preview: only for the item this form is about."""
    query = update.callback_query
    assert query is not None
    pending = context.state.get(NOTE) or {}
    try:
        cb = callbacks.unpack(query.data, F)
        rid, item_id = cb.int_arg(0, lo=1), cb.int_arg(1, lo=1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, f"menu progress confirm: {exc}")
        return CONFIRM
    if "note" not in pending or (rid, item_id) != (pending["rid"], pending["item"]):
        await refuse_callback(update, context, "menu progress confirm: not this form's item")
        return CONFIRM
    _ = await tr_chat(update, context)
    await answer_callback(update)
    await query.edit_message_reply_markup(None)
    if cb.action == "pno":
        return await note_cancel(update, context)
    return await _save(update, context, str(pending["note"]))


async def _save(update: Update, context: Context, note: str) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    pending = context.state.pop(NOTE, None) or {}
    rnd = await store.get_round(rt.db, int(pending.get("rid", 0)))
    if rnd is None or not await is_staff(rt, user.id, rnd["community_id"]):
        return ConversationHandler.END
    state = rules.Progress(pending["state"])
    nid = await sw.set_progress(rt, rnd["id"], int(pending["item"]), state, user.id, note)
    if nid is None:
        await reply(update, _("这个项目已经不在菜单上了。"))
        return ConversationHandler.END
    await rt.scheduler.run_key(sw.news_key(nid))
    await reply(update, _("已保存，并通知了居民群和点过这一项的住户。"))
    await _progress_list(update, context, rnd, edit=False)
    return ConversationHandler.END


async def note_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(NOTE, None)
    await reply(update, _("没有保存，进度没有改。"))
    return ConversationHandler.END


def conversation() -> ConversationHandler[Context]:
    text_only = tg_filters.TEXT & ~tg_filters.COMMAND
    return forms.Form(
        drafts=(NOTE,),
        timed_out=N_("刚才的进度说明没有写完，进度没有改。"),
        entry_points=[CallbackQueryHandler(progress_pick, pattern=callbacks.pattern(F, "pg"))],
        states={
            WRITE: [
                MessageHandler(text_only, note_text),
                CallbackQueryHandler(no_note, pattern=callbacks.pattern(F, "pn")),
            ],
            CONFIRM: [
                MessageHandler(text_only, note_text),  # a new sentence replaces the note
                CallbackQueryHandler(confirm_press, pattern=callbacks.pattern(F, "pgo", "pno")),
            ],
        },
        fallbacks=[CommandHandler("cancel", note_cancel)],
        name="menu_progress_note",
        persistent=True,
        allow_reentry=True,
    )


async def news_job(app: App, job: ScheduledJob) -> None:
    """A progress note's news: the groups, then the households that ordered the item, each
    at most once (a re-run after a crash skips whoever was sent already)."""
    news = await sw.progress_news(get_runtime(app), int(job.payload["n"]))
    if news is None:
        return
    await deliver(app, news.groups)
    await deliver(app, news.households)
