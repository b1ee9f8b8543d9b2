"""Real turnout: `/households` (staff set each building's real number of households) and
`/menu_unordered` (the registered households that have not ordered in the open round, for the
grid worker of their building, with a button per household to enter its paper order).

Rooms and names are personal: the list is sent in private only, to the building's grid worker
or to staff; typed in a group, the command answers with where to ask instead. The rules are in
bot/workflows/menu_turnout.py; the paper order itself is handlers/menu_paper.py.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callbacks
from bot import menu_turnout as rules
from bot.community import Address, format_buildings
from bot.i18n import Translate
from bot.workflows import menu_turnout as twf
from handlers.menu_common import F, btn
from handlers.shared import (
    Context,
    acting_community,
    answer_callback,
    is_private,
    refuse_callback,
    reply,
    reply_long,
    tr_chat,
)
from storage.db import Row

log = logging.getLogger(__name__)

UNORDERED = "menu_unordered"  # state: the building staff named for the list, or None


def _rest(update: Update) -> str:
    """What follows the command, line breaks kept (a pasted table has one building a line)."""
    text = update.effective_message.text if update.effective_message else None
    parts = (text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def _table(_: Translate, figures: list[twf.BuildingFigures]) -> str:
    lines = [_("各楼实际户数（参与率按它计算；没有填的楼按登记户数计算）：")]
    for f in figures:
        if f.households is None:
            lines.append(
                _("{building}号楼：没有填实际户数（登记 {r} 户）").format(
                    building=f.building, r=f.registered
                )
            )
        else:
            lines.append(
                _("{building}号楼：实际 {n} 户（登记 {r} 户）").format(
                    building=f.building, n=f.households, r=f.registered
                )
            )
    if not figures:
        lines.append(_("还没有填任何一栋楼。"))
    lines.append(_how(_))
    return "\n".join(lines)


def _how(_: Translate) -> str:
    return _(
        "填写：/households 3号楼 48，或一次填几栋：/households 1号楼 36, 2号楼 48, 3号楼 24"
        "（每栋 1 到 {max} 户；“3号楼 删除”去掉一栋的数字）。"
    ).format(max=rules.MAX_HOUSEHOLDS)


def _problem(_: Translate, change: rules.HouseholdsChange) -> str:
    word = change.word
    return {
        rules.HouseholdsProblem.BUILDING: _("“{word}”里的楼号不对（楼号从 1 开始，最多 999）。"),
        rules.HouseholdsProblem.NUMBER: _("“{word}”里的户数不对：要填 1 到 {max} 之间的整数。"),
        rules.HouseholdsProblem.TWICE: _("“{word}”：同一栋楼填了两次。"),
    }.get(change.problem or rules.HouseholdsProblem.UNCLEAR, _("看不懂“{word}”。")).format(
        word=word or "…", max=rules.MAX_HOUSEHOLDS
    )


async def households_command(update: Update, context: Context) -> None:
    """/households: the table; /households 3号楼 48 (or several): set, then the table."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    community = await acting_community(update, context, _)
    if community is None:
        return
    change = rules.parse_households(_rest(update))
    if change.problem is rules.HouseholdsProblem.EMPTY:
        figures = await twf.households_table(context.rt, community["id"])
        await reply_long(update, _table(_, figures))
        return
    if change.problem is not None:
        await reply(update, _problem(_, change) + _("这次什么也没有改。") + "\n" + _how(_))
        return
    saved = await twf.set_households(context.rt, community["id"], user.id, change.entries)
    if saved is None:
        await reply(update, _("只有社区工作人员可以这样做。"))
        return
    await reply_long(update, _("已保存。") + "\n" + _table(_, saved))


# ---- the households that have not ordered --------------------------------------------------------
def _refusal(_: Translate, refused: twf.UnorderedRefusal) -> str:
    return {
        twf.UnorderedRefusal.NO_ROUND: _("现在没有进行中的改造点单。"),
        twf.UnorderedRefusal.NO_BUILDINGS: _(
            "您还没有负责的楼。请社区工作人员用 /grid_assign 给您分楼。"
        ),
    }.get(
        refused,
        _("您只能看自己网格里的楼。其他楼请找负责的网格员或社区工作人员。"),
    )


def _counts_text(_: Translate, found: twf.Unordered) -> str:
    lines = [_("本轮各楼还没点单的登记户：")]
    for c in found.counts:
        real = (
            _("实际 {n} 户").format(n=c.households)
            if c.households is not None
            else _("没有填实际户数")
        )
        lines.append(
            _("{building}号楼：{w} 户没点单（登记 {r} 户，{real}）").format(
                building=c.building, w=c.waiting, r=c.registered, real=real
            )
        )
    if not found.counts:
        lines.append(_("还没有登记的住户。"))
    lines.append(_("看某栋楼的名单并代录纸质点单：/menu_unordered 3号楼"))
    return "\n".join(lines)


def _page(_: Translate, found: twf.Unordered, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    rnd = found.round
    assert rnd is not None
    total = len(found.households)
    where = format_buildings(found.buildings)
    if not total:
        return _("{buildings}号楼登记的住户都已经点单了，谢谢！").format(buildings=where), None
    page = rules.clamp_page(page, total)
    pages = rules.page_count(total)
    shown = found.households[page * rules.PAGE_SIZE : (page + 1) * rules.PAGE_SIZE]
    lines = [
        _("{buildings}号楼还没点单的登记户：共 {n} 户（第 {p}/{pages} 页）").format(
            buildings=where, n=total, p=page + 1, pages=pages
        )
    ]
    rows = []
    for n, h in enumerate(shown, start=page * rules.PAGE_SIZE + 1):
        label = Address(h["building"], h["unit"], h["room"]).label(_)
        names = "、".join(h["names"])
        lines.append(f"{n}. {label} {names}".rstrip())
        rows.append([btn(_("📝 代录 {label}").format(label=label), F, "pf", rnd["id"], h["id"])])
    lines.append(_("上门问到了，就点住户的按钮，按纸质单替他们录入。"))
    nav = []
    if page > 0:
        nav.append(btn(_("◀ 上一页"), F, "uo", rnd["id"], page - 1))
    if page + 1 < pages:
        nav.append(btn(_("下一页 ▶"), F, "uo", rnd["id"], page + 1))
    if nav:
        rows.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def unordered_command(update: Update, context: Context) -> None:
    """/menu_unordered [楼号]: a grid worker's buildings, or staff's counts (or one building)."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    if not is_private(update):  # names and rooms: never in a group
        await reply(update, _("住户名单是个人信息，请在私聊里发送 /menu_unordered。"))
        return
    community = await acting_community(update, context, _, "staff", "grid_worker")
    if community is None:
        return
    building: str | None = None
    if word := _rest(update).strip():
        building = rules.parse_building(word)
        if building is None:
            await reply(
                update, _("看不懂“{word}”。例如：/menu_unordered 3号楼").format(word=word[:20])
            )
            return
    found = await twf.unordered(context.rt, community["id"], user.id, building)
    if found.refused is not None:
        await reply(update, _refusal(_, found.refused))
        return
    if found.staff and building is None:
        await reply_long(update, _counts_text(_, found))
        return
    context.state[UNORDERED] = building
    text, markup = _page(_, found, 0)
    await reply(update, text, reply_markup=markup)


async def unordered_page(
    update: Update, context: Context, cb: callbacks.Callback, rnd: Row
) -> None:
    """◀ / ▶ of the list: asked again (households may have ordered meanwhile)."""
    user = update.effective_user
    assert user is not None
    page = cb.int_arg(1, lo=0, hi=10_000)
    _ = await tr_chat(update, context)
    building = context.state.get(UNORDERED)
    found = await twf.unordered(context.rt, rnd["community_id"], user.id, building)
    if found.refused is twf.UnorderedRefusal.NOT_YOURS:
        await refuse_callback(update, context, "menu unordered: not theirs")
        return
    if found.refused is not None or found.round is None or found.round["id"] != rnd["id"]:
        await answer_callback(update, _("这一轮点单已经结束了。"), alert=True)
        return
    if found.staff and building is None:  # staff's list is of one building, named again
        await answer_callback(update, _("请重新发送 /menu_unordered 楼号。"), alert=True)
        return
    await answer_callback(update)
    text, markup = _page(_, found, page)
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:  # "message is not modified" on a double tap
        log.debug("unordered list not edited: %s", exc)
