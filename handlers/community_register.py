"""The registration conversation (/register): community → building → unit → room → name →
confirm. The draft lives in the person's conversation state until they confirm; only then
`bot.workflows.community_households.register_household` writes it (or, for a household
that has members, asks them to approve: handlers/community_households.py). States: docs/flows/community.md.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import address, callbacks
from bot import community as rules
from bot.address import ASK_BACK, Problem
from bot.i18n import N_, Translate
from bot.numbers import parse_id
from bot.workflows import community as flow
from bot.workflows import community_households as households
from bot.workflows.community import RegistrationStart
from handlers import forms
from handlers.community_households import deliver_and_run
from handlers.shared import (
    Context,
    answer_callback,
    deep_link,
    group_community,
    is_private,
    refuse_callback,
    reply,
    resident_keyboard,
    tr_chat,
)

# Other features continue after registration: feature name → callback(update, context, arg).
# They set `context.state[AFTER] = (feature, arg)` and start /register.
AfterRegister = Callable[[Update, Context, str], Awaitable[None]]
AFTER_REGISTER: dict[str, AfterRegister] = {}
AFTER = "after_register"

COMMUNITY, BUILDING, UNIT, ROOM, NAME, CONFIRM = range(6)
DRAFT = "register_draft"
NAME_ = "register"  # the conversation's name (its persisted state)
F = "reg"  # 1|reg|go start, c|<community> pick, samename, ok, redo, cancel
_REG_PAYLOAD = re.compile(r"reg-([0-9]+)")


def _draft(context: Context) -> dict[str, Any]:
    draft: dict[str, Any] = context.state.setdefault(DRAFT, {})
    return draft


def _cancel_row(_: Translate) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(_("取消"), callback_data=callbacks.pack(F, "cancel"))]


async def _ask_building(update: Update, context: Context, _: Translate) -> int:
    await reply(
        update,
        _("【{community}】请输入您家的楼号，例如：21\n也可以一次写全：21号楼4单元302").format(
            community=_draft(context).get("community_name", "")
        ),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return BUILDING


async def register_entry(update: Update, context: Context) -> int:
    """/register, /start reg-<community>, or the 登记住户 button."""
    _ = await tr_chat(update, context)
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    if update.callback_query:
        await answer_callback(update)
    if not is_private(update):
        group = await group_community(update, context)
        payload = f"reg-{group['community_id']}" if group else "reg"
        await reply(
            update,
            _("门牌是个人信息，请点按钮到私聊里登记。"),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("🏠 私聊登记"), url=deep_link(context, payload))]]
            ),
        )
        return ConversationHandler.END
    context.state[DRAFT] = {"after": context.state.pop(AFTER, None)}
    linked = _REG_PAYLOAD.fullmatch(context.args[0]) if context.args else None
    start = await flow.start_registration(
        context.rt, user.id, parse_id(linked.group(1)) if linked else None
    )
    if start.community is not None:
        return await _start_with(update, context, start, _)
    if not start.choices:
        await reply(
            update,
            _("还没有社区使用本机器人。请社区工作人员先在居民群里发送 /setup 社区名称。"),
        )
        return ConversationHandler.END
    rows = [
        [InlineKeyboardButton(c["name"], callback_data=callbacks.pack(F, "c", c["id"]))]
        for c in start.choices[:30]
    ]
    rows.append(_cancel_row(_))
    await reply(update, _("请选择您所在的社区："), reply_markup=InlineKeyboardMarkup(rows))
    return COMMUNITY


async def _start_with(
    update: Update, context: Context, start: RegistrationStart, _: Translate
) -> int:
    community = start.community
    assert community is not None
    _draft(context).update(community_id=community["id"], community_name=community["name"])
    if start.current is not None:
        await reply(
            update,
            _("您已登记为 {address}。重新填写会更新登记，不会重复。").format(
                address=start.current.label(_)
            ),
        )
    if start.waiting is not None:
        await reply(
            update,
            _("您申请加入 {address}，还在等这户的家人确认。重新填写会取代这个申请。").format(
                address=start.waiting.label(_)
            ),
        )
    return await _ask_building(update, context, _)


async def pick_community(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query, user = update.callback_query, update.effective_user
    if user is None:
        return COMMUNITY
    try:
        community_id = callbacks.unpack(query.data if query else None, F).int_arg(0)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return COMMUNITY
    start = await flow.choose_community(context.rt, user.id, community_id)
    if start.community is None:
        await refuse_callback(update, context, "community gone")
        return COMMUNITY
    await answer_callback(update)
    return await _start_with(update, context, start, _)


async def _text_or_complain(update: Update, _: Translate, example: str) -> str | None:
    message = update.effective_message
    text = message.text if message else None
    if not text or not text.strip():
        await reply(update, _("请用文字回答，例如：{example}").format(example=example))
        return None
    return text


async def _phone_refused(update: Update, _: Translate, text: str, example: str) -> bool:
    """A phone number typed at an address or name question: refused, never stored or shown."""
    if not rules.looks_like_phone(text):
        return False
    await reply(
        update,
        _("这看起来像电话号码。这里不需要电话，请只写{what}，例如：{example}").format(
            what=_(ASKED[example]), example=example if example != "name" else _("王阿姨")
        ),
    )
    return True


ASKED = {"21": N_("楼号"), "4": N_("单元号"), "302": N_("门牌号"), "name": N_("称呼")}


async def got_building(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _text_or_complain(update, _, "21")
    if text is None or await _phone_refused(update, _, text, "21"):
        return BUILDING
    draft = _draft(context)
    found = address.parse(text)
    if found.building is None or found.problem not in (
        None,
        Problem.MISSING_UNIT,
        Problem.MISSING_ROOM,
    ):
        # Say what is missing or unclear ("还缺楼号…"), never guess.
        problem = found.problem or Problem.UNCLEAR
        await reply(update, _(ASK_BACK[problem]).format(part=found.part))
        return BUILDING
    draft.update(building=found.building, unit=found.unit, room=found.room)
    if found.ok:
        return await _ask_name(update, context, _)
    if found.unit is None and found.room is None:  # one part at a time, as asked
        ask = _("{building}号楼。请输入单元号，例如：4").format(building=found.building)
    else:
        ask = _(ASK_BACK[found.problem or Problem.UNCLEAR])
    await reply(update, ask, reply_markup=InlineKeyboardMarkup([_cancel_row(_)]))
    return UNIT if found.unit is None else ROOM


def _full(context: Context, text: str) -> bool:
    """The whole address typed at the unit or room question: take it all."""
    full = rules.parse_full_address(text)
    if full is None:
        return False
    _draft(context).update(building=full.building, unit=full.unit, room=full.room)
    return True


async def got_unit(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _text_or_complain(update, _, "4")
    if text is None or await _phone_refused(update, _, text, "4"):
        return UNIT
    if _full(context, text):
        return await _ask_name(update, context, _)
    unit = rules.clean_part(text, rules.UNIT_SUFFIXES)
    if unit is None:
        await reply(update, _("没看懂这个单元号。请只写数字，例如：4"))
        return UNIT
    _draft(context)["unit"] = unit
    if _draft(context).get("room"):  # "21号楼302" gave the room already
        return await _ask_name(update, context, _)
    await reply(
        update,
        _("请输入门牌号（房间号），例如：302"),
        reply_markup=InlineKeyboardMarkup([_cancel_row(_)]),
    )
    return ROOM


async def got_room(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    text = await _text_or_complain(update, _, "302")
    if text is None or await _phone_refused(update, _, text, "302"):
        return ROOM
    if _full(context, text):
        return await _ask_name(update, context, _)
    room = rules.clean_part(text, rules.ROOM_SUFFIXES)
    if room is None:
        await reply(update, _("没看懂这个门牌号。请只写数字，例如：302"))
        return ROOM
    _draft(context)["room"] = room
    return await _ask_name(update, context, _)


async def _ask_name(update: Update, context: Context, _: Translate) -> int:
    user = update.effective_user
    assert user is not None
    await reply(
        update,
        _("社区工作人员怎么称呼您？请输入称呼（如：王阿姨），或点“就用{name}”。").format(
            name=user.first_name
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("就用{name}").format(name=user.first_name)[:60],
                        callback_data=callbacks.pack(F, "samename"),
                    )
                ],
                _cancel_row(_),
            ]
        ),
    )
    return NAME


async def got_name(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    user = update.effective_user
    assert user is not None
    draft = _draft(context)
    if update.callback_query:
        await answer_callback(update)
        draft["name"] = user.first_name
    else:
        text = await _text_or_complain(update, _, _("王阿姨"))
        if text is None or await _phone_refused(update, _, text, "name"):
            return NAME
        name = rules.clean_person_name(text)
        if not name:
            # "就用" with nothing after it: the Telegram name, as the button offers.
            name = user.first_name
        if len(name) > 20:
            await reply(update, _("称呼太长了，请写20个字以内。"))
            return NAME
        draft["name"] = name
    address = rules.Address(draft["building"], draft["unit"], draft["room"])
    await reply(
        update,
        _("请核对：\n社区：{community}\n门牌：{address}\n称呼：{name}").format(
            community=draft["community_name"], address=address.label(_), name=draft["name"]
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_("✅ 确认"), callback_data=callbacks.pack(F, "ok")),
                    InlineKeyboardButton(_("✏️ 重新填写"), callback_data=callbacks.pack(F, "redo")),
                ],
                _cancel_row(_),
            ]
        ),
    )
    return CONFIRM


async def confirm(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    query = update.callback_query
    user = update.effective_user
    assert user is not None
    try:
        cb = callbacks.unpack(forms.button_data(update), F)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return CONFIRM
    draft: dict[str, Any] = context.state.get(DRAFT) or {}
    if cb.action == "redo":
        await answer_callback(update)
        for key in ("building", "unit", "room", "name"):
            draft.pop(key, None)
        return await _ask_building(update, context, _)
    if cb.action != "ok" or not all(k in draft for k in ("community_id", "building", "room")):
        await refuse_callback(update, context, "confirm without a complete draft")
        return CONFIRM
    address = rules.Address(draft["building"], draft["unit"], draft["room"])
    out = await households.register_household(
        context.rt,
        user.id,
        draft["community_id"],
        address,
        draft.get("name") or user.first_name,
    )
    await answer_callback(update, _("已保存"))
    if out.cooling:
        text = _(
            "{address} 的家人刚刚没有同意您的申请，今天先不再打扰他们。"
            "如果是误会，请联系网格员或社区工作人员（/grid）。"
        )
    elif out.repeated:
        text = _(
            "您加入{address}的申请已经发过了，正在等家人确认，不用再发。"
            "家人一直没有回应时，网格员或社区工作人员会帮您确认。"
        )
    elif out.pending:
        text = _(
            "{address} 已经有登记的家人。登记申请已发给他们确认，确认后您会收到通知；"
            "在此之前看不到这户的点单和报修。"
        )
    else:
        text = _("登记已更新：{address}。") if out.updated else _("登记成功：{address}。")
    if query is not None:
        await query.edit_message_text(text.format(address=address.label(_)))
    else:
        await reply(update, text.format(address=address.label(_)))
    await deliver_and_run(context, out.tell, out.run_now)
    if out.pending:
        context.state.pop(DRAFT, None)
        return ConversationHandler.END
    context.state.pop(DRAFT, None)
    after = draft.get("after")
    if after and after[0] in AFTER_REGISTER:
        await AFTER_REGISTER[after[0]](update, context, after[1])
    else:
        await reply(
            update,
            _("接下来可以：/menu 给小区改造点单，/repair 报修，/grid 查网格员。"),
            reply_markup=resident_keyboard(_),
        )
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    _ = await tr_chat(update, context)
    context.state.pop(DRAFT, None)
    if update.callback_query:
        await answer_callback(update)
    await reply(update, _("已取消。需要时再发送 /register。"))
    return ConversationHandler.END


async def not_text(update: Update, context: Context) -> int | None:
    """Stickers, photos, voice where we wait for text: ask again, stay in the same step."""
    _ = await tr_chat(update, context)
    await reply(update, _("请用文字回答上面的问题，或发送 /cancel 取消。"))
    return None


async def stray_button(update: Update, context: Context) -> int | None:
    await refuse_callback(update, context, "registration button out of step")
    return None


def _confirms() -> tuple[forms.Choice, ...]:
    yes = ("确认", "确定", "对", "对的", "没错", "是", "是的", "好", "好的", "可以", "ok", "yes")
    redo = ("重新填写", "重填", "不对", "不是", "错了", "改一下", "no")
    return (
        forms.Choice(confirm, callbacks.pack(F, "ok"), (N_("✅ 确认"), *yes)),
        forms.Choice(confirm, callbacks.pack(F, "redo"), (N_("✏️ 重新填写"), *redo)),
        *CANCEL,
    )


CANCEL = (forms.Choice(cancel, callbacks.pack(F, "cancel"), (N_("取消"), "cancel")),)


def conversation() -> ConversationHandler[Context]:
    """The persistent per-person conversation (its states survive a restart); typed words
    press the buttons, and it lets go after a while (handlers/forms.py)."""
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL

    def typed(step: forms.Step, choices: forms.Choices = CANCEL) -> MessageHandler[Context, Any]:
        return forms.typed(NAME_, step, choices)

    return forms.Form(
        entry_points=[
            CommandHandler("register", register_entry),
            CommandHandler("start", register_entry, filters.Regex(r"^/start reg(-\d+)?$")),
            CallbackQueryHandler(register_entry, pattern=callbacks.pattern(F, "go", exact=True)),
        ],
        states={
            COMMUNITY: [CallbackQueryHandler(pick_community, pattern=callbacks.pattern(F, "c"))],
            BUILDING: [typed(got_building)],
            UNIT: [typed(got_unit)],
            ROOM: [typed(got_room)],
            NAME: [
                typed(got_name),
                CallbackQueryHandler(
                    got_name, pattern=callbacks.pattern(F, "samename", exact=True)
                ),
            ],
            CONFIRM: [
                CallbackQueryHandler(
                    confirm, pattern=callbacks.pattern(F, "ok", "redo", exact=True)
                ),
                typed(not_text, _confirms()),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=callbacks.pattern(F, "cancel", exact=True)),
            CommandHandler("register", register_entry),
            MessageHandler(other, not_text),
            CallbackQueryHandler(stray_button, pattern=callbacks.pattern(F)),
        ],
        name=NAME_,
        allow_reentry=True,
        timed_out=N_("刚才的登记没有填完，已经帮您取消了。需要时再发送 /register。"),
        doing=N_("您在登记门牌，要先停下来吗？"),
        drafts=(DRAFT,),
    )
