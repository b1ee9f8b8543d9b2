"""The screens of a menu draft (handlers/menu_open.py): the draft itself, its settings, the
preview of the post as the group will see it, and what a pasted list added."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import menu as rules
from bot.i18n import Translate
from bot.workflows import menu as wf
from handlers.menu_common import FO, btn, items_lines, menu_post
from handlers.shared import Context, reply, reply_long, tr_chat
from storage import community as cstore
from storage import menu as store
from storage.db import Row

EDIT, TEXT, DEADLINE = range(3)  # the /menu_open conversation's states


def mark(current: bool) -> str:
    """The mark of the current choice on a row of buttons."""
    return "● " if current else ""


async def show_draft(update: Update, context: Context, rid: int, note: str = "") -> int:
    _ = await tr_chat(update, context)
    items = await store.items(context.rt.db, rid)
    lines = ([note] if note else []) + [_("本轮菜单草稿（居民还看不到）：")]
    lines += items_lines(_, items) or [_("（还没有项目）")]
    lines.append(_("可以一次添加多项：用顿号、逗号或换行隔开，例如：加装电梯、充电桩、增设停车位"))
    rows = [
        [btn(_("➕ 添加"), FO, "add", rid), btn(_("✏️ 改名"), FO, "ren", rid)],
        [btn(_("📝 加说明"), FO, "desc", rid), btn(_("🗑 删除"), FO, "del", rid)],
        [btn(_("下一步：设置 ▶"), FO, "next", rid)],
        [btn(_("取消本轮"), FO, "x", rid)],
    ]
    await reply_long(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def show_settings(update: Update, context: Context, rnd: Row) -> int:
    _ = await tr_chat(update, context)
    rid = rnd["id"]
    n_items = len(await store.items(context.rt.db, rid))
    s = wf.settings_of(rnd)
    k = s.max_picks
    lines = [
        (
            _("每人最多选几项？现在是 {k} 项。")
            if s.per_person
            else _("每户最多选几项？现在是 {k} 项。")
        ).format(k=k)
    ]
    choices = rules.k_choices(n_items)
    rows = []
    if choices:
        rows.append([btn(mark(n == k) + str(n), FO, "k", rid, n) for n in choices])
    else:
        lines.append(_("菜单还是空的，请先添加项目。"))
    if n_items and n_items < rules.MAX_K:
        lines.append(_("菜单只有 {n} 项，所以最多能选 {n} 项。").format(n=n_items))
    rows += [
        # Both choices side by side, the current one marked (as for K): a single button
        # showing the current setting read like an action.
        [
            btn(mark(not s.per_person) + _("一户一单"), FO, "mode", rid, 0),
            btn(mark(s.per_person) + _("一人一单"), FO, "mode", rid, 1),
        ],
        [
            btn(mark(not s.live) + _("截止后公布统计"), FO, "live", rid, 0),
            btn(mark(s.live) + _("随时公布统计"), FO, "live", rid, 1),
        ],
        [btn(_("◀ 改菜单"), FO, "back", rid), btn(_("下一步：截止时间 ▶"), FO, "dl", rid)],
    ]
    lines.append(_("带 ● 的是现在的设置，点另一个就改过去。"))
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


async def show_confirm(update: Update, context: Context, rnd: Row) -> int:
    """The preview: the post exactly as the group will see it, then the settings."""
    _ = await tr_chat(update, context)
    rt = context.rt
    s = wf.settings_of(rnd)
    community = await cstore.get_community(rt.db, rnd["community_id"])
    groups = await cstore.groups_of(rt.db, rnd["community_id"])
    items = await store.items(rt.db, rnd["id"])
    lines = [
        _("请核对，居民群里会看到："),
        "",
        menu_post(rt, _, rnd, community["name"] if community else "", items),
        "",
        _("统计：随时公布") if s.live else _("统计：截止后公布"),
        _("将发布到 {n} 个居民群。").format(n=len(groups)),
    ]
    rid = rnd["id"]
    rows = [[btn(_("📣 发布到群"), FO, "go", rid)], [btn(_("◀ 改设置"), FO, "next", rid)]]
    await reply_long(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    return EDIT


def pasted_note(_: Translate, added: list[str], pasted: rules.Pasted) -> str:
    lines = [_("已添加 {n} 项：{items}").format(n=len(added), items="、".join(added))]
    if pasted.duplicates:
        lines.append(
            _("重复的没有再加：{items}").format(items="、".join(dict.fromkeys(pasted.duplicates)))
        )
    if pasted.too_long:
        lines.append(
            _("名称太长（{n}字以内），没有添加：{items}").format(
                n=rules.MAX_NAME, items="、".join(pasted.too_long)
            )
        )
    if pasted.over_limit:
        lines.append(
            _("菜单最多 {n} 项，这些没有添加：{items}").format(
                n=rules.MAX_ITEMS, items="、".join(pasted.over_limit)
            )
        )
    return "\n".join(lines)
