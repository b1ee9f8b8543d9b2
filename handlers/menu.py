"""Renovation menu (菜单服务): staff open a round, households order privately, results posted."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot import menu as rules
from bot.commands import Audience, declare
from bot.community import Address, parse_full_address
from bot.context import BotContext
from bot.i18n import N_, Translate
from bot.menu_chart import render_ranking
from bot.runtime import Runtime
from bot.scheduler import ScheduledJob
from handlers.community import AFTER_REGISTER
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    deep_link,
    group_community,
    has_any_role,
    is_group,
    is_private,
    is_staff,
    refuse_callback,
    reply,
    send_private,
    tr_chat,
    tr_group,
    tr_user,
)
from storage import community as cstore
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)

declare("menu", N_("看改造菜单、点单"), Audience.RESIDENT, order=20)
declare("progress", N_("看改造项目的进度"), Audience.EVERYONE, order=21)
declare("menu_open", N_("开一轮改造点单"), Audience.STAFF, order=20)
declare("menu_close", N_("结束本轮点单并公布结果"), Audience.STAFF, order=21)
declare("menu_results", N_("查看点单结果"), Audience.STAFF, order=22)
declare("menu_export", N_("导出点单结果（CSV）"), Audience.STAFF, order=23)
declare("menu_progress", N_("更新改造项目进度"), Audience.STAFF, order=24)
declare("menu_paper", N_("代录纸质点单：/menu_paper 21-4-302"), Audience.GRID_WORKER, order=20)

F = "mn"  # resident and staff buttons outside conversations
FO = "mo"  # buttons of the /menu_open conversation
DRAFTS = "menu_picks"  # user_data: {round_id: {"picks": [...], "dirty": bool}}
OPENING = "menu_opening"  # user_data: settings while staff prepare a round
PAPER = "menu_paper"  # user_data: {"<round>:<household>": [...]}
TALK = "menu_talk"  # user_data: what the next text is for (comment / suggestion)
EDIT, TEXT, DEADLINE = range(3)
TALK_TEXT = 10
REMIND_BEFORE = timedelta(hours=24)


def _now(rt: Runtime) -> float:
    return rt.clock.now().timestamp()


def _when(rt: Runtime, _: Translate, epoch: float | None) -> str:
    if epoch is None:
        return _("不设截止，由工作人员结束")
    d = datetime.fromtimestamp(epoch, UTC).astimezone(rt.config.tz)
    return _("{month}月{day}日 {hm}").format(month=d.month, day=d.day, hm=d.strftime("%H:%M"))


def _name(_: Translate, row: Row, key: str = "name") -> str:
    """Item names are data (the defaults are msgids): translated where shown."""
    return _(row[key])


def _btn(text: str, *parts: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(*map(str, parts)))


def _drafts(context: Context) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFTS, {})  # type: ignore[union-attr]


async def _home_community(rt: Runtime, user_id: int) -> Row | None:
    """For a resident in private: the registered community, else the only one there is."""
    for row in await cstore.residencies_of(rt.db, user_id):
        return await cstore.get_community(rt.db, row["community_id"])
    mine = await cstore.communities_of(rt.db, user_id)
    if len(mine) == 1:
        return mine[0]
    everything = await cstore.list_communities(rt.db)
    return everything[0] if len(everything) == 1 else None


# ---- texts -------------------------------------------------------------------------------------
def _items_lines(_: Translate, items: list[Row], *, descriptions: bool = True) -> list[str]:
    lines = []
    for n, item in enumerate(items, start=1):
        line = f"{n}. {_name(_, item)}"
        if descriptions and item["description"]:
            line += f"（{item['description']}）"
        lines.append(line)
    return lines


async def _menu_post(rt: Runtime, _: Translate, rnd: Row, community_name: str) -> str:
    items = await store.items(rt.db, rnd["id"])
    how = _("每人") if rnd["per_person"] else _("每户")
    head = [
        _("【{community}改造点单】").format(community=community_name),
        _("请从下面的改造项目里，选出最想先做的，{who}最多选 {k} 项：").format(
            who=how, k=rnd["max_picks"]
        ),
    ]
    tail = [
        _("截止时间：{when}").format(when=_when(rt, _, rnd["deadline"])),
        _("请点下面的按钮，在私聊里点单。"),
    ]
    return "\n".join(head + _items_lines(_, items) + tail)


def _results_text(
    rt: Runtime,
    _: Translate,
    rnd: Row,
    community_name: str,
    res: rules.Results,
    *,
    final: bool,
    public: bool = True,
) -> str:
    """Ranked results. `public` (a group) hides the breakdown of buildings so small that it
    would tell the neighbours what one household chose."""
    title = (
        _("【{community}改造点单结果】") if final else _("【{community}点单实时统计】")
    ).format(community=community_name)
    lines = [
        title,
        _("参与 {p} 户，登记 {r} 户，参与率 {t}").format(
            p=res.participants, r=res.registered, t=rules.percent(res.turnout)
        ),
    ]
    if final and res.participants == 0:  # a closed round nobody ordered in: nothing to rank
        lines.append(_("本轮没有收到点单。"))
        return "\n".join(lines)
    for item in res.items:
        lines.append(
            _("第{rank}名 {name}：{n}户（{share}）").format(
                rank=item.rank,
                name=_(item.name),
                n=item.households,
                share=rules.percent(item.share),
            )
        )
    names = {i.item_id: _(i.name) for i in res.items}
    if res.buildings:
        lines.append(_("分楼统计："))
    for b in res.buildings:
        if public and b.participants < rules.MIN_PUBLIC_HOUSEHOLDS:
            lines.append(
                _("{building}号楼：参与{p}/{r}户（户数少，不公布明细）").format(
                    building=b.building, p=b.participants, r=b.registered
                )
            )
            continue
        top = sorted(b.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        picks = "、".join(f"{names[i]}{n}" for i, n in top if i in names) or _("暂无")
        lines.append(
            _("{building}号楼：参与{p}/{r}户；{top}").format(
                building=b.building, p=b.participants, r=b.registered, top=picks
            )
        )
    if final:
        lines.append(_("谢谢大家！发送 /progress 可以看各项目的进度。"))
    return "\n".join(lines)


def _chart(_: Translate, community_name: str, res: rules.Results) -> Any:
    return render_ranking(
        _("{community}改造点单结果").format(community=community_name),
        [_(i.name) for i in res.items],
        [i.households for i in res.items],
        [rules.percent(i.share) for i in res.items],
        _("点单户数"),
    )


# ---- resident ordering -------------------------------------------------------------------------
async def _resident(rt: Runtime, user_id: int, community_id: int) -> Row | None:
    return await cstore.get_resident(rt.db, user_id, community_id)


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
    resident = await _resident(rt, user.id, rnd["community_id"])
    order, saved = await _current_order(rt, rnd, resident, user.id)
    draft = _drafts(context).get(str(round_id))
    if draft is None or (reload and not draft.get("dirty")):
        draft = {"picks": saved, "dirty": False}
        _drafts(context)[str(round_id)] = draft
    valid = {i["id"] for i in items}
    draft["picks"] = [p for p in draft["picks"] if p in valid]  # items removed meanwhile
    picks: list[int] = draft["picks"]
    k = rnd["max_picks"]
    lines = [
        _("【{community}改造点单】").format(community=community["name"]),
        _("请点选最想先做的项目，最多 {k} 项，选好后点“确认点单”。").format(k=k),
        _("截止时间：{when}").format(when=_when(rt, _, rnd["deadline"])),
    ]
    if order is not None:
        by = order["first_name"] or _("纸质录入")
        who = _("您") if order["user_id"] == user.id else by
        mine = "、".join(_name(_, i) for i in items if i["id"] in saved) or _("（空）")
        scope = _("您的点单") if rnd["per_person"] else _("您家目前的点单")
        lines.append(_("{scope}：{items}（{who}确认）").format(scope=scope, items=mine, who=who))
    if draft.get("dirty"):
        lines.append(_("已选 {n}/{k} 项，还没有确认。").format(n=len(picks), k=k))
    rows = [
        [_btn(("☑ " if i["id"] in picks else "☐ ") + _name(_, i), F, "t", round_id, i["id"])]
        for i in items
    ]
    rows.append([_btn(_("✅ 确认点单（{n}/{k}）").format(n=len(picks), k=k), F, "ok", round_id)])
    rows.append([_btn(_("💬 议一议"), F, "cl", round_id), _btn(_("💡 提建议"), F, "s", round_id)])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    query = update.callback_query
    if edit and query is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
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
        community = await _home_community(rt, user.id)
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
        await reply(
            update,
            _results_text(
                rt, _, rnd, community["name"], res, final=True, public=not is_private(update)
            ),
        )
        return
    if is_private(update):
        await order_screen(update, context, rnd["id"], reload=True, edit=False)
        return
    text = await _menu_post(rt, _, rnd, community["name"])
    if rnd["live"]:
        res = await store.results(rt.db, rnd["id"], community["id"])
        text += "\n\n" + _results_text(rt, _, rnd, community["name"], res, final=False)
    await reply(
        update,
        text,
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("🛒 去私聊点单"), url=deep_link(context, f"menu-{rnd['id']}")
                    )
                ]
            ]
        ),
    )


async def start_menu_link(update: Update, context: Context) -> None:
    """/start menu-<round>: the button under the menu post."""
    arg = (context.args or [""])[0]
    await order_screen(update, context, int(arg.split("-", 1)[1]), reload=True, edit=False)


async def after_register(update: Update, context: Context, arg: str) -> None:
    if arg.isdigit():
        await order_screen(update, context, int(arg), reload=False, edit=False)


async def menu_button(update: Update, context: Context) -> None:
    """Every `mn` button; each is re-checked against the database."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    try:
        cb = callbacks.unpack(query.data, F)
        round_id = cb.int_arg(0)
        handler = _BUTTONS[cb.action]
    except (callbacks.BadCallback, KeyError) as exc:
        await refuse_callback(update, context, f"menu: {exc}")
        return
    rt = context.rt
    rnd = await store.get_round(rt.db, round_id)
    if rnd is None:
        await refuse_callback(update, context, f"menu: no round {round_id}")
        return
    await handler(update, context, cb, rnd)


async def _toggle(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    _ = await tr_user(context, update.effective_user)  # type: ignore[arg-type]
    if not is_private(update):
        await refuse_callback(update, context, "order button outside a private chat")
        return
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return
    rt = context.rt
    item_id = cb.int_arg(1)
    valid = [i["id"] for i in await store.items(rt.db, rnd["id"])]
    if item_id not in valid:
        await answer_callback(update, _("这个项目已经从菜单上撤下了，请重新选择。"), alert=True)
        await order_screen(update, context, rnd["id"], reload=False, edit=True)
        return
    draft = _drafts(context).get(str(rnd["id"]))
    if draft is None:  # an old message after a restart without a draft: start from the order
        await order_screen(update, context, rnd["id"], reload=True, edit=True)
        draft = _drafts(context)[str(rnd["id"])]
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


async def _confirm(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    user = update.effective_user
    assert user is not None
    _ = await tr_user(context, user)
    rt = context.rt
    if not is_private(update):
        await refuse_callback(update, context, "order button outside a private chat")
        return
    resident = await _resident(rt, user.id, rnd["community_id"])
    if resident is None:
        # Keep the draft; registration comes back here through AFTER_REGISTER.
        context.user_data["after_register"] = ("menu", str(rnd["id"]))  # type: ignore[index]
        await answer_callback(update)
        await reply(
            update,
            _("点单前请先登记您家的门牌，您选的项目会保留。"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            _("🏠 登记住户"), callback_data=callbacks.pack("reg", "go")
                        )
                    ]
                ]
            ),
        )
        return
    draft = _drafts(context).get(str(rnd["id"])) or {"picks": []}
    picks = list(draft["picks"])
    if not picks:
        await answer_callback(update, _("还没有选项目。请先点选想改造的项目。"), alert=True)
        return
    async with rt.db.transaction() as tx:
        placed = await store.place_order(
            tx,
            rnd["id"],
            household_id=resident["household_id"],
            user_id=user.id,
            picks=picks,
            now=_now(rt),
        )
    if not placed.ok:
        text = {
            "closed": _("这一轮点单已经结束，不能再改了。"),
            "too_many": _("最多只能选 {k} 项。").format(k=rnd["max_picks"]),
        }.get(placed.reason, _("菜单有变化，请重新选择。"))
        await answer_callback(update, text, alert=True)
        return
    draft.update(picks=picks, dirty=False)
    _drafts(context)[str(rnd["id"])] = draft
    await answer_callback(update, _("已保存"))
    items = {i["id"]: _name(_, i) for i in await store.items(rt.db, rnd["id"])}
    chosen = "、".join(items[i] for i in picks if i in items)
    text = (
        _("点单已更新：{items}。截止前还可以再改。")
        if placed.replaced
        else _("点单成功：{items}。截止前还可以再改。")
    ).format(items=chosen)
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(
            text, reply_markup=InlineKeyboardMarkup([[_btn(_("✏️ 修改点单"), F, "re", rnd["id"])]])
        )
    except TelegramError as exc:  # a double tap: the first one already edited it
        log.debug("confirm not edited: %s", exc)


async def _reopen(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    await answer_callback(update)
    await order_screen(update, context, rnd["id"], reload=True, edit=True)


async def _comment_list(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    _ = await tr_user(context, update.effective_user)  # type: ignore[arg-type]
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return
    await answer_callback(update)
    items = await store.items(context.rt.db, rnd["id"])
    rows = [[_btn(_name(_, i), F, "c", rnd["id"], i["id"])] for i in items]
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
        rnd = await store.get_round(rt.db, cb.int_arg(0))
        item = (
            await store.get_item(rt.db, cb.int_arg(0), cb.int_arg(1)) if cb.action == "c" else None
        )
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return ConversationHandler.END
    if rnd is None or (cb.action == "c" and item is None):
        await refuse_callback(update, context, "menu talk: unknown round or item")
        return ConversationHandler.END
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return ConversationHandler.END
    await answer_callback(update)
    context.user_data[TALK] = [rnd["id"], item["id"] if item else None]  # type: ignore[index]
    if item is not None:
        await reply(
            update,
            _("请写下您对“{item}”的意见（{n}字以内），发送 /cancel 取消。").format(
                item=_name(_, item), n=rules.MAX_COMMENT
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
    rt = context.rt
    round_id, item_id = context.user_data.get(TALK) or [None, None]  # type: ignore[union-attr]
    text = rules.clean_text(message.text or "", rules.MAX_COMMENT)
    if text is None:
        await reply(
            update, _("请写{n}字以内的文字，或发送 /cancel 取消。").format(n=rules.MAX_COMMENT)
        )
        return TALK_TEXT
    rnd = await store.get_round(rt.db, round_id) if round_id else None
    context.user_data.pop(TALK, None)  # type: ignore[union-attr]
    if rnd is None or rnd["status"] != "open":
        await reply(update, _("这一轮点单已经结束，不能再改了。"))
        return ConversationHandler.END
    await store.add_comment(rt.db, rnd["id"], item_id, user.id, text, _now(rt))
    await reply(update, _("谢谢！您的意见已转给社区工作人员。"))
    return ConversationHandler.END


async def talk_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.user_data.pop(TALK, None)  # type: ignore[union-attr]
    await reply(update, _("已取消。"))
    return ConversationHandler.END


# ---- /menu_open conversation ------------------------------------------------------------------
def _settings(context: Context) -> dict[str, Any]:
    return context.user_data.setdefault(OPENING, {})  # type: ignore[union-attr]


async def _show_draft(update: Update, context: Context, rid: int, note: str = "") -> int:
    rt = context.rt
    _ = await tr_chat(update, context)
    items = await store.items(rt.db, rid)
    lines = ([note] if note else []) + [_("本轮菜单（可以添加、改名、加说明、删除）：")]
    lines += _items_lines(_, items)
    rows = [
        [_btn(_("➕ 添加"), FO, "add", rid), _btn(_("✏️ 改名"), FO, "ren", rid)],
        [_btn(_("📝 加说明"), FO, "desc", rid), _btn(_("🗑 删除"), FO, "del", rid)],
        [_btn(_("下一步：设置 ▶"), FO, "next", rid)],
        [_btn(_("取消本轮"), FO, "x", rid)],
    ]
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def _show_settings(update: Update, context: Context, rid: int) -> int:
    _ = await tr_chat(update, context)
    s = _settings(context)
    k = s.get("k", rules.DEFAULT_K)
    lines = [_("每户最多选几项？现在是 {k} 项。").format(k=k)]
    rows = [
        [
            _btn(("● " if n == k else "") + str(n), FO, "k", rid, n)
            for n in range(1, rules.MAX_K + 1)
        ],
        [_btn(_("一人一单") if s.get("per_person") else _("一户一单"), FO, "mode", rid)],
        [_btn(_("随时公布统计") if s.get("live") else _("截止后公布统计"), FO, "live", rid)],
        [_btn(_("◀ 改菜单"), FO, "back", rid), _btn(_("下一步：截止时间 ▶"), FO, "dl", rid)],
    ]
    lines.append(_("点按钮可以切换：一户一单/一人一单，截止后公布/随时公布。"))
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def menu_open(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    if not is_group(update):
        await reply(update, _("请在社区居民群里发送 /menu_open。"))
        return ConversationHandler.END
    community = await acting_community(update, context, _)
    if community is None:
        return ConversationHandler.END
    active = await store.active_round(rt.db, community["id"])
    if active is not None and active["status"] == "open":
        await reply(
            update,
            _("本轮点单正在进行，居民已经可以点单，菜单不能再改。要结束请发送 /menu_close。"),
        )
        return ConversationHandler.END
    rid = active["id"] if active else None
    if rid is None:
        async with rt.db.transaction() as tx:
            rid = await store.create_draft(
                tx, community["id"], user.id, _now(rt), rules.DEFAULT_ITEMS
            )
            await cstore.audit(tx, community["id"], user.id, "menu_draft", str(rid))
    if rid is None:
        await reply(
            update,
            _("本轮点单正在进行，居民已经可以点单，菜单不能再改。要结束请发送 /menu_close。"),
        )
        return ConversationHandler.END
    context.user_data[OPENING] = {"rid": rid, "k": rules.DEFAULT_K}  # type: ignore[index]
    return await _show_draft(update, context, rid)


async def _check_opening(update: Update, context: Context, rid: int) -> Row | None:
    """Server side: still staff, still a draft of this chat's community."""
    rt = context.rt
    user = update.effective_user
    group = await group_community(update, context)
    rnd = await store.get_round(rt.db, rid)
    if (
        user is None
        or group is None
        or rnd is None
        or rnd["community_id"] != group["community_id"]
        or not await is_staff(rt, user.id, rnd["community_id"])
    ):
        await refuse_callback(update, context, f"menu_open: not allowed for round {rid}")
        return None
    if not await store.editable(rt.db, rid):
        _ = await tr_user(context, user)
        await answer_callback(update, _("这一轮已经开始点单，菜单不能再改。"), alert=True)
        return None
    return rnd


async def open_button(update: Update, context: Context) -> int | None:
    query = update.callback_query
    assert query is not None
    try:
        cb = callbacks.unpack(query.data, FO)
        rid = cb.int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return None
    rnd = await _check_opening(update, context, rid)
    if rnd is None:
        return None
    rt = context.rt
    _ = await tr_chat(update, context)
    s = _settings(context)
    s["rid"] = rid
    act = cb.action
    await answer_callback(update)
    if act in ("ren", "desc", "del"):
        items = await store.items(rt.db, rid)
        rows = [[_btn(_name(_, i), FO, "pk", rid, i["id"], act)] for i in items]
        rows.append([_btn(_("◀ 返回"), FO, "back", rid)])
        await reply(update, _("请选择项目："), reply_markup=InlineKeyboardMarkup(rows))
        return EDIT
    if act == "pk":
        item = await store.get_item(rt.db, rid, cb.int_arg(1))
        op = cb.str_arg(2)
        if item is None or op not in ("ren", "desc", "del"):
            await refuse_callback(update, context, "menu_open: unknown item or op")
            return None
        if op == "del":
            async with rt.db.transaction() as tx:
                if await store.editable(tx, rid):
                    await store.remove_item(tx, rid, item["id"])
            return await _show_draft(
                update, context, rid, _("已删除：{item}").format(item=_name(_, item))
            )
        s["wait"] = [op, item["id"]]
        await reply(
            update,
            (
                _("请输入“{item}”的新名称：")
                if op == "ren"
                else _("请输入“{item}”的说明（{n}字以内）：")
            ).format(item=_name(_, item), n=rules.MAX_DESCRIPTION),
        )
        return TEXT
    if act == "add":
        s["wait"] = ["add", None]
        await reply(update, _("请输入新项目的名称，例如：增设健身器材"))
        return TEXT
    if act == "back":
        return await _show_draft(update, context, rid)
    if act == "next":
        return await _show_settings(update, context, rid)
    if act == "k":
        k = cb.int_arg(1)
        if not 1 <= k <= rules.MAX_K:
            await refuse_callback(update, context, f"menu_open: k={k}")
            return None
        s["k"] = k
        return await _show_settings(update, context, rid)
    if act == "mode":
        s["per_person"] = not s.get("per_person")
        return await _show_settings(update, context, rid)
    if act == "live":
        s["live"] = not s.get("live")
        return await _show_settings(update, context, rid)
    if act == "dl":
        await reply(
            update,
            _("请输入截止时间，例如：5月31日 18:00，或：3天后。"),
            reply_markup=InlineKeyboardMarkup([[_btn(_("不设截止"), FO, "nodl", rid)]]),
        )
        return DEADLINE
    if act == "nodl":
        s["deadline"] = None
        return await _show_confirm(update, context, rid)
    if act == "go":
        return await _go(update, context, rnd)
    if act == "x":
        async with rt.db.transaction() as tx:
            await store.discard_draft(tx, rid)
        context.user_data.pop(OPENING, None)  # type: ignore[union-attr]
        await reply(update, _("已取消，本轮没有开始。"))
        return ConversationHandler.END
    await refuse_callback(update, context, f"menu_open: unknown action {act}")
    return None


async def open_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    s = _settings(context)
    rid, wait = s.get("rid"), s.get("wait") or ["add", None]
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    rnd = await store.get_round(rt.db, rid) if rid else None
    if rnd is None or not await is_staff(rt, user.id, rnd["community_id"]):
        return ConversationHandler.END
    op, item_id = wait
    value = (
        rules.clean_text(message.text or "", rules.MAX_DESCRIPTION)
        if op == "desc"
        else rules.clean_item_name(message.text or "")
    )
    if value is None:
        await reply(
            update, _("太长或看不懂，请重新输入（名称{n}字以内）。").format(n=rules.MAX_NAME)
        )
        return TEXT
    async with rt.db.transaction() as tx:
        if not await store.editable(tx, rid):
            done = None
        elif op == "add":
            done = await store.add_item(tx, rid, value)
        elif op == "ren":
            done = await store.rename_item(tx, rid, item_id, value)
        else:
            done = await store.describe_item(tx, rid, item_id, value)
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
    try:
        when = rules.parse_deadline(message.text or "", rt.clock.now(), rt.config.tz)
    except rules.BadDeadline:
        await reply(
            update, _("没看懂这个时间，或者时间已经过去了。请这样写：5月31日 18:00，或：3天后。")
        )
        return DEADLINE
    s["deadline"] = when.timestamp() if when else None
    return await _show_confirm(update, context, s["rid"])


async def _show_confirm(update: Update, context: Context, rid: int) -> int:
    _ = await tr_chat(update, context)
    rt = context.rt
    s = _settings(context)
    items = await store.items(rt.db, rid)
    lines = [
        _("请核对："),
        *_items_lines(_, items, descriptions=False),
        _("每{who}最多选 {k} 项").format(
            who=_("人") if s.get("per_person") else _("户"), k=s.get("k", rules.DEFAULT_K)
        ),
        _("截止时间：{when}").format(when=_when(rt, _, s.get("deadline"))),
        _("统计：随时公布") if s.get("live") else _("统计：截止后公布"),
    ]
    rows = [[_btn(_("🚀 开始点单"), FO, "go", rid)], [_btn(_("◀ 改设置"), FO, "next", rid)]]
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def _go(update: Update, context: Context, rnd: Row) -> int:
    rt = context.rt
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    s = _settings(context)
    deadline = s.get("deadline")
    if deadline is not None and deadline <= _now(rt):
        await reply(update, _("截止时间已经过去了，请重新设置。"))
        return EDIT
    async with rt.db.transaction() as tx:
        ok = await store.settle(
            tx,
            rnd["id"],
            max_picks=s.get("k", rules.DEFAULT_K),
            per_person=bool(s.get("per_person")),
            live=bool(s.get("live")),
            deadline=deadline,
        ) and await store.open_round(tx, rnd["id"], _now(rt))
        if ok and deadline is not None:
            # Scheduled in the same transaction: an open round never lacks its closing job.
            at = datetime.fromtimestamp(deadline, UTC)
            await rt.scheduler.schedule(
                "menu_close", at, {"round": rnd["id"]}, key=f"menu_close:{rnd['id']}", tx=tx
            )
            remind = rules.reminder_time(at, rt.clock.now(), REMIND_BEFORE)
            if remind is not None:
                await rt.scheduler.schedule(
                    "menu_remind",
                    remind,
                    {"round": rnd["id"]},
                    key=f"menu_remind:{rnd['id']}",
                    tx=tx,
                )
        if ok:
            await cstore.audit(tx, rnd["community_id"], user.id, "menu_open", str(rnd["id"]))
    context.user_data.pop(OPENING, None)  # type: ignore[union-attr]
    if not ok:
        await reply(update, _("这一轮已经开始点单，菜单不能再改。"))
        return ConversationHandler.END
    await _post_menu(context, rnd["id"])
    return ConversationHandler.END


async def _post_menu(context: Context, round_id: int) -> None:
    """The menu in every group of the community, with the button to order privately."""
    rt = context.rt
    rnd = await store.get_round(rt.db, round_id)
    assert rnd is not None
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    for group in await cstore.groups_of(rt.db, rnd["community_id"]):
        _ = await tr_group(context, group["chat_id"])
        text = await _menu_post(rt, _, rnd, community["name"])
        try:
            await context.bot.send_message(
                group["chat_id"],
                text,
                reply_markup=InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                _("🛒 去私聊点单"), url=deep_link(context, f"menu-{round_id}")
                            )
                        ]
                    ]
                ),
            )
        except TelegramError as exc:
            log.warning("could not post the menu in %s: %s", group["chat_id"], exc)


async def open_cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.user_data.pop(OPENING, None)  # type: ignore[union-attr]
    await reply(update, _("已退出设置。菜单草稿已保存，再发送 /menu_open 可以继续。"))
    return ConversationHandler.END


# ---- closing and results ----------------------------------------------------------------------
async def close_and_publish(app: Application, round_id: int) -> bool:  # type: ignore[type-arg]
    """Idempotent: close if open, post results once (a crash before marking re-posts)."""
    context: Context = BotContext(app)
    rt = context.rt
    async with rt.db.transaction() as tx:
        closed = await store.close_round(tx, round_id, _now(rt))
        rnd = await store.get_round(tx, round_id)
    if rnd is None or rnd["status"] != "closed" or rnd["results_posted"]:
        return closed
    await rt.scheduler.cancel(f"menu_close:{round_id}")
    await rt.scheduler.cancel(f"menu_remind:{round_id}")
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    res = await store.results(rt.db, round_id, community["id"])
    charts: dict[int, Any] = {}
    for group in await cstore.groups_of(rt.db, community["id"]):
        chat_id = group["chat_id"]
        _ = await tr_group(context, chat_id)
        try:
            await app.bot.send_message(
                chat_id, _results_text(rt, _, rnd, community["name"], res, final=True)
            )
            if res.participants == 0:
                continue  # nothing to chart
            key = id(_)
            if key not in charts:
                charts[key] = await asyncio.to_thread(_chart, _, community["name"], res)
            await app.bot.send_photo(chat_id, charts[key].png, caption=_("点单结果图").format())
        except TelegramError as exc:
            log.warning("could not post menu results in %s: %s", chat_id, exc)
    await store.mark_posted(rt.db, round_id)
    return True


async def close_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    await close_and_publish(app, int(job.payload["round"]))


async def remind_job(app: Application, job: ScheduledJob) -> None:  # type: ignore[type-arg]
    """A day before the deadline: privately to households without an order, once per group."""
    context: Context = BotContext(app)
    rt = context.rt
    rnd = await store.get_round(rt.db, int(job.payload["round"]))
    if rnd is None or rnd["status"] != "open":
        return
    if rnd["deadline"] is not None and job.now.timestamp() >= float(rnd["deadline"]) - 1800:
        return  # the bot was down until (nearly) the deadline: a reminder now would mislead
    community = await cstore.get_community(rt.db, rnd["community_id"])
    assert community is not None
    for row in await store.members_without_order(
        rt.db, rnd["id"], rnd["community_id"], bool(rnd["per_person"])
    ):
        _ = await tr_user(context, row["user_id"])
        await send_private(
            context,
            row["user_id"],
            _("【{community}】改造点单 {when} 截止，您家还没有点单。点下面的按钮就能点单。").format(
                community=community["name"], when=_when(rt, _, rnd["deadline"])
            ),
            reply_markup=InlineKeyboardMarkup([[_btn(_("🛒 现在点单"), F, "re", rnd["id"])]]),
        )
    for group in await cstore.groups_of(rt.db, rnd["community_id"]):
        _ = await tr_group(context, group["chat_id"])
        try:
            await app.bot.send_message(
                group["chat_id"],
                _("提醒：改造点单 {when} 截止，还没点单的居民请抓紧。").format(
                    when=_when(rt, _, rnd["deadline"])
                ),
                reply_markup=InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                _("🛒 去私聊点单"), url=deep_link(context, f"menu-{rnd['id']}")
                            )
                        ]
                    ]
                ),
            )
        except TelegramError as exc:
            log.warning("could not remind group %s: %s", group["chat_id"], exc)


async def menu_close(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    rt = context.rt
    community = await acting_community(update, context, _)
    if community is None:
        return
    active = await store.active_round(rt.db, community["id"])
    if active is None or active["status"] != "open":
        await reply(update, _("现在没有进行中的改造点单。"))
        return
    user = update.effective_user
    assert user is not None
    await cstore.audit(rt.db, community["id"], user.id, "menu_close", str(active["id"]))
    await close_and_publish(context.application, active["id"])
    if not is_group(update):
        await reply(update, _("本轮点单已结束，结果已发到居民群。"))


async def menu_results(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    rt = context.rt
    community = await acting_community(update, context, _)
    if community is None:
        return
    rnd = await store.current_round(rt.db, community["id"])
    if rnd is None:
        await reply(update, _("还没有点单结果。"))
        return
    res = await store.results(rt.db, rnd["id"], community["id"])
    text = _results_text(
        rt,
        _,
        rnd,
        community["name"],
        res,
        final=rnd["status"] == "closed",
        public=not is_private(update),
    )
    if is_private(update):  # comments stay out of the group
        notes = await store.comments(rt.db, rnd["id"])
        if notes:
            text += (
                "\n\n"
                + _("居民意见和建议：")
                + "\n"
                + "\n".join(
                    f"· {_name(_, n, 'item_name') if n['item_name'] else _('建议')}：{n['text']}"
                    for n in notes
                )
            )
    await reply(update, text)


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese


async def menu_export(update: Update, context: Context) -> None:
    """Results, orders and suggestions as CSV, always sent privately (orders have rooms)."""
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    community = await acting_community(update, context, _)
    if community is None:
        return
    rnd = await store.current_round(rt.db, community["id"])
    if rnd is None:
        await reply(update, _("还没有点单结果。"))
        return
    res = await store.results(rt.db, rnd["id"], community["id"])
    names = {r["id"]: r for r in await store.items(rt.db, rnd["id"])}
    buildings = [b.building for b in res.buildings]
    results = [
        [
            _("排名"),
            _("项目"),
            _("点单户数"),
            _("占参与户比例"),
            _("进度"),
            *[_("{building}号楼").format(building=b) for b in buildings],
        ]
    ]
    for item in res.items:
        progress = rules.Progress(names[item.item_id]["progress"])
        results.append(
            [
                item.rank,
                _(item.name),
                item.households,
                rules.percent(item.share),
                _(rules.PROGRESS_NAMES[progress]),
                *[b.counts.get(item.item_id, 0) for b in res.buildings],
            ]
        )
    results.append(
        [
            _("参与户数"),
            res.participants,
            _("登记户数"),
            res.registered,
            _("参与率"),
            rules.percent(res.turnout),
        ]
    )
    orders = [[_("楼号"), _("单元"), _("门牌"), _("点单项目"), _("纸质录入"), _("时间")]]
    for row in await store.orders_for_export(rt.db, rnd["id"]):
        at = datetime.fromtimestamp(row["updated_at"], UTC).astimezone(rt.config.tz)
        orders.append(
            [
                row["building"],
                row["unit"],
                row["room"],
                "、".join(_(n) for n in (row["items"] or "").split("、") if n),
                _("是") if row["paper"] else "",
                at.strftime("%Y-%m-%d %H:%M"),
            ]
        )
    notes = [[_("类型"), _("项目"), _("内容"), _("时间")]]
    for n in await store.comments(rt.db, rnd["id"]):
        at = datetime.fromtimestamp(n["at"], UTC).astimezone(rt.config.tz)
        notes.append(
            [
                _("议一议") if n["item_id"] else _("建议"),
                _name(_, n, "item_name") if n["item_name"] else "",
                n["text"],
                at.strftime("%Y-%m-%d %H:%M"),
            ]
        )
    files = [
        (f"menu_{rnd['id']}_results.csv", results),
        (f"menu_{rnd['id']}_orders.csv", orders),
        (f"menu_{rnd['id']}_suggestions.csv", notes),
    ]
    try:
        for name, rows in files:
            await context.bot.send_document(user.id, _csv(rows), filename=name)
    except (Forbidden, TelegramError) as exc:
        log.info("export to %s failed: %s", user.id, exc)
        await reply(update, _("请先私聊我一次（点我的头像，发送 /start），我才能把文件发给您。"))
        return
    if is_group(update):
        await reply(update, _("导出文件已私聊发给您。"))


# ---- paper orders -----------------------------------------------------------------------------
async def menu_paper(update: Update, context: Context) -> None:
    """/menu_paper 21-4-302: a grid worker or staff enters a household's paper order."""
    _ = await tr_chat(update, context)
    rt = context.rt
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
    rnd = await store.active_round(rt.db, community["id"])
    if rnd is None or rnd["status"] != "open":
        await reply(update, _("现在没有进行中的改造点单。"))
        return
    hid = await cstore.get_or_create_household(
        rt.db, community["id"], address.building, address.unit, address.room
    )
    voter = store.voter_key(
        household_id=hid, user_id=None, per_person=bool(rnd["per_person"]), paper=True
    )
    _row, saved = await store.order_of(rt.db, rnd["id"], voter)
    context.user_data.setdefault(PAPER, {})[f"{rnd['id']}:{hid}"] = saved  # type: ignore[union-attr]
    await _paper_screen(update, context, rnd, hid, address, edit=False)


async def _paper_screen(
    update: Update, context: Context, rnd: Row, hid: int, address: Address, *, edit: bool
) -> None:
    _ = await tr_chat(update, context)
    items = await store.items(context.rt.db, rnd["id"])
    picks = context.user_data.get(PAPER, {}).get(f"{rnd['id']}:{hid}", [])  # type: ignore[union-attr]
    k = rnd["max_picks"]
    text = _("纸质点单：{address}\n请按居民的纸质单点选（最多 {k} 项），然后确认。").format(
        address=address.label(_), k=k
    )
    rows = [
        [_btn(("☑ " if i["id"] in picks else "☐ ") + _name(_, i), F, "pt", rnd["id"], hid, i["id"])]
        for i in items
    ]
    rows.append(
        [_btn(_("✅ 确认录入（{n}/{k}）").format(n=len(picks), k=k), F, "pok", rnd["id"], hid)]
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


async def _paper_toggle(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    hid, item_id = cb.int_arg(1), cb.int_arg(2)
    address = await _paper_household(update, context, rnd, hid)
    if address is None:
        return
    _ = await tr_chat(update, context)
    if rnd["status"] != "open":
        await answer_callback(update, _("这一轮点单已经结束，不能再改了。"), alert=True)
        return
    valid = [i["id"] for i in await store.items(context.rt.db, rnd["id"])]
    drafts = context.user_data.setdefault(PAPER, {})  # type: ignore[union-attr]
    key = f"{rnd['id']}:{hid}"
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


async def _paper_confirm(
    update: Update, context: Context, cb: callbacks.Callback, rnd: Row
) -> None:
    hid = cb.int_arg(1)
    address = await _paper_household(update, context, rnd, hid)
    if address is None:
        return
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    picks = context.user_data.get(PAPER, {}).get(f"{rnd['id']}:{hid}", [])  # type: ignore[union-attr]
    if not picks:
        await answer_callback(update, _("还没有选项目。请先点选想改造的项目。"), alert=True)
        return
    async with rt.db.transaction() as tx:
        placed = await store.place_order(
            tx,
            rnd["id"],
            household_id=hid,
            user_id=None,
            picks=picks,
            now=_now(rt),
            paper=True,
            entered_by=user.id,
        )
        if placed.ok:
            await cstore.audit(tx, rnd["community_id"], user.id, "menu_paper", str(hid))
    if not placed.ok:
        await answer_callback(
            update,
            _("这一轮点单已经结束，不能再改了。")
            if placed.reason == "closed"
            else _("菜单有变化，请重新选择。"),
            alert=True,
        )
        return
    context.user_data.get(PAPER, {}).pop(f"{rnd['id']}:{hid}", None)  # type: ignore[union-attr]
    await answer_callback(update, _("已保存"))
    query = update.callback_query
    assert query is not None
    await query.edit_message_text(
        _("已录入 {address} 的纸质点单（{n}项）。").format(address=address.label(_), n=len(picks))
    )


# ---- progress ---------------------------------------------------------------------------------
async def progress_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    rt = context.rt
    user = update.effective_user
    assert user is not None
    if is_group(update):
        group = await group_community(update, context)
        community = await cstore.get_community(rt.db, group["community_id"]) if group else None
    else:
        community = await _home_community(rt, user.id)
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
    await reply(update, "\n".join(lines))


async def menu_progress(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    rt = context.rt
    community = await acting_community(update, context, _)
    if community is None:
        return
    rnd = await store.last_closed(rt.db, community["id"])
    if rnd is None:
        await reply(update, _("还没有结束的点单，暂时没有进度可看。"))
        return
    await _progress_list(update, context, rnd, edit=False)


async def _progress_list(update: Update, context: Context, rnd: Row, *, edit: bool) -> None:
    _ = await tr_chat(update, context)
    items = await store.items(context.rt.db, rnd["id"])
    rows = [
        [
            _btn(
                f"{rules.PROGRESS_ICONS[rules.Progress(i['progress'])]} {_name(_, i)} · "
                f"{_(rules.PROGRESS_NAMES[rules.Progress(i['progress'])])}",
                F,
                "pi",
                rnd["id"],
                i["id"],
            )
        ]
        for i in items
    ]
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


async def _progress_item(
    update: Update, context: Context, cb: callbacks.Callback, rnd: Row
) -> None:
    if not await _progress_staff(update, context, rnd):
        return
    item = await store.get_item(context.rt.db, rnd["id"], cb.int_arg(1))
    if item is None:
        await refuse_callback(update, context, "menu progress: unknown item")
        return
    _ = await tr_chat(update, context)
    await answer_callback(update)
    states = [p for p in rules.Progress if p is not rules.Progress.NONE]
    rows = [
        [
            _btn(
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
        _("“{item}”现在的进度：").format(item=_name(_, item)),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _progress_set(update: Update, context: Context, cb: callbacks.Callback, rnd: Row) -> None:
    if not await _progress_staff(update, context, rnd):
        return
    try:
        state = rules.Progress(cb.str_arg(2))
    except ValueError:
        await refuse_callback(update, context, "menu progress: unknown state")
        return
    rt = context.rt
    user = update.effective_user
    assert user is not None
    async with rt.db.transaction() as tx:
        ok = await store.set_progress(tx, rnd["id"], cb.int_arg(1), state.value)
        if ok:
            await cstore.audit(
                tx, rnd["community_id"], user.id, "menu_progress", f"{cb.int_arg(1)} {state.value}"
            )
    if not ok:
        await refuse_callback(update, context, "menu progress: unknown item")
        return
    _ = await tr_chat(update, context)
    await answer_callback(update, _("已保存"))
    await _progress_list(update, context, rnd, edit=True)


_BUTTONS = {
    "t": _toggle,
    "ok": _confirm,
    "re": _reopen,
    "cl": _comment_list,
    "pt": _paper_toggle,
    "pok": _paper_confirm,
    "pi": _progress_item,
    "pg": _progress_set,
}


def register(app: Application) -> None:  # type: ignore[type-arg]
    rt = app.bot_data["runtime"]
    rt.scheduler.register("menu_close", close_job, at_least_once=True)
    rt.scheduler.register("menu_remind", remind_job, at_least_once=False)
    AFTER_REGISTER["menu"] = after_register
    text_only = filters.TEXT & ~filters.COMMAND
    opening = ConversationHandler(
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
    talk = ConversationHandler(
        entry_points=[CallbackQueryHandler(talk_entry, pattern=r"^1\|mn\|(c|s)\|")],
        states={TALK_TEXT: [MessageHandler(text_only & filters.ChatType.PRIVATE, talk_text)]},
        fallbacks=[CommandHandler("cancel", talk_cancel)],
        name="menu_talk",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(opening)
    app.add_handler(talk)
    app.add_handler(
        CommandHandler("start", start_menu_link, filters.Regex(r"^/start menu-\d{1,12}$"))
    )
    app.add_handler(CommandHandler("menu", menu_command))
    app.add_handler(CommandHandler("menu_close", menu_close))
    app.add_handler(CommandHandler("menu_results", menu_results))
    app.add_handler(CommandHandler("menu_export", menu_export))
    app.add_handler(CommandHandler("menu_paper", menu_paper))
    app.add_handler(CommandHandler("menu_progress", menu_progress))
    app.add_handler(CommandHandler("progress", progress_command))
    app.add_handler(CallbackQueryHandler(menu_button, pattern=callbacks.pattern(F)))
