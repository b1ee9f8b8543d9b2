"""Residents talk naturally in private chat: free text no form took, the persistent keyboard,
the short /help and /start for residents.

Registered last among the features (bot/app.py): every open form (a ConversationHandler)
gets its text first, so nothing typed inside a form reaches this router. The sentence is
read by the pure rules of bot/intents.py and routed to the same function its command runs;
a garbage question goes to the look-up, and when unsure the likely choices are offered as
buttons.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import callbacks
from bot import repairs as repair_rules
from bot.commands import COMMANDS
from bot.context import App
from bot.i18n import LANG_NAMES, LANGS, N_, Translate
from bot.intents import Intent, Kind, category_of, classify, wish_of
from bot.text import normalize
from bot.workflows import community as community_flow
from bot.workflows import sorting as sorting_flow
from handlers import (
    community,
    forms,
    menu_order,
    menu_progress,
    menu_wish,
    repairs_resident,
    sorting,
)
from handlers.repairs_filing import PREFILL, PREFILL_MEDIA, repair_entry
from handlers.repairs_media import VOICE_KEPT
from handlers.shared import (
    Context,
    answer_callback,
    refuse_callback,
    reply,
    resident_keyboard,
    tr_chat,
)

F = "it"  # 1|it|<kind>: a choice offered when unsure; 1|it|cats, 1|it|no after a fault
SHORT_QUERY = 12  # free text this short may be an item name, so near matches are offered
SHOWN_TEXT = 200  # how much of the resident's sentence the offer repeats

CHOICE_LABELS: dict[Kind, str] = {
    Kind.REPAIR: N_("🔧 报修"),
    Kind.SORT_HINT: N_("♻️ 查垃圾分类"),
    Kind.GRID: N_("👤 我的网格员"),
    Kind.HELP: N_("❓ 帮助"),
    Kind.MY_TICKETS: N_("📄 我的报修"),
    Kind.MENU: N_("📋 点单"),
}
# What the short /help lists for residents, in this order.
RESIDENT_COMMANDS = ("repair", "my", "menu", "grid", "sort", "register")


def _button(text: str, action: str, *args: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.pack(F, action, *args))


async def _registered(context: Context, user_id: int) -> bool:
    return bool((await community_flow.profile(context.rt, user_id)).residencies)


def _register_markup(_: Translate) -> InlineKeyboardMarkup:
    go = InlineKeyboardButton(_("🏠 登记住户"), callback_data=callbacks.pack("reg", "go"))
    return InlineKeyboardMarkup([[go]])


# ---- /start and /help for residents (called from handlers/common.py) --------------------------
async def start_resident(update: Update, context: Context) -> bool:
    """/start in private for a registered resident: one line and the keyboard. False for
    somebody not registered yet (they are shown how to register)."""
    user = update.effective_user
    if user is None or not await _registered(context, user.id):
        return False
    _ = await tr_chat(update, context)
    await reply(
        update,
        _("您好，{name}！点下面的按钮，或直接打字告诉我要办什么事。").format(name=user.first_name),
        reply_markup=resident_keyboard(_),
    )
    return True


async def short_help(update: Update, context: Context) -> None:
    """At most eight lines; "更多" shows every command (handlers/common.py help_command)."""
    _ = await tr_chat(update, context)
    lines = [_("您可以使用这些命令：")]
    for name in RESIDENT_COMMANDS:
        info = COMMANDS.get(name)
        if info is not None:
            lines.append(f"/{name} — {_(info.description)}")
    lines.append(_("也可以直接打字，例如：“楼道灯坏了”“电池是什么垃圾”“谁是网格员”。"))
    more = InlineKeyboardButton(_("更多"), callback_data=callbacks.pack("help", "more"))
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup([[more]]))


# ---- what each intent does ----------------------------------------------------------------------
async def greet(update: Update, context: Context) -> None:
    if await start_resident(update, context):
        return
    _ = await tr_chat(update, context)
    await reply(
        update,
        _("您好！我是社区助手。先登记您家的门牌，就可以报修、点单、找网格员了。"),
        reply_markup=_register_markup(_),
    )


async def offer_repair(update: Update, context: Context, intent: Intent, text: str) -> None:
    """A fault described: offer to file it, the sentence kept as its description."""
    _ = await tr_chat(update, context)
    said, _problem = repair_rules.clean_description(text)
    if said is not None:
        context.state[PREFILL] = said
    guessed = repair_rules.category(intent.category or "")
    rows: list[list[InlineKeyboardButton]]
    if guessed is not None and guessed.key != "other":
        cat = callbacks.pack("rp", "cat", guessed.key)
        rows = [
            [
                InlineKeyboardButton(
                    _("🔧 报修：{category}").format(category=_(guessed.name)), callback_data=cat
                )
            ],
            [_button(_("📂 别的类别"), "cats")],
        ]
    else:
        rows = _category_rows(_)
    rows.append([_button(_("✖️ 不用了"), "no")])
    shown = said if said is not None and len(said) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "…"
    await reply(
        update,
        _("要报修吗？您说的这句话会写进报修单：\n「{text}」\n请选是哪一类问题：").format(
            text=shown
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def _category_rows(_: Translate) -> list[list[InlineKeyboardButton]]:
    cats = [
        InlineKeyboardButton(_(c.name), callback_data=callbacks.pack("rp", "cat", c.key))
        for c in repair_rules.CATEGORIES
    ]
    return [cats[i : i + 3] for i in range(0, len(cats), 3)]


async def sort_hint(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    await reply(
        update,
        _("想查什么东西是什么垃圾？直接发名称就行，比如“电池”“香蕉皮”“外卖盒”。"),
        reply_markup=InlineKeyboardMarkup([[_button(_("✏️ 做个小练习"), "practice")]]),
    )


async def look_up(update: Update, context: Context, text: str, *, asked: bool) -> bool:
    """Answer as a garbage look-up. Without `asked` (nothing said it is about rubbish) only a
    real answer is shown: False leaves the sentence to the choices."""
    rt = context.rt
    chat, user = update.effective_chat, update.effective_user
    chat_id = chat.id if chat is not None else None
    user_id = user.id if user is not None else None
    city = await sorting_flow.city_for(rt, chat_id=chat_id, user_id=user_id)
    result = await sorting_flow.look_up(
        rt, text, typed_freely=True, city=city, chat_id=chat_id, user_id=user_id
    )
    if not asked and (
        result.status in ("unknown", "empty")
        or (result.status == "fuzzy" and len(normalize(text)) > SHORT_QUERY)
    ):
        return False
    _ = await tr_chat(update, context)
    lang = await sorting.chat_lang(update, context)
    body, markup = sorting.render(_, lang, result)
    await reply(update, body, reply_markup=markup)
    return True


async def offer_choices(update: Update, context: Context, choices: tuple[Kind, ...]) -> None:
    _ = await tr_chat(update, context)
    rows = [[_button(_(CHOICE_LABELS[k]), k.value)] for k in choices if k in CHOICE_LABELS]
    await reply(
        update,
        _("抱歉，我没看懂。您是想做哪件事？也可以发送 /help 看全部功能。"),
        reply_markup=InlineKeyboardMarkup(rows[:4]),
    )


async def run(update: Update, context: Context, intent: Intent, text: str = "") -> None:
    """Do what the intent asks: the same function its command runs."""
    kind = intent.kind
    if kind is Kind.FAULT:
        await offer_repair(update, context, intent, text)
        return
    if kind is Kind.UNKNOWN:
        if not text or not await look_up(update, context, text, asked=False):
            await offer_choices(update, context, intent.choices)
        return
    if kind is Kind.SORTING:
        await look_up(update, context, text, asked=True)
        return
    word = wish_of(text) if kind is Kind.MENU and text else None
    if word is not None:  # "我要加装电梯": where that wish stands, not only the menu
        await menu_wish.wish(update, context, word)
        return
    if kind in SIMPLE:
        await SIMPLE[kind](update, context)
        return
    _ = await tr_chat(update, context)
    if kind is Kind.THANKS:
        await reply(update, _("不客气！有事随时找我。"))
    elif kind is Kind.OK:
        await reply(update, _("好的。有事随时找我。"))
    elif kind is Kind.REGISTER:
        await reply(
            update,
            _("登记或修改您家的门牌，请点下面的按钮。"),
            reply_markup=_register_markup(_),
        )
    elif kind is Kind.LANG:
        rows = [
            [InlineKeyboardButton(LANG_NAMES[c], callback_data=callbacks.pack("lang", c))]
            for c in LANGS
        ]
        await reply(update, _("请选择语言："), reply_markup=InlineKeyboardMarkup(rows))


async def _repair(update: Update, context: Context) -> None:
    await repair_entry(update, context)


SIMPLE = {
    Kind.GREET: greet,
    Kind.HELP: short_help,
    Kind.REPAIR: _repair,
    Kind.MY_TICKETS: repairs_resident.my_command,
    Kind.GRID: community.grid_command,
    Kind.MENU: menu_order.menu_command,
    Kind.PROGRESS: menu_progress.progress_command,
    Kind.SORT_HINT: sort_hint,
}


# ---- handlers -----------------------------------------------------------------------------------
async def talk(update: Update, context: Context) -> None:
    """Private text no form took."""
    message = update.effective_message
    if message is None or not message.text:
        return
    pending = context.state.get(PREFILL)
    if pending and _answers_offer(message.text):
        # "是的" or "水管" typed under 要报修吗？: the offer again, her sentence kept, and the
        # category she named as the one big button (user test: it was thrown away).
        key = category_of(normalize(message.text))
        await offer_repair(update, context, Intent(Kind.FAULT, key), str(pending))
        return
    context.state.pop(PREFILL, None)  # an offer not taken is forgotten at the next message
    context.state.pop(PREFILL_MEDIA, None)
    await run(update, context, classify(message.text), message.text)


_YES = {
    "是",
    "是的",
    "对",
    "对的",
    "好",
    "好的",
    "要",
    "要报修",
    "报修",
    "嗯",
    "yes",
    "y",
    "ok",
    "sure",
}


# ---- a sentence in a group -----------------------------------------------------------------------
GROUP_NUDGE = "group_nudge"  # user_data: when this person was last pointed to the private chat
NUDGE_EVERY = timedelta(hours=12)
_ASKS = re.compile(r"谁|怎么|联系|电话|哪|[?？]|\bwho\b|\bhow\b")
_QUESTION = re.compile(r"吗|么|[?？]")


async def group_talk(update: Update, context: Context) -> None:
    """Plain text in a residents' group: the bot stays out of the neighbours' conversation,
    except for a short sentence clearly meant for it (user test: an elderly resident typed
    电梯坏了 in the group and thought it was reported). Asking who the grid worker is gets the
    group's /grid answer; a fault or 我要报修 gets one pointer to the private chat, at most
    every 12 hours per person, so a chatty group is not flooded."""
    message = update.effective_message
    if message is None or not message.text or len(message.text) > 60:
        return
    text = message.text
    intent = classify(text)
    if intent.kind is Kind.GRID and _ASKS.search(text):
        await community.grid_command(update, context)
        return
    if intent.kind not in (Kind.FAULT, Kind.REPAIR) or _QUESTION.search(text):
        return
    now = context.rt.clock.now()
    last = context.state.get(GROUP_NUDGE)
    if isinstance(last, str) and now - datetime.fromisoformat(last) < NUDGE_EVERY:
        return
    context.state[GROUP_NUDGE] = now.isoformat()
    await repair_entry(update, context)


def _answers_offer(text: str) -> bool:
    """A short reply to 要报修吗？: yes, or the name of a repair category."""
    clean = normalize(text).strip(" 。.!！?？").lower()
    return len(clean) <= 8 and (clean in _YES or category_of(clean) is not None)


async def media_talk(update: Update, context: Context) -> None:
    """A photo or voice note no form took: offer a repair with it attached; a photo's
    caption is the description, a voice note is one (no speech recognition)."""
    message = update.effective_message
    if message is None:
        return
    _ = await tr_chat(update, context)
    context.state.pop(PREFILL, None)
    caption = message.caption or ""
    if message.voice is not None:
        context.state[PREFILL_MEDIA] = {"voices": [message.voice.file_id]}
        context.state[PREFILL] = repair_rules.VOICE
        text = _(VOICE_KEPT) + "\n" + _("要报修吗？请选是哪一类问题：")
    elif message.photo:
        context.state[PREFILL_MEDIA] = {"photos": [message.photo[-1].file_id]}
        if caption.strip():
            intent = classify(caption)
            guess = intent if intent.kind is Kind.FAULT else Intent(Kind.FAULT, "other")
            await offer_repair(update, context, guess, caption)
            return
        text = _("收到照片。要报修吗？照片会附在报修单上。请选是哪一类问题：")
    else:
        return
    rows = _category_rows(_)
    rows.append([_button(_("✖️ 不用了"), "no")])
    await reply(update, text, reply_markup=InlineKeyboardMarkup(rows))


async def choice(update: Update, context: Context) -> None:
    query = update.callback_query
    try:
        cb = callbacks.unpack(query.data if query else None, F)
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    if cb.action == "no":
        context.state.pop(PREFILL, None)
        context.state.pop(PREFILL_MEDIA, None)
        _ = await tr_chat(update, context)
        await answer_callback(update, _("好的"))
        return
    kind = next((k for k in CHOICE_LABELS if k.value == cb.action), None)
    if kind is None and cb.action not in ("cats", "practice"):
        await refuse_callback(update, context, f"unknown choice {cb.action!r}")
        return
    await answer_callback(update)
    if cb.action == "cats":
        _ = await tr_chat(update, context)
        rows = _category_rows(_)
        rows.append([_button(_("✖️ 不用了"), "no")])
        await reply(update, _("请选是哪一类问题："), reply_markup=InlineKeyboardMarkup(rows))
        return
    if cb.action == "practice":
        await sorting.practice_command(update, context)
        return
    if kind is not None:
        await run(update, context, Intent(kind))


async def answer_freely(update: Update, context: Context, text: str) -> None:
    """A sentence typed in a form that was then stopped (handlers/forms.py)."""
    await run(update, context, classify(text), text)


def register(app: App) -> None:
    forms.answer_freely = answer_freely
    # Last of the features (bot/app.py): a form waiting for text gets it first.
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, talk)
    )
    app.add_handler(
        MessageHandler((filters.PHOTO | filters.VOICE) & filters.ChatType.PRIVATE, media_talk)
    )
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.GROUPS, group_talk)
    )
    app.add_handler(CallbackQueryHandler(choice, pattern=callbacks.pattern(F)))
