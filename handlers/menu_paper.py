"""Paper orders (纸质点单): a grid worker or staff member enters a household's order in private.

`/menu_paper 21-4-302` opens a keyboard like the resident's; the picks are a draft in the
person's state until 确认录入, which is one workflow call (bot/workflows/menu_paper.py). An
address nobody registered asks first whether to create a paper-only household; a household
that ordered online is shown its order and asked again before the paper one replaces it.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callbacks
from bot import menu as rules
from bot.community import Address, parse_full_address
from bot.i18n import N_, Translate
from bot.workflows import menu_paper as pwf
from handlers import outbox
from handlers.menu_common import PAPER, F, btn, item_name
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_private,
    refuse_callback,
    reply,
    tr_chat,
)
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)

STALE = N_("这个页面已经过期了，请重新发送 /menu_paper 门牌，核对后再确认。这次什么也没有保存。")
NEW = "menu_paper_new"  # state: the unregistered address waiting for 确认新建: [round, b, u, r]


def _drafts(context: Context) -> dict[str, list[int]]:
    drafts: dict[str, list[int]] = context.state.setdefault(PAPER, {})
    return drafts


def _key(round_id: int, household_id: int) -> str:
    return f"{round_id}:{household_id}"


def _refusal(_: Translate, refused: pwf.PaperRefusal, rnd: Row | None) -> str:
    k = rnd["max_picks"] if rnd is not None else rules.DEFAULT_K
    return {
        pwf.PaperRefusal.NO_ROUND: _("现在没有进行中的改造点单。"),
        pwf.PaperRefusal.CLOSED: _("这一轮点单已经结束，不能再改了。"),
        pwf.PaperRefusal.NOT_YOURS: _(
            "您只能为自己网格里的楼录入纸质点单，这次什么也没有改。"
            "其他楼请找负责的网格员或社区工作人员。"
        ),
        pwf.PaperRefusal.NOTHING_PICKED: _("还没有选项目。请先点选想改造的项目。"),
        pwf.PaperRefusal.TOO_MANY: _("最多只能选 {k} 项。").format(k=k),
    }.get(refused, _("菜单有变化，请重新选择。"))


async def menu_paper(update: Update, context: Context) -> None:
    """/menu_paper 21-4-302: a grid worker or staff enters a household's paper order."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
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
    paper = await pwf.start_paper_order(context.rt, community["id"], address, user.id)
    if paper.refused is pwf.PaperRefusal.UNKNOWN_ADDRESS and paper.round is not None:
        rid = paper.round["id"]
        context.state[NEW] = [rid, address.building, address.unit, address.room]
        await reply(
            update,
            _(
                "{address}还没有人登记过。请核对门牌：确认后会新建一户只交纸质点单的住户，"
                "它计入参与户数，不计入登记户数。门牌写错了就重新发送 /menu_paper 门牌。"
            ).format(address=address.label(_)),
            reply_markup=InlineKeyboardMarkup(
                [[btn(_("✅ 门牌没错，新建这一户"), F, "pnew", rid)]]
            ),
        )
        return
    await _show(update, context, paper, edit=False)


async def _show(
    update: Update, context: Context, paper: pwf.PaperOrder, *, edit: bool, fresh: bool = True
) -> None:
    """The paper keyboard; `fresh` starts the picks from what is saved, not from a draft."""
    _ = await tr_chat(update, context)
    if paper.refused is not None or paper.round is None or paper.address is None:
        refused = paper.refused or pwf.PaperRefusal.GONE
        if update.callback_query is not None:
            await answer_callback(update, _refusal(_, refused, paper.round), alert=True)
        else:
            await reply(update, _refusal(_, refused, paper.round))
        return
    rnd, hid = paper.round, paper.household_id
    key = _key(rnd["id"], hid)
    if fresh or key not in _drafts(context):
        _drafts(context)[key] = paper.saved
    await _paper_screen(update, context, paper, edit=edit)


async def _paper_screen(
    update: Update, context: Context, paper: pwf.PaperOrder, *, edit: bool
) -> None:
    _ = await tr_chat(update, context)
    rnd, hid, address = paper.round, paper.household_id, paper.address
    assert rnd is not None and address is not None
    items = await store.items(context.rt.db, rnd["id"])
    picks = _drafts(context).get(_key(rnd["id"], hid), [])
    k = rnd["max_picks"]
    lines = [
        _("纸质点单：{address}\n请按居民的纸质单点选（最多 {k} 项），然后确认。").format(
            address=address.label(_), k=k
        )
    ]
    if paper.online.item_ids:
        lines.append(
            _("⚠️ 这户已经在网上点单：{items}。确认录入前会再问您一次。").format(
                items=_names(_, items, paper.online.item_ids)
            )
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
    confirm = _("✅ 确认录入（{n}/{k}）").format(n=len(picks), k=k)
    rows.append([btn(confirm, F, "pok", rnd["id"], hid, rules.picks_mark(picks))])
    await _put(update, "\n".join(lines), InlineKeyboardMarkup(rows), edit=edit)


def _names(_: Translate, items: list[Row], ids: list[int]) -> str:
    return "、".join(item_name(_, i) for i in items if i["id"] in ids) or _("（空）")


async def _put(
    update: Update, text: str, markup: InlineKeyboardMarkup | None, *, edit: bool
) -> None:
    query = update.callback_query
    if edit and query is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except TelegramError as exc:  # "message is not modified" on a double tap
            log.debug("paper screen not edited: %s", exc)
        return
    await reply(update, text, reply_markup=markup)


async def _household(update: Update, context: Context, rnd: Row, hid: int) -> pwf.PaperOrder | None:
    """Server side, for every paper button: the household, and the presser may enter it."""
    user = update.effective_user
    assert user is not None
    paper = await pwf.paper_household(context.rt, rnd["id"], hid, user.id)
    if paper.refused is pwf.PaperRefusal.GONE:
        await refuse_callback(update, context, f"menu paper: no household {hid} in round")
        return None
    if paper.refused is not None:
        _ = await tr_chat(update, context)
        await answer_callback(update, _refusal(_, paper.refused, rnd), alert=True)
        return None
    return paper


async def paper_create(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """✅ 门牌没错，新建这一户: the address waiting in the person's state becomes a household."""
    user = update.effective_user
    assert user is not None
    pending = context.state.get(NEW)
    if not pending or pending[0] != rnd["id"]:
        await refuse_callback(update, context, "menu paper: no address waiting")
        return
    address = Address(pending[1], pending[2], pending[3])
    paper = await pwf.start_paper_order(
        context.rt, rnd["community_id"], address, user.id, create=True
    )
    context.state.pop(NEW, None)
    if paper.refused is None:
        await answer_callback(update)
    await _show(update, context, paper, edit=True)


async def paper_toggle(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    hid, item_id = cb.int_arg(1, lo=1), cb.int_arg(2, lo=1)
    paper = await _household(update, context, rnd, hid)
    if paper is None:
        return
    _ = await tr_chat(update, context)
    valid = [i["id"] for i in await store.items(context.rt.db, rnd["id"])]
    drafts = _drafts(context)
    key = _key(rnd["id"], hid)
    picks, problem = rules.toggle(drafts.get(key, paper.saved), item_id, rnd["max_picks"], valid)
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
    await _paper_screen(update, context, paper, edit=True)


async def paper_from_list(
    update: Update, context: Context, cb: callbacks.Callback, rnd: Row
) -> None:
    """📝 代录 on the list of households that have not ordered (/menu_unordered): the paper
    keyboard for that household, as a new message under the list (same checks as above)."""
    paper = await _household(update, context, rnd, cb.int_arg(1, lo=1))
    if paper is None:
        return
    await answer_callback(update)
    await _show(update, context, paper, edit=False)


async def paper_view(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """◀ 返回修改: the paper keyboard again, with the picks so far."""
    paper = await _household(update, context, rnd, cb.int_arg(1, lo=1))
    if paper is None:
        return
    await answer_callback(update)
    await _show(update, context, paper, edit=True, fresh=False)


async def paper_confirm(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    """确认录入: `pok <round> <household> <ticks>`, and 确认替换, which also names the online
    order it was shown (a fourth argument). The ticks are those the screen showed."""
    hid = cb.int_arg(1, lo=1)
    paper = await _household(update, context, rnd, hid)  # who may enter comes first
    if paper is None or paper.address is None:
        return
    shown = cb.str_arg(2)
    seen = cb.int_arg(3, lo=0) if len(cb.args) > 3 else None
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    picks = _drafts(context).get(_key(rnd["id"], hid), [])
    if shown != rules.picks_mark(picks):  # an old screen: its ticks are not the draft's
        log.info("menu paper %s/%s: stale screen of %s refused", rnd["id"], hid, user.id)
        await answer_callback(update, _(STALE), alert=True)
        return
    done = await pwf.record_paper_order(context.rt, rnd["id"], hid, picks, user.id, seen=seen)
    if done.refused is pwf.PaperRefusal.GONE:
        await refuse_callback(update, context, f"menu paper: household {hid} gone")
        return
    if done.refused is not None:
        await answer_callback(update, _refusal(_, done.refused, rnd), alert=True)
        return
    items = await store.items(context.rt.db, rnd["id"])
    label = paper.address.label(_)
    if done.ask is not None:  # the household ordered online: show it, confirm first
        await answer_callback(update)
        question = (
            _(
                "{address}已经有居民在网上点单：{online}。\n纸质单：{paper}。\n"
                "纸质单会和网上的点单一起计入这一户。确认录入吗？录入后会私聊告诉这户的居民。"
            )
            if rnd["per_person"]
            else _(
                "{address}已经在网上点单：{online}。\n纸质单：{paper}。\n"
                "确认录入会替换网上的点单，并私聊告诉这户的居民。确认替换吗？"
            )
        ).format(
            address=label,
            online=_names(_, items, done.ask.item_ids),
            paper=_names(_, items, picks),
        )
        markup = InlineKeyboardMarkup(
            [
                [btn(_("✅ 确认录入"), F, "pok", rnd["id"], hid, shown, done.ask.token)],
                [btn(_("◀ 返回修改"), F, "pv", rnd["id"], hid)],
            ]
        )
        await _put(update, question, markup, edit=True)
        return
    _drafts(context).pop(_key(rnd["id"], hid), None)
    await answer_callback(update, _("已保存"))
    lines = [_("已录入 {address} 的纸质点单（{n}项）。").format(address=label, n=len(picks))]
    if done.replaced:
        lines.append(_("它替换了这户在网上的点单。"))
    if done.tell:
        lines.append(_("已私聊告诉这户登记的居民。"))
    await _put(update, "\n".join(lines), None, edit=True)
    await outbox.deliver(context, done.tell)
