"""A wish typed as a plain sentence ("我要加装电梯", "希望装个充电桩", "install a lift"): the
renovation menu answers where that wish stands instead of 没看懂 or a whole results table —
on this round's menu (tick it), not on it (💡 提建议), ordering over (its progress), or no
round yet (the group will be told when one opens)."""

from __future__ import annotations

from telegram import Update

from bot import menu as rules
from bot.workflows import menu as wf
from handlers.menu_common import home_community, item_name
from handlers.menu_order import menu_command, order_screen
from handlers.menu_progress import note_line
from handlers.shared import Context, reply, tr_chat


async def wish(update: Update, context: Context, word: str) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    community = await home_community(context.rt, user.id)
    if community is None:  # not registered anywhere: /menu says what to do
        await menu_command(update, context)
        return
    found = await wf.wish(context.rt, community["id"], word)
    rnd, item = found.round, found.item
    if rnd is None:
        await reply(
            update,
            _(
                "现在没有进行中的改造点单。下一轮点单开始时，群里会通知大家；"
                "到时可以点单，也可以用 💡 提建议 说说您的想法。"
            ),
        )
        return
    if rnd["status"] == "open":
        if item is not None:
            hint = _("您说的“{item}”在这次的菜单上：请在下面勾选它，再点“确认点单”。").format(
                item=item_name(_, item)
            )
        else:
            hint = _(
                "这次的菜单上没有您说的这一项。可以点下面的 💡 提建议，把您的想法告诉社区工作人员。"
            )
        await reply(update, hint)
        await order_screen(update, context, rnd["id"], reload=True, edit=False)
        return
    lines = [_("这一轮点单已经结束了。")]
    if item is not None:
        state = rules.Progress(item["progress"])
        lines.append(
            _("“{item}”现在的进度：{icon} {state}").format(
                item=item_name(_, item),
                icon=rules.PROGRESS_ICONS[state],
                state=_(rules.PROGRESS_NAMES[state]),
            )
        )
        note = note_line(context.rt, _, item)
        if note:
            lines.append(note.strip())
    else:
        lines.append(_("下一轮点单开始时，群里会通知大家，到时可以点单或提建议。"))
    lines.append(_("发送 /progress 可以看各项目的进度。"))
    await reply(update, "\n".join(lines))
