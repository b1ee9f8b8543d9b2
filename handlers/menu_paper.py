"""Paper orders (纸质点单): a grid worker or staff member enters a household's order in private.

`/menu_paper 21-4-302` opens a keyboard like the resident's; the picks are a draft in the
person's state until 确认录入, which is one workflow call.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callbacks
from bot import menu as rules
from bot.community import Address, parse_full_address
from bot.workflows import menu as wf
from handlers.menu_common import PAPER, F, btn, item_name
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    has_any_role,
    is_private,
    refuse_callback,
    reply,
    tr_chat,
)
from storage import community as cstore
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)


def _drafts(context: Context) -> dict[str, list[int]]:
    drafts: dict[str, list[int]] = context.state.setdefault(PAPER, {})
    return drafts


def _key(round_id: int, household_id: int) -> str:
    return f"{round_id}:{household_id}"


async def menu_paper(update: Update, context: Context) -> None:
    """/menu_paper 21-4-302: a grid worker or staff enters a household's paper order."""
    _ = await tr_chat(update, context)
    if not is_private(update):
        # Do not echo the room number in the group.
        await reply(update, _("门牌是个人信息，请在私聊里发送 /menu_paper 门牌。"))
        return
    community = await acting_community(update, context, _, "staff", "grid_worker")
    if community is None:
        return
    address = parse_full_address(" ".join(context.args or []))
    if address is None:
        await reply(update, _("用法：/menu_paper 楼号-单元-门牌，例如：/menu_paper 21-4-302"))
        return
    paper = await wf.start_paper_order(context.rt, community["id"], address)
    if paper is None:
        await reply(update, _("现在没有进行中的改造点单。"))
        return
    _drafts(context)[_key(paper.round["id"], paper.household_id)] = paper.saved
    await _paper_screen(update, context, paper.round, paper.household_id, address, edit=False)


async def _paper_screen(
    update: Update, context: Context, rnd: Row, hid: int, address: Address, *, edit: bool
) -> None:
    _ = await tr_chat(update, context)
    items = await store.items(context.rt.db, rnd["id"])
    picks = _drafts(context).get(_key(rnd["id"], hid), [])
    k = rnd["max_picks"]
    text = _("纸质点单：{address}\n请按居民的纸质单点选（最多 {k} 项），然后确认。").format(
        address=address.label(_), k=k
    )
    rows = [
        [
            btn(
                ("☑ " if i["id"] in picks else "☐ ") + item_name(_, i),
                F,
                "pt",
                rnd["id"],
                hid,
                i["id"],
            )
        ]
        for i in items
    ]
    rows.append(
        [btn(_("✅ 确认录入（{n}/{k}）").format(n=len(picks), k=k), F, "pok", rnd["id"], hid)]
    )
    markup = InlineKeyboardMarkup(rows)
    query = update.callback_query
    if edit and query is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except TelegramError as exc:
            log.debug("paper screen not edited: %s", exc)
        return
    await reply(update, text, reply_markup=markup)


async def _paper_household(update: Update, context: Context, rnd: Row, hid: int) -> Address | None:
    """Server side: a household of the round's community, and staff or a grid worker there."""
    rt = context.rt
    user = update.effective_user
    assert user is not None
    row = await cstore.get_household(rt.db, hid)
    if (
        row is None
        or row["community_id"] != rnd["community_id"]
        or not is_private(update)
        or not await has_any_role(rt, user.id, rnd["community_id"], "staff", "grid_worker")
    ):
        await refuse_callback(update, context, f"menu paper: not allowed for household {hid}")
        return None
    return Address(row["building"], row["unit"], row["room"])


async def paper_toggle(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    hid, item_id = cb.int_arg(1), cb.int_arg(2)
    address = await _paper_household(update, context, rnd, hid)
    if address is None:
        return
    _ = await tr_chat(update, context)
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return
    valid = [i["id"] for i in await store.items(context.rt.db, rnd["id"])]
    drafts = _drafts(context)
    key = _key(rnd["id"], hid)
    picks, problem = rules.toggle(drafts.get(key, []), item_id, rnd["max_picks"], valid)
    if problem is not None:
        await answer_callback(
            update,
            _("最多只能选 {k} 项。请先点掉一项，再选这一项。").format(k=rnd["max_picks"])
            if problem is rules.PickError.TOO_MANY
            else _("这个项目已经从菜单上撤下了，请重新选择。"),
            alert=True,
        )
        return
    drafts[key] = picks
    await answer_callback(update)
    await _paper_screen(update, context, rnd, hid, address, edit=True)


async def paper_confirm(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    hid = cb.int_arg(1)
    address = await _paper_household(update, context, rnd, hid)
    if address is None:
        return
    _ = await tr_chat(update, context)
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    picks = _drafts(context).get(_key(rnd["id"], hid), [])
    done = await wf.record_paper_order(context.rt, rnd["id"], hid, picks, user.id)
    if done.refused is not None:
        await answer_callback(
            update,
            _("还没有选项目。请先点选想改造的项目。")
            if done.refused is wf.OrderRefusal.NOTHING_PICKED
            else _("这一轮点单已经结束，不能再改了。")
            if done.refused is wf.OrderRefusal.CLOSED
            else _("菜单有变化，请重新选择。"),
            alert=True,
        )
        return
    _drafts(context).pop(_key(rnd["id"], hid), None)
    await answer_callback(update, _("已保存"))
    await query.edit_message_text(
        _("已录入 {address} 的纸质点单（{n}项）。").format(address=address.label(_), n=len(picks))
    )
