"""The staff console for tickets: /tickets with filters and pages, reassign, close, /merge."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler

from bot import callbacks
from bot import repairs as rules
from bot.community import BUILDING_SUFFIXES, clean_part
from bot.context import App
from bot.i18n import N_, Translate
from bot.text import normalize
from bot.workflows import repairs as wf
from bot.workflows import repairs_access as access
from bot.workflows import repairs_merge as merging
from bot.workflows.outcome import Refused
from handlers.outbox import render
from handlers.repairs_common import (
    FEATURE,
    announce,
    button,
    category_name,
    close_offers,
    edit,
    headline,
    id_arg,
    markup,
    on_button,
    pressed,
    refuse,
    send,
    tell_status,
    tell_worker,
)
from handlers.shared import (
    Context,
    answer_callback,
    is_private,
    refuse_callback,
    reply,
    tr_chat,
    tr_user,
)
from storage.repairs import Filter

PAGE = 5


# ---- /tickets ----------------------------------------------------------------------------------
MAX_WORDS, MAX_WORD = 5, 30
SEARCH = "repair_search"  # the words of the last /tickets: page buttons cannot carry them


def filter_from_args(args: list[str]) -> tuple[Filter, list[str]]:
    """`/tickets 待受理 21号楼 水管 超期 漏水 @张志愿` → the filter, and the words that are
    none of those: searched in the description, the place and the assignee's name."""
    status = building = category = None
    overdue = False
    unknown: list[str] = []
    names = {normalize(v): k.value for k, v in rules.STATUS_NAMES.items()}
    cats = {normalize(c.name): c.key for c in rules.CATEGORIES}
    for word in args:
        w = normalize(word)
        if w in ("超期", "逾期", "overdue"):
            overdue = True
        elif w in ("未完成", "open"):
            status = "open"
        elif w in names or w in {s.value for s in rules.Status}:
            status = names.get(w, w)
        elif w in cats or w in rules.BY_KEY:
            category = cats.get(w, w)
        elif (b := clean_part(w, BUILDING_SUFFIXES)) is not None:
            building = b
        elif (term := word.lstrip("@").strip()) and len(unknown) < MAX_WORDS:
            unknown.append(term[:MAX_WORD])
    return Filter(status, building, category, overdue, tuple(unknown)), unknown


async def tickets_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    if not is_private(update):
        await reply(update, _("报修清单含个人信息，请私聊我发送 /tickets。"))
        return
    rt = context.rt
    cid = await access.staff_community(rt, user.id)
    if cid is None:
        await reply(update, _(access.STAFF_ONLY_LIST))
        return
    f, words = filter_from_args(list(context.args or []))
    context.state[SEARCH] = words
    page = await access.ticket_page(rt, user.id, cid, f, 0, PAGE)
    if isinstance(page, Refused):
        await reply(update, render(_, page.reason))
    elif isinstance(page, access.TicketPage):
        text, buttons = page_view(_, page)
        await reply(update, text, reply_markup=buttons)


def _tok(value: str | None) -> str:
    return value or "x"


def _untok(value: str) -> str | None:
    return None if value == "x" else value


def page_view(_: Translate, p: access.TicketPage) -> tuple[str, InlineKeyboardMarkup]:
    f = p.filter
    bits = []
    if f.status:
        bits.append(_("未完成") if f.status == "open" else _(rules.status_name(f.status)))
    if f.building:
        bits.append(_("{building}号楼").format(building=f.building))
    if f.category:
        bits.append(category_name(_, f.category))
    if f.overdue:
        bits.append(_("超期"))
    bits.extend(f"“{w}”" for w in f.words)
    lines = [
        _("报修清单（{filters}）：共 {total} 条，第 {page}/{pages} 页").format(
            filters="、".join(bits) or _("全部"), total=p.total, page=p.page + 1, pages=p.pages
        )
    ]
    buttons: list[list[InlineKeyboardButton]] = []
    for t in p.tickets:
        late = " ⏰" + _("超期") if t["id"] in p.late else ""
        lines.append(headline(_, t) + late)
        buttons.append([button(_("📄 #{id} 详情").format(id=t["id"]), "v", t["id"])])

    def pg(
        status: str | None,
        overdue: bool,
        to: int,
        building: str | None = f.building,
        cat: str | None = f.category,
        words: bool = bool(f.words),
    ) -> str:
        args = (_tok(status), _tok(building), _tok(cat), int(overdue), to, int(words))
        return callbacks.pack(FEATURE, "pg", p.community_id, *args)

    nav = []
    if p.page > 0:
        nav.append(
            InlineKeyboardButton(_("⬅️ 上一页"), callback_data=pg(f.status, f.overdue, p.page - 1))
        )
    if p.page + 1 < p.pages:
        nav.append(
            InlineKeyboardButton(_("下一页 ➡️"), callback_data=pg(f.status, f.overdue, p.page + 1))
        )
    if nav:
        buttons.append(nav)
    buttons.append(
        [
            InlineKeyboardButton(_("未完成"), callback_data=pg("open", False, 0)),
            InlineKeyboardButton(_("待受理"), callback_data=pg("new", False, 0)),
            InlineKeyboardButton(_("超期"), callback_data=pg(None, True, 0)),
            InlineKeyboardButton(_("全部"), callback_data=pg(None, False, 0, None, None, False)),
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def page_button(update: Update, context: Context) -> None:
    user = update.effective_user
    query = update.callback_query
    if user is None or query is None:
        return
    try:
        cb = callbacks.unpack(query.data, FEATURE)
        cid = id_arg(cb, 0)
        status, building, cat = (_untok(cb.str_arg(i)) for i in (1, 2, 3))
        overdue, page = bool(cb.int_arg(4)), cb.int_arg(5)
        searched = len(cb.args) > 6 and bool(cb.int_arg(6))
        if not 0 <= page <= rules.MAX_PAGE:
            raise callbacks.BadCallback("page out of range")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    words = tuple(context.state.get(SEARCH) or ()) if searched else ()
    f = Filter(status, building, cat, overdue, words)
    found = await access.ticket_page(context.rt, user.id, cid, f, page, PAGE)
    if isinstance(found, Refused):
        await refuse(update, context, found)
        return
    if isinstance(found, access.Forged):
        await refuse_callback(update, context, found.detail)
        return
    await answer_callback(update)
    _ = await tr_user(context, user)
    text, buttons = page_view(_, found)
    await edit(update, text, buttons)


# ---- close and reassign ------------------------------------------------------------------------
async def close_button(update: Update, context: Context) -> None:
    """🚫 关闭 asks for the reason; the reason's button (clr) asks for a note to the
    residents and closes (`repairs_talk`)."""
    press = await pressed(update, context)
    if press is None:
        return
    uid, tid = press.user_id, press.ticket_id
    checked = await access.may(context.rt, uid, tid, rules.Action.CLOSE)
    if isinstance(checked, Refused):
        await refuse(update, context, checked)
        return
    await answer_callback(update)
    _ = await tr_user(context, press.user)
    rows = [[button(_(name), "clr", tid, key)] for key, name in rules.STAFF_CLOSE_REASONS.items()]
    await send(context, uid, _("关闭 #{id}，原因是：").format(id=tid), InlineKeyboardMarkup(rows))


async def reassign_button(update: Update, context: Context) -> None:
    """👤 改派 lists the grid workers and volunteers; a name's button (asgu) reassigns."""
    press = await pressed(update, context)
    if press is None:
        return
    uid, tid = press.user_id, press.ticket_id
    try:
        target = id_arg(press.cb, 1) if press.cb.action == "asgu" else None
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    rt = context.rt
    _ = await tr_user(context, press.user)
    if target is None:
        choices = await wf.reassign_choices(rt, uid, tid)
        if isinstance(choices, Refused):
            await refuse(update, context, choices)
            return
        await answer_callback(update)
        rows = [[button(w.name[:30], "asgu", tid, w.user_id)] for w in choices]
        await send(context, uid, _("把 #{id} 改派给谁？").format(id=tid), markup(rows))
        return
    changed = await wf.reassign(rt, uid, tid, target)
    if isinstance(changed, access.Forged):
        await refuse_callback(update, context, changed.detail)
        return
    if isinstance(changed, Refused):
        await refuse(update, context, changed)
        return
    await close_offers(context, changed.ticket, changed.taken)
    await answer_callback(update, _("已改派"))
    name = changed.ticket["assignee_name"]
    await edit(update, _("#{id} 已改派给 {name}。").format(id=tid, name=name), None)
    await announce(context, changed)


# ---- /merge ------------------------------------------------------------------------------------
async def merge_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return
    numbers = [rules.parse_id(a) for a in (context.args or [])]
    usage = _("用法：/merge 重复的编号 保留的编号，例如 /merge 12 7")
    if len(numbers) != 2 or None in numbers or numbers[0] == numbers[1]:
        await reply(update, usage)
        return
    dup_id, keep_id = (n or 0 for n in numbers)
    merged = await merging.merge(
        context.rt,
        user.id,
        dup_id,
        keep_id,
        dup_note=_("合并到 #{id}").format(id=keep_id),
        keep_note=_("合并了 #{id}").format(id=dup_id),
    )
    if isinstance(merged, Refused):
        await reply(update, render(_, merged.reason))
        return
    await reply(
        update, _("已把 #{a} 合并到 #{b}，关注的居民也转过去了。").format(a=dup_id, b=keep_id)
    )
    await tell_merged(context, merged)


async def tell_merged(context: Context, merged: merging.Merged) -> None:
    """Everyone a merge concerns: the duplicate's residents, the assignees of both tickets,
    and the kept ticket's residents when it changed hands."""
    dup, kept = merged.ticket, merged.kept
    dup_id, keep_id = dup["id"], kept["id"]
    for uid in merged.residents:
        _ = await tr_user(context, uid)
        note = _("与 #{id} 是同一个问题，之后会通知您 #{id} 的进度。").format(id=keep_id)
        await tell_status(context, dup, [uid], note)
    await close_offers(context, kept, merged.taken)
    others = [u for u in merged.kept_residents if u not in merged.residents]
    if others:
        await tell_status(context, kept, others)
    if merged.handed is not None:
        intro = N_("重复的报修合并了：您负责的报修并进了下面这个，现在由您处理：")
        await tell_worker(context, kept, merged.handed, intro=intro)
    if merged.released is not None:
        _ = await tr_user(context, merged.released)
        await send(
            context,
            merged.released,
            _("#{dup} 已合并到 #{keep}（{by}），您不用再处理 #{dup} 了，谢谢！").format(
                dup=dup_id, keep=keep_id, by=kept["assignee_name"] or _("等待接单")
            ),
        )
    if merged.kept_by is not None:
        _ = await tr_user(context, merged.kept_by.user_id)
        await send(
            context,
            merged.kept_by.user_id,
            _("您负责的 #{keep} 合并了重复的 #{dup}，遇到这个问题的居民也会收到进度。").format(
                keep=keep_id, dup=dup_id
            )
            + "\n"
            + headline(_, kept),
        )


def register(app: App) -> None:
    for fn, actions in (
        (page_button, ("pg",)),
        (close_button, ("cls",)),
        (reassign_button, ("asg", "asgu")),
    ):
        app.add_handler(on_button(fn, FEATURE, *actions))
    app.add_handler(CommandHandler("tickets", tickets_command))
    app.add_handler(CommandHandler("merge", merge_command))
