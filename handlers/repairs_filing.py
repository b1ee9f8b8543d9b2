"""Filing a ticket (报修) in private chat: a ConversationHandler of buttons and short answers.

Category → place (the resident's own unit, or typed) → open tickets of the same kind in that
building ("我也遇到了" follows one instead) → description → up to three photos → may the
volunteer see who and where → confirm. The draft lives in the person's conversation state
(persisted, so it survives a restart); submitting calls `bot.workflows.repairs.file_ticket`.
See docs/flows/repairs.md for the diagram.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot import repairs as rules
from bot.i18n import N_, Translate
from bot.intents import is_fault_sentence
from bot.workflows import repairs as wf
from bot.workflows import repairs_jobs as jobs
from handlers import forms
from handlers.repairs_common import category_name, id_arg, place_text, summary
from handlers.repairs_resident import plus_one
from handlers.shared import (
    Context,
    answer_callback,
    deep_link,
    group_community,
    is_private,
    refuse_callback,
    reply,
    tr_chat,
)
from storage.repairs import NewTicket

CATEGORY, PLACE, PLACE_TEXT, DUPLICATE, DESCRIPTION, PHOTOS, IDENTITY, CONFIRM = range(8)
BACK = {
    PLACE: CATEGORY,
    PLACE_TEXT: PLACE,
    DUPLICATE: PLACE,
    DESCRIPTION: PLACE,
    PHOTOS: DESCRIPTION,
    IDENTITY: PHOTOS,
    CONFIRM: IDENTITY,
}
DRAFT = "repair_draft"
# A sentence the resident typed before filing ("厨房水管漏水"): handlers/intents.py keeps it
# here when it offers to file; the description step takes it instead of asking.
PREFILL = "repair_prefill"
# Photos and voice notes sent before filing ({"photos": [...], "voices": [...]}), likewise.
PREFILL_MEDIA = "repair_prefill_media"
TOO_MANY_PHOTOS = N_("最多{n}张照片，这张没有收下。")
Step = Callable[[Update, Context], Coroutine[Any, Any, object]]
F = "rp"  # buttons inside the filing conversation


def _b(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(F, action, *args))


def _nav(_: Translate, back: bool = True) -> list[InlineKeyboardButton]:
    row = [_b(_("⬅️ 返回"), "back")] if back else []
    return [*row, _b(_("✖️ 取消"), "cancel")]


def _draft(context: Context) -> dict[str, Any]:
    draft: dict[str, Any] = context.state.setdefault(DRAFT, {})
    return draft


# ---- entry ------------------------------------------------------------------------------------
async def repair_entry(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    if not is_private(update):
        # The report is personal: never written in the group.
        group = await group_community(update, context)
        payload = f"repair-{group['community_id']}" if group else "repair"
        await reply(
            update,
            _("报修请点下面的按钮，到私聊里填写（不会公开您的信息）。"),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("🔧 私聊报修"), url=deep_link(context, payload))]]
            ),
        )
        return ConversationHandler.END
    context.state.pop(PREFILL, None)  # /repair starts afresh
    context.state.pop(PREFILL_MEDIA, None)
    if not await _start_draft(update, context):
        return ConversationHandler.END
    return await ask_category(update, context, _)


async def _start_draft(update: Update, context: Context) -> bool:
    """Fill the draft from the resident's household; unregistered → register first."""
    user = update.effective_user
    assert user is not None
    wanted = None
    payload = context.args[0] if context.args else ""
    if payload.startswith("repair-") and payload.removeprefix("repair-").isdecimal():
        wanted = int(payload.removeprefix("repair-"))
    home = await wf.home_of(context.rt, user.id, wanted)
    if home is None:
        _ = await tr_chat(update, context)
        context.state["after_register"] = ("repairs", "")
        go = InlineKeyboardButton(_("🏠 登记住户"), callback_data=callbacks.pack("reg", "go"))
        await reply(
            update,
            _("报修前要先登记您家的门牌（只登记一次）。请点下面的按钮："),
            reply_markup=InlineKeyboardMarkup([[go]]),
        )
        return False
    media: dict[str, list[str]] = context.state.pop(PREFILL_MEDIA, None) or {}
    context.state[DRAFT] = {
        "community_id": home["community_id"],
        "household_id": home["household_id"],
        "home_building": home["building"],
        "home_unit": home["unit"],
        "has_phone": bool(home["phone"]),
        "photos": list(media.get("photos", []))[: rules.MAX_PHOTOS],
        "voices": list(media.get("voices", []))[: rules.MAX_VOICES],
    }
    return True


async def after_register(update: Update, context: Context, arg: str) -> None:
    """Registration finished: continue with the category buttons (an entry point)."""
    _ = await tr_chat(update, context)
    await ask_category(update, context, _)


async def ask_category(update: Update, context: Context, _: Translate) -> int:
    cats = [_b(_(c.name), "cat", c.key) for c in rules.CATEGORIES]
    rows = [cats[i : i + 3] for i in range(0, len(cats), 3)]
    rows.append(_nav(_, back=False))
    await reply(update, _("🔧 报修。请选择是什么问题："), reply_markup=InlineKeyboardMarkup(rows))
    _draft(context)["step"] = CATEGORY
    return CATEGORY


def _unpack(update: Update) -> callbacks.Callback:
    """The button pressed, or the one whose words were typed (handlers/forms.py)."""
    return callbacks.unpack(forms.button_data(update), F)


async def got_category(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    try:
        key = _unpack(update).str_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return CATEGORY
    if rules.category(key) is None:
        await refuse_callback(update, context, f"unknown category {key!r}")
        return CATEGORY
    await answer_callback(update)
    if "community_id" not in _draft(context) and not await _start_draft(update, context):
        return ConversationHandler.END
    _draft(context)["category"] = key
    if key in rules.SAFETY_ADVICE:  # gas, wires: what to do now, before any question
        await reply(update, _(rules.SAFETY_ADVICE[key]))
    return await ask_place(update, context, _)


async def ask_place(update: Update, context: Context, _: Translate) -> int:
    d = _draft(context)
    home = _("{building}号楼{unit}单元").format(building=d["home_building"], unit=d["home_unit"])
    rows = [
        [_b(_("🏠 我家这个单元：{home}").format(home=home), "home")],
        [_b(_("✏️ 别的地方（楼顶、路面、别的楼…）"), "type")],
        _nav(_),
    ]
    await reply(update, _("问题在哪里？"), reply_markup=InlineKeyboardMarkup(rows))
    d["step"] = PLACE
    return PLACE


async def place_button(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    try:
        cb = _unpack(update)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return PLACE
    await answer_callback(update)
    d = _draft(context)
    if cb.action == "home":
        d.update(building=d["home_building"], unit=d["home_unit"], place="")
        return await after_place(update, context, _)
    await reply(
        update,
        _("请写地点，例如：21号楼4单元楼顶、22号楼前面的路、小区大门"),
        reply_markup=InlineKeyboardMarkup([_nav(_)]),
    )
    d["step"] = PLACE_TEXT
    return PLACE_TEXT


async def got_place_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    message = update.effective_message
    text = message.text if message else None
    place = rules.clean_place(text)
    if place is None and rules.bare_number(text):
        await reply(
            update,
            _(
                "只有数字，志愿者找不到地方。请写清楚是哪里，例如：21号楼4单元楼顶、"
                "22号楼前面的路；是您家这个单元就点“我家这个单元”。"
            ),
        )
        return await ask_place(update, context, _)
    if place is None:
        await reply(update, _("请用文字写地点（60字以内），例如：21号楼楼顶"))
        return PLACE_TEXT
    building, unit, rest = rules.parse_place(place)
    if not building and not unit and is_fault_sentence(place) and PREFILL not in context.state:
        # "电梯坏了" typed where the place is asked (user test: it became the place): that is
        # the problem itself. Kept as the description; the place is asked again.
        context.state[PREFILL] = place
        await reply(
            update,
            _(
                "好的，问题记下了：{text}。还要请您写一下在哪里，例如：21号楼4单元电梯、小区大门"
            ).format(text=place),
            reply_markup=InlineKeyboardMarkup([_nav(_)]),
        )
        _draft(context)["step"] = PLACE_TEXT
        return PLACE_TEXT
    _draft(context).update(building=building, unit=unit, place=rest)
    return await after_place(update, context, _)


async def after_place(update: Update, context: Context, _: Translate) -> int:
    """Before filing, show open tickets of the same kind in the same building."""
    d = _draft(context)
    similar = await wf.similar_open(
        context.rt, d["community_id"], d.get("building", ""), d["category"]
    )
    if not similar:
        return await ask_description(update, context, _)
    lines = [_("这栋楼已经有人报了同样的问题，正在处理：")]
    rows = []
    for s in similar:
        t = s.ticket
        lines.append(summary(context.rt, _, t, s.households))
        rows.append([_b(_("🙋 我也遇到了 #{id}").format(id=t["id"]), "plus", t["id"])])
    d["similar"] = [s.ticket["id"] for s in similar]
    lines.append(_("如果是同一个问题，点“我也遇到了”，就不用重复报修，进度会告诉您。"))
    rows.append([_b(_("➕ 不是同一个问题，继续报修"), "new")])
    rows.append(_nav(_))
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
    d["step"] = DUPLICATE
    return DUPLICATE


async def duplicate_button(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    try:
        cb = _unpack(update)
        tid = id_arg(cb, 0) if cb.action == "plus" else 0
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return DUPLICATE
    if cb.action == "new":
        await answer_callback(update)
        return await ask_description(update, context, _)
    if await plus_one(update, context, tid):
        context.state.pop(DRAFT, None)
        return ConversationHandler.END
    return DUPLICATE


async def ask_description(update: Update, context: Context, _: Translate) -> int:
    prefill = context.state.pop(PREFILL, None)
    # A voice note told it (handlers/repairs_media.py): it stands for the description.
    said = rules.VOICE if prefill == rules.VOICE else rules.clean_description(prefill)[0]
    if said is not None:
        _draft(context)["description"] = said
        await reply(update, _("问题：{text}").format(text=said))
        return await ask_photos(update, context, _)
    await reply(
        update,
        _("请写一下是什么问题，例如：下雨天楼顶漏水，屋里墙上有水印。"),
        reply_markup=InlineKeyboardMarkup([_nav(_)]),
    )
    _draft(context)["step"] = DESCRIPTION
    return DESCRIPTION


async def got_description(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    message = update.effective_message
    text, problem = rules.clean_description(message.text if message else None)
    if text is None:
        assert problem is not None
        await reply(update, _(problem))
        return DESCRIPTION
    _draft(context)["description"] = text
    return await ask_photos(update, context, _)


async def ask_photos(update: Update, context: Context, _: Translate) -> int:
    d = _draft(context)
    n = len(d.get("photos", []))
    text = (
        _("可以拍照发给我（最多3张）。没有照片就点“跳过”。")
        if n == 0
        else _("已收到 {n} 张照片。还可以再发，或点“好了”。").format(n=n)
    )
    label = _("⏭ 跳过") if n == 0 else _("✅ 好了")
    await reply(update, text, reply_markup=InlineKeyboardMarkup([[_b(label, "skip")], _nav(_)]))
    d["step"] = PHOTOS
    return PHOTOS


async def got_photo(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    message = update.effective_message
    assert message is not None and message.photo
    d = _draft(context)
    photos = d.setdefault("photos", [])
    if len(photos) >= rules.MAX_PHOTOS:
        await reply(update, _(TOO_MANY_PHOTOS).format(n=rules.MAX_PHOTOS))
        return await ask_identity(update, context, _)
    photos.append(message.photo[-1].file_id)
    if len(photos) >= rules.MAX_PHOTOS:
        return await ask_identity(update, context, _)
    return await ask_photos(update, context, _)


async def photos_text(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    await reply(update, _("这一步请发照片；没有照片就点“跳过”。"))
    return PHOTOS


async def photos_done(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    await answer_callback(update)
    return await ask_identity(update, context, _)


async def ask_identity(update: Update, context: Context, _: Translate) -> int:
    d = _draft(context)
    rows = [[_b(_("👌 可以"), "id", 1), _b(_("🙅 不可以"), "id", 0)]]
    if d.get("has_phone"):
        rows.insert(0, [_b(_("📞 可以，也给电话"), "id", 2)])
    rows.append(_nav(_))
    await reply(
        update,
        _("可以让来处理的志愿者看到您的称呼和门牌吗？（不会发到群里）"),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    d["step"] = IDENTITY
    return IDENTITY


async def got_identity(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    try:
        choice = _unpack(update).int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return IDENTITY
    d = _draft(context)
    if choice not in (0, 1, 2) or (choice == 2 and not d.get("has_phone")):
        await refuse_callback(update, context, f"identity choice {choice}")
        return IDENTITY
    await answer_callback(update)
    d["show"] = choice
    return await ask_confirm(update, context, _)


async def ask_confirm(update: Update, context: Context, _: Translate) -> int:
    d = _draft(context)
    place = place_text(_, d.get("building", ""), d.get("unit", ""), d.get("place", ""))
    show = {0: _("不公开"), 1: _("公开称呼和门牌"), 2: _("公开称呼、门牌和电话")}[d.get("show", 0)]
    text = _(
        "请核对：\n类别：{category}\n地点：{place}\n问题：{text}\n照片：{n} 张\n给志愿者看：{show}"
    )
    if d.get("voices"):
        text += "\n" + _("语音：{n} 条").format(n=len(d["voices"]))
    text = text.format(
        category=category_name(_, d["category"]),
        place=place,
        text=d["description"],
        n=len(d.get("photos", [])),
        show=show,
    )
    await reply(
        update, text, reply_markup=InlineKeyboardMarkup([[_b(_("✅ 提交报修"), "ok")], _nav(_)])
    )
    d["step"] = CONFIRM
    return CONFIRM


async def submit(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    d = context.state.get(DRAFT) or {}
    if not all(k in d for k in ("community_id", "category", "description")):
        await refuse_callback(update, context, "submit without a complete draft")
        return ConversationHandler.END
    rt = context.rt
    ticket = NewTicket(
        community_id=d["community_id"],
        reporter_id=user.id,
        household_id=d.get("household_id"),
        category=d["category"],
        building=d.get("building", ""),
        unit=d.get("unit", ""),
        place=d.get("place", ""),
        description=d["description"],
        show_identity=d.get("show", 0) > 0,
        share_phone=d.get("show", 0) == 2,
    )
    filed = await wf.file_ticket(rt, ticket, d.get("photos", []), d.get("voices", []))
    context.state.pop(DRAFT, None)
    await answer_callback(update, _("已提交"))
    await reply(
        update,
        _("✅ 已提交，您的报修编号是 #{id}。\n有进展会私信告诉您；发送 /my 可以随时查看。").format(
            id=filed.ticket_id
        ),
    )
    # Offers go out after the resident has the number; the routing job is already durable.
    await jobs.route_now(rt, filed.ticket_id)
    return ConversationHandler.END


# ---- navigation and polite re-asks ---------------------------------------------------------------
ASK = {
    CATEGORY: ask_category,
    PLACE: ask_place,
    DUPLICATE: after_place,
    DESCRIPTION: ask_description,
    PHOTOS: ask_photos,
    IDENTITY: ask_identity,
    CONFIRM: ask_confirm,
}


async def go_back(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    await answer_callback(update)
    step = _draft(context).get("step", CATEGORY)
    target = BACK.get(step, CATEGORY)
    if "community_id" not in _draft(context):
        return ConversationHandler.END
    return await ASK[target](update, context, _)


async def cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(DRAFT, None)
    if update.callback_query:
        await answer_callback(update)
    await reply(update, _("已取消报修。需要时再发送 /repair。"))
    return ConversationHandler.END


async def not_understood(update: Update, context: Context) -> None:
    """Stickers, voice, files, or a message where a button is expected: ask again."""
    _ = await tr_chat(update, context)
    await reply(update, _("抱歉，这一步请按上面的提示回答（文字或按钮），或发送 /cancel 取消。"))


async def stray_button(update: Update, context: Context) -> None:
    await refuse_callback(update, context, "repair button out of step")
