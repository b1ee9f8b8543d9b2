"""Progress of the renovation items: /progress for everyone, /menu_progress for staff to set it."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks
from bot import menu as rules
from bot.workflows import menu as wf
from handlers.menu_common import F, btn, home_community, item_name
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


async def progress_command(update: Update, context: Context) -> None:
    """/progress: each item of the last closed round, its progress and how many ordered it."""
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
    progress = {r["id"]: rules.Progress(r["progress"]) for r in await store.items(rt.db, rnd["id"])}
    lines = [_("【{community}改造进度】").format(community=community["name"])]
    for item in res.items:
        state = progress[item.item_id]
        lines.append(
            _("{icon} {name}：{state}（{n}户点单）").format(
                icon=rules.PROGRESS_ICONS[state],
                name=_(item.name),
                state=_(rules.PROGRESS_NAMES[state]),
                n=item.households,
            )
        )
    await reply_long(update, "\n".join(lines))


async def menu_progress(update: Update, context: Context) -> None:
    """/menu_progress (staff): the items of the last closed round, to pick one."""
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
    _ = await tr_chat(update, context)
    items = await store.items(context.rt.db, rnd["id"])
    rows = []
    for i in items:
        state = rules.Progress(i["progress"])
        label = (
            f"{rules.PROGRESS_ICONS[state]} {item_name(_, i)} · {_(rules.PROGRESS_NAMES[state])}"
        )
        rows.append([btn(label, F, "pi", rnd["id"], i["id"])])
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
    rows = [
        [
            btn(
                f"{rules.PROGRESS_ICONS[p]} {_(rules.PROGRESS_NAMES[p])}",
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
        _("“{item}”现在的进度：").format(item=item_name(_, item)),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def progress_set(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """A state picked: saved (audited), and the list shown again."""
    if not await _progress_staff(update, context, rnd):
        return
    try:
        state = rules.Progress(cb.str_arg(2))
    except ValueError:
        await refuse_callback(update, context, "menu progress: unknown state")
        return
    user = update.effective_user
    assert user is not None
    if not await wf.set_progress(context.rt, rnd["id"], cb.int_arg(1, lo=1), state, user.id):
        await refuse_callback(update, context, "menu progress: unknown item")
        return
    _ = await tr_chat(update, context)
    await answer_callback(update, _("已保存"))
    await _progress_list(update, context, rnd, edit=True)
