"""What residents do with their tickets: /my, a ticket's details and progress (the 📄 button,
which workers and staff use too), 我也遇到了, confirming the fix (or not) and rating it."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot import callbacks
from bot import repairs as rules
from bot.context import App
from bot.workflows import repairs as wf
from bot.workflows import repairs_access as access
from bot.workflows import repairs_talk as talk
from bot.workflows.outcome import Refused
from handlers.repairs_common import (
    FEATURE,
    announce,
    button,
    confirm_buttons,
    details,
    edit,
    headline,
    history_lines,
    markup,
    on_button,
    pressed,
    refuse,
    reply_button,
    send,
    send_photos,
    worker_buttons,
)
from handlers.shared import (
    Context,
    answer_callback,
    deep_link,
    is_private,
    refuse_callback,
    reply,
    tr_chat,
    tr_user,
)


def stars_row(tid: int) -> list[InlineKeyboardButton]:
    return [button("⭐" * n, "rate", tid, n) for n in range(1, 6)]


# ---- /my ------------------------------------------------------------------------------------
async def my_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(
            update,
            _("您的报修只在私聊里显示。"),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("私聊查看"), url=deep_link(context, "my"))]]
            ),
        )
        return
    rows = await access.my_tickets(context.rt, user.id)
    if not rows:
        await reply(update, _("您还没有报修。发送 /repair 报修。"))
        return
    lines = [_("您的报修：")]
    buttons = []
    for t in rows:
        if t["mine"]:
            follow = ""
        elif t["family"]:
            follow = " " + _("（家人{name}报的）").format(name=t["family"])
        else:
            follow = " " + _("（我也遇到了）")
        lines.append(headline(_, t) + follow)
        buttons.append([button(_("📄 #{id} 详情和进度").format(id=t["id"]), "v", t["id"])])
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons[:10]))


# ---- the ticket buttons residents press ----------------------------------------------------------
async def view_button(update: Update, context: Context) -> None:
    """📄 详情: the ticket, its history and photos, with the buttons this person may press."""
    press = await pressed(update, context)
    if press is None:
        return
    uid, tid = press.user_id, press.ticket_id
    rt = context.rt
    seen = await access.view(rt, uid, tid)
    if isinstance(seen, Refused):
        await refuse(update, context, seen)
        return
    await answer_callback(update)
    _ = await tr_user(context, press.user)
    t, actor = seen.ticket, seen.by.actor
    text = details(rt, _, t, personal=seen.by.personal)
    hist = history_lines(rt, _, seen.history, t, personal=seen.by.personal)
    if hist:
        text += "\n\n" + _("处理记录：") + "\n" + "\n".join(hist)
    rows = worker_buttons(_, t, actor) if seen.worker else []
    if actor.is_reporter and t["status"] == "resolved":
        rows.append(confirm_buttons(_, tid))
    if actor.is_reporter and t["status"] == "confirmed" and not t["rating"]:
        rows.append(stars_row(tid))
    if (actor.is_reporter or actor.is_follower) and t["status"] in rules.OPEN:
        rows.append(reply_button(_, tid))
    if actor.is_reporter and t["status"] in rules.OPEN:
        rows.append([button(_("↩️ 撤回报修"), "wd", tid)])
    await send(context, uid, text, markup(rows))
    await send_photos(context, uid, tid, seen.photos, seen.voices)


async def confirm_button(update: Update, context: Context) -> None:
    """👍 已解决 on a resolved ticket (👎 没解决 asks what is wrong: `repairs_talk`)."""
    press = await pressed(update, context)
    if press is None:
        return
    uid, tid = press.user_id, press.ticket_id
    changed = await wf.confirm(context.rt, uid, tid)
    if isinstance(changed, Refused):
        await refuse(update, context, changed)
        return
    _ = await tr_user(context, press.user)
    await answer_callback(update, _("好的"))
    text = _("谢谢确认！#{id} 已完成。请给这次处理打个分：").format(id=tid)
    stars = stars_row(tid)
    await edit(update, text, InlineKeyboardMarkup([stars[:3], stars[3:]]))
    await announce(context, changed)


async def withdraw_button(update: Update, context: Context) -> None:
    """↩️ 撤回 asks once more (wd); 确定撤回 (wdy) closes the resident's own open ticket."""
    press = await pressed(update, context)
    if press is None:
        return
    uid, tid = press.user_id, press.ticket_id
    _ = await tr_user(context, press.user)
    if press.cb.action == "wd":
        checked = await access.may(context.rt, uid, tid, rules.Action.WITHDRAW)
        if isinstance(checked, Refused):
            await refuse(update, context, checked)
            return
        await answer_callback(update)
        sure = InlineKeyboardMarkup([[button(_("确定撤回"), "wdy", tid)]])
        await send(context, uid, _("确定撤回 #{id} 吗？撤回后就不再处理了。").format(id=tid), sure)
        return
    changed = await wf.withdraw(context.rt, uid, tid)
    if isinstance(changed, Refused):
        await refuse(update, context, changed)
        return
    await answer_callback(update, _("已撤回"))
    await edit(update, _("已撤回 #{id}。需要时再发送 /repair。").format(id=tid), None)
    await announce(context, changed)


async def rate_button(update: Update, context: Context) -> None:
    press = await pressed(update, context)
    if press is None:
        return
    uid, tid = press.user_id, press.ticket_id
    try:
        stars = press.cb.int_arg(1)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    rated = await talk.rate(context.rt, uid, tid, stars)
    if isinstance(rated, Refused):
        await refuse(update, context, rated)
        return
    if isinstance(rated, access.Forged):
        await refuse_callback(update, context, rated.detail)
        return
    _ = await tr_user(context, press.user)
    await answer_callback(update, _("谢谢！"))
    await edit(
        update, _("谢谢您的评分：{stars}。#{id} 已完成。").format(stars="⭐" * stars, id=tid), None
    )


async def plus_one(update: Update, context: Context, tid: int) -> bool:
    """我也遇到了: follow an open ticket in the resident's own community. True when they do."""
    user = update.effective_user
    assert user is not None
    followed = await wf.follow(context.rt, user.id, tid)
    if isinstance(followed, Refused):
        await refuse(update, context, followed)
        return False
    _ = await tr_user(context, user)
    await answer_callback(update, _("已记下"))
    await reply(
        update,
        _("已记下：您也遇到了 #{id}（共 {n} 户）。进度会私信告诉您，不用重复报修。").format(
            id=tid, n=followed.households
        ),
    )
    return True


async def plus_button(update: Update, context: Context) -> None:
    """我也遇到了 on a ticket outside the filing conversation (an old suggestion)."""
    press = await pressed(update, context)
    if press is not None:
        await plus_one(update, context, press.ticket_id)


def register(app: App) -> None:
    app.add_handler(on_button(view_button, FEATURE, "v"))
    app.add_handler(on_button(confirm_button, FEATURE, "ok"))
    app.add_handler(on_button(withdraw_button, FEATURE, "wd", "wdy"))
    app.add_handler(on_button(rate_button, FEATURE, "rate"))
    app.add_handler(on_button(plus_button, FEATURE, "plus"))
    app.add_handler(CommandHandler("start", my_command, filters.Regex(r"^/start my$")))
    app.add_handler(CommandHandler("my", my_command))
