"""What the renovation-menu handler modules share: callback features, state keys, texts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot import callbacks
from bot import menu as rules
from bot.context import App
from bot.i18n import Translate, data_text
from bot.runtime import Runtime
from handlers.shared import (
    Context,
    answer_callback,
    deep_link,
    group_community,
    has_any_role,
    tr_user,
)
from storage import community as cstore
from storage import menu as store
from storage.db import Row

log = logging.getLogger(__name__)

F = "mn"  # resident and staff buttons outside the /menu_open conversation
FO = "mo"  # buttons of the /menu_open conversation
DRAFTS = "menu_picks"  # state: {round_id: {"picks": [...], "dirty": bool}}
OPENING = "menu_opening"  # state: settings while staff prepare a round
PAPER = "menu_paper"  # state: {"<round>:<household>": [...]}
TALK = "menu_talk"  # state: what the next text is for (comment / suggestion)


def when_text(rt: Runtime, _: Translate, epoch: float | None) -> str:
    if epoch is None:
        return _("不设截止，由工作人员结束")
    d = datetime.fromtimestamp(epoch, UTC).astimezone(rt.config.tz)
    hm = d.strftime("%H:%M")
    if d.year != rt.clock.now().astimezone(rt.config.tz).year:
        return _("{year}年{month}月{day}日 {hm}").format(
            year=d.year, month=d.month, day=d.day, hm=hm
        )
    return _("{month}月{day}日 {hm}").format(month=d.month, day=d.day, hm=hm)


def item_name(_: Translate, row: Row, key: str = "name") -> str:
    """Item names are data (the defaults are msgids): translated where shown, and a name a
    staff member typed is shown in Traditional to zh_Hant readers."""
    return data_text(_, row[key])


def btn(text: str, feature: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(feature, action, *args))


def order_link(_: Translate, source: Context | App, round_id: int) -> InlineKeyboardMarkup:
    """The button under a group post: open the private chat on this round's order screen."""
    url = deep_link(source, f"menu-{round_id}")
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("🛒 去私聊点单"), url=url)]])


def drafts(context: Context) -> dict[str, Any]:
    drafts: dict[str, Any] = context.state.setdefault(DRAFTS, {})
    return drafts


async def home_community(rt: Runtime, user_id: int) -> Row | None:
    """For a resident in private: the registered community, else the only one there is."""
    for row in await cstore.residencies_of(rt.db, user_id):
        return await cstore.get_community(rt.db, row["community_id"])
    mine = await cstore.communities_of(rt.db, user_id)
    if len(mine) == 1:
        return mine[0]
    everything = await cstore.list_communities(rt.db)
    return everything[0] if len(everything) == 1 else None


# ---- where a button may be pressed ------------------------------------------------------------
class Place(StrEnum):
    """Where the message of a button must be, besides who may press it."""

    OWN_CHAT = "own"  # the presser's own private chat with the bot (per-person screens)
    GROUP = "group"  # a group of the round's community
    COMMUNITY = "community"  # either of those


async def right_place(update: Update, context: Context, community_id: int, place: Place) -> bool:
    """Refuse (an alert, nothing changed) a button pressed on a message where its action does
    not belong: data copied from a private screen onto a group post, or from one community's
    group into another's, must never change anything nor draw a private view into a group."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if place is not Place.GROUP and chat.type == ChatType.PRIVATE and chat.id == user.id:
        return True
    if place is not Place.OWN_CHAT:
        group = await group_community(update, context)
        if group is not None and group["community_id"] == community_id:
            return True
    _ = await tr_user(context, user)
    if place is Place.OWN_CHAT or (place is Place.COMMUNITY and chat.type == ChatType.PRIVATE):
        text = _("这个按钮只能在您和我的私聊里用，这次什么也没有改。")
    elif place is Place.GROUP and chat.type == ChatType.PRIVATE:
        text = _("这个按钮只能在本社区的居民群里用，这次什么也没有改。")
    else:
        text = _("这个按钮属于别的社区，不能在这个群里用，这次什么也没有改。")
    log.warning(
        "menu button %r of user %s refused in chat %s (wants %s)",
        update.callback_query.data if update.callback_query else None,
        user.id,
        chat.id,
        place.value,
    )
    await answer_callback(update, text, alert=True)
    return False


async def may_speak(rt: Runtime, user_id: int, community_id: int) -> bool:
    """议一议 and 提建议 are for the community's own people: residents and role holders."""
    if await cstore.get_resident(rt.db, user_id, community_id) is not None:
        return True
    return await has_any_role(rt, user_id, community_id, "staff", "grid_worker", "volunteer")


# ---- texts -------------------------------------------------------------------------------------
def items_lines(_: Translate, items: list[Row], *, descriptions: bool = True) -> list[str]:
    lines = []
    for n, item in enumerate(items, start=1):
        line = f"{n}. {item_name(_, item)}"
        if descriptions and item["description"]:
            line += f"（{item['description']}）"
        lines.append(line)
    return lines


def menu_post(rt: Runtime, _: Translate, rnd: Row, community_name: str, items: list[Row]) -> str:
    how = _("每人") if rnd["per_person"] else _("每户")
    head = [
        _("【{community}改造点单】").format(community=community_name),
        _("请从下面的改造项目里，选出最想先做的，{who}最多选 {k} 项：").format(
            who=how, k=rnd["max_picks"]
        ),
    ]
    tail = [
        _("截止时间：{when}").format(when=when_text(rt, _, rnd["deadline"])),
        _("请点下面的按钮，在私聊里点单。"),
    ]
    return "\n".join(head + items_lines(_, items) + tail)


async def menu_post_of(rt: Runtime, _: Translate, rnd: Row, community_name: str) -> str:
    return menu_post(rt, _, rnd, community_name, await store.items(rt.db, rnd["id"]))


def building_turnout(_: Translate, b: rules.BuildingResult) -> str:
    """'（25%，按实际户数）' or '（60%，按登记户数）': which count the share is of."""
    if b.households is not None:
        return _("（{t}，按实际户数）").format(t=rules.percent(b.turnout))
    return _("（{t}，按登记户数）").format(t=rules.percent(b.turnout))


def real_turnout_line(_: Translate, res: rules.Results) -> str:
    """The turnout against the real number of households (where staff set one)."""
    if res.fallback_buildings:
        return _(
            "按实际户数算：参与 {p}/{n} 户，参与率 {t}（{m} 栋楼没有填实际户数，按登记户数算）"
        ).format(
            p=sum(b.participants for b in res.buildings),
            n=res.real_base,
            t=rules.percent(res.real_turnout),
            m=res.fallback_buildings,
        )
    return _("按实际户数算：参与 {p}/{n} 户，参与率 {t}").format(
        p=sum(b.participants for b in res.buildings),
        n=res.real_base,
        t=rules.percent(res.real_turnout),
    )


def turnout_summary(_: Translate, res: rules.Results) -> str:
    """One short phrase for the chart: the turnout and what it is measured against."""
    if res.real:
        return _("参与率 {t}，{p}/{n} 户，按实际户数").format(
            t=rules.percent(res.real_turnout),
            p=sum(b.participants for b in res.buildings),
            n=res.real_base,
        )
    return _("参与率 {t}，{p}/{n} 户，按登记户数").format(
        t=rules.percent(res.turnout), p=res.registered_participants, n=res.registered
    )


def results_text(
    _: Translate,
    community_name: str,
    res: rules.Results,
    *,
    final: bool,
    public: bool = True,
) -> str:
    """Ranked results. `public` (a group) hides what would tell the neighbours what one
    household chose: the item counts of a round with very few households, and the breakdown of
    small buildings (and of the next smallest, so the totals cannot be subtracted)."""
    title = (
        _("【{community}改造点单结果】") if final else _("【{community}点单实时统计】")
    ).format(community=community_name)
    turnout = rules.percent(res.turnout)
    lines = [
        title,
        (
            _("参与 {p} 户（其中纸质点单 {n} 户），登记 {r} 户，参与率 {t}")
            if res.paper
            else _("参与 {p} 户，登记 {r} 户，参与率 {t}")
        ).format(p=res.participants, n=res.paper, r=res.registered, t=turnout),
    ]
    if res.unregistered:
        lines.append(
            _("其中 {m} 户没有登记（纸质点单等），计入参与户数，不计入登记户数和参与率。").format(
                m=res.unregistered
            )
        )
    if res.real:
        lines.append(real_turnout_line(_, res))
    if final and res.participants == 0:  # a closed round nobody ordered in: nothing to rank
        lines.append(_("本轮没有收到点单。"))
        return "\n".join(lines)
    if res.waiting:
        lines.append(
            _("实时统计每满 {k} 户更新一次，还有 {n} 户的点单稍后计入。").format(
                k=rules.MIN_PUBLIC_HOUSEHOLDS, n=res.waiting
            )
        )
    if public and not rules.public_totals(res):
        lines.append(
            _(
                "参与的户数少于 {n} 户，为了不让邻居看出各家点了什么，群里不公布各项户数。工作人员可以私聊我查看。"
            ).format(n=rules.MIN_PUBLIC_HOUSEHOLDS)
        )
    shown = rules.public_buildings(res) if public else None
    for item in res.items if not public or rules.public_totals(res) else ():
        lines.append(
            _("第{rank}名 {name}：{n}户（{share}）").format(
                rank=item.rank,
                name=data_text(_, item.name),
                n=item.households,
                share=rules.percent(item.share),
            )
        )
    names = {i.item_id: data_text(_, i.name) for i in res.items}
    if res.buildings:
        lines.append(_("分楼统计："))
    for b in res.buildings:
        # With real counts set, every building says what its turnout is measured against.
        of = building_turnout(_, b) if res.real else ""
        small = shown is not None and b.building not in shown
        if small and of:
            lines.append(
                _("{building}号楼：参与{p}/{r}户{turnout}（户数少，不公布明细）").format(
                    building=b.building, p=b.participants, r=b.base, turnout=of
                )
            )
            continue
        if small:
            lines.append(
                _("{building}号楼：参与{p}/{r}户（户数少，不公布明细）").format(
                    building=b.building, p=b.participants, r=b.registered
                )
            )
            continue
        top = sorted(b.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        picks = "、".join(f"{names[i]}{n}" for i, n in top if i in names) or _("暂无")
        if of:
            lines.append(
                _("{building}号楼：参与{p}/{r}户{turnout}；{top}").format(
                    building=b.building, p=b.participants, r=b.base, turnout=of, top=picks
                )
            )
            continue
        lines.append(
            _("{building}号楼：参与{p}/{r}户；{top}").format(
                building=b.building, p=b.participants, r=b.registered, top=picks
            )
        )
    if final:
        lines.append(_("谢谢大家！发送 /progress 可以看各项目的进度。"))
    return "\n".join(lines)
