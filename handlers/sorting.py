"""Garbage-sorting look-up (/sort; plain questions in private come through handlers/intents.py)
and solo practice (/practice).

Correctness first: only a confident result (`LookupResult.found`) is shown as an answer; a
fuzzy result shows its candidates as buttons and never a category.

In a group an answer is one line, and a busy group gets several answers in one message
(the rule: bot/workflows/sorting.py); the full answer is for private chat.
"""

from __future__ import annotations

import logging
import random
import zlib
from functools import cache
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import DEFAULT_LANG, N_, Translate
from bot.quiz import practice_questions
from bot.sorting import Category, Item, KnowledgeBase, LookupResult, lookup
from bot.sorting_city import category_name
from bot.text import to_traditional
from bot.workflows import sorting as flow
from handlers.shared import (
    Context,
    answer_callback,
    deep_link,
    group_lang,
    is_private,
    link_button,
    refuse_callback,
    reply,
    send_long,
    tr_chat,
    tr_user,
    user_lang,
)

log = logging.getLogger(__name__)

declare("sort", N_("查垃圾分类：/sort 电池"), Audience.EVERYONE, order=40)
declare("practice", N_("垃圾分类小练习（私聊）"), Audience.EVERYONE, order=41)
declare("sort_unknown", N_("查不到的垃圾（大家问得最多的）"), Audience.STAFF, order=40)

F = "so"  # look-up buttons: 1|so|i|<item index>|<name check>
FP = "pr"  # practice buttons: 1|pr|a|<round>|<question>|<category>
PRACTICE = "practice"  # user_data key
PRACTICE_LEN = 10

CATEGORY_LABEL: dict[Category, str] = {
    Category.RECYCLABLE: N_("🔵可回收物"),
    Category.HAZARDOUS: N_("🔴有害垃圾"),
    Category.KITCHEN: N_("🟢厨余垃圾"),
    Category.OTHER: N_("⚫其他垃圾"),
}


def kb_text(lang: str, text: str) -> str:
    """Knowledge-base text is data in Simplified Chinese: Traditional for zh_Hant readers,
    left in Chinese for English readers (the reasons are written for Chinese children)."""
    return to_traditional(text) if lang == "zh_Hant" else text


def category_label(_: Translate, category: Category, city: str | None = None) -> str:
    """The category's name; where the community's city calls it otherwise (上海: 湿垃圾),
    the city's name first and the standard one in brackets."""
    label = _(CATEGORY_LABEL[category])
    if city is None:
        return label
    local = category_name(KnowledgeBase.get(), category, city)
    if local == category.zh:
        return label
    return _("{local}（{standard}）").format(local=local, standard=label)


async def chat_lang(update: Update, context: Context) -> str:
    """The language code tr_chat would use (needed for knowledge-base data)."""
    rt = context.rt
    chat = update.effective_chat
    if chat is not None and not is_private(update):
        return await group_lang(rt, chat.id)
    user = update.effective_user
    if user is None:
        return DEFAULT_LANG
    return await user_lang(rt, user.id, user.language_code)


@cache
def _item_index() -> dict[str, int]:
    return {item.name: n for n, item in enumerate(KnowledgeBase.get().items)}


def _name_check(name: str) -> str:
    """A short fingerprint of the item name: an old button never answers a different item
    after the knowledge base is reordered in a later release."""
    return format(zlib.crc32(name.encode()) & 0xFFFFFF, "06x")


def item_button(_: Translate, lang: str, item: Item) -> InlineKeyboardButton:
    index = _item_index()[item.name]
    return InlineKeyboardButton(
        kb_text(lang, item.name),
        callback_data=callbacks.pack(F, "i", index, _name_check(item.name)),
    )


def _short(query: str, limit: int = 30) -> str:
    query = " ".join(query.split())
    return query if len(query) <= limit else query[: limit - 1] + "…"


# ---- rendering -----------------------------------------------------------------------------
def render_item(
    _: Translate, lang: str, item: Item, advice: str | None = None, city: str | None = None
) -> str:
    tip = KnowledgeBase.get().categories[item.category].tip
    lines = [
        _("{name} → {category}").format(
            name=kb_text(lang, item.name), category=category_label(_, item.category, city)
        ),
        _("💡 原因：{reason}").format(reason=kb_text(lang, item.reason)),
    ]
    if advice:
        lines.append(_("👉 怎么做：{advice}").format(advice=kb_text(lang, advice)))
    if item.note:
        lines.append(_("📍 各地规定不同：{note}").format(note=kb_text(lang, item.note)))
    lines.append(_("🗑 投放提示：{tip}").format(tip=kb_text(lang, tip)))
    return "\n".join(lines)


def render(
    _: Translate, lang: str, result: LookupResult
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Text (and candidate buttons) for one look-up result."""
    if result.status in ("exact", "synonym") and result.item is not None:
        return render_item(_, lang, result.item, city=result.city), None
    if result.status == "composite" and result.item is not None:
        return render_item(_, lang, result.item, result.advice, result.city), None
    if result.status == "special" and result.special is not None:
        # Name what the person asked about ("沙发"), then the class's advice once.
        text = _("{item}属于{name}。\n👉 {advice}").format(
            item=kb_text(lang, result.matched or result.query_normalized),
            name=kb_text(lang, result.special.name),
            advice=kb_text(lang, result.special.advice),
        )
        return text, None
    if result.status == "category" and result.category is not None:
        info = result.category
        text = _("{name} 就是 {category}。\n{explain}\n🗑 投放提示：{tip}").format(
            name=kb_text(lang, result.query_normalized),
            category=category_label(_, info.code),
            explain=kb_text(lang, info.explain),
            tip=kb_text(lang, info.tip),
        )
        return text, None
    if result.status == "fuzzy" and result.candidates:
        # Not an answer: ask, and let the person pick; no category is shown here.
        markup = InlineKeyboardMarkup([[item_button(_, lang, item)] for item in result.candidates])
        return _("没有完全对上「{query}」。您是不是想问：").format(
            query=_short(result.query)
        ), markup
    if result.status == "empty":
        return _("请告诉我要查的东西，例如：/sort 电池"), None
    return _(
        "抱歉，没找到「{query}」🙏 我已经记下来了，工作人员会补上。\n"
        "可以换个说法试试，比如“塑料瓶”“剩饭”“电池”。"
    ).format(query=_short(result.query)), None


def _line(lang: str, text: str) -> str:
    return " ".join(kb_text(lang, text).split())


def render_line(_: Translate, lang: str, result: LookupResult) -> str | None:
    """A look-up answered in one line, for a group; None for candidates (they need buttons)."""
    if result.item is not None and result.status in ("exact", "synonym", "composite"):
        item = result.item
        text = _("{name} → {category}：{why}").format(
            name=kb_text(lang, item.name),
            category=category_label(_, item.category, result.city),
            why=_line(lang, result.advice or item.reason),
        )
        return text + (_("（各地规定不同）") if item.note else "")
    if result.status == "special" and result.special is not None:
        return _("{item}属于{name}。{advice}").format(
            item=kb_text(lang, result.matched or result.query_normalized),
            name=kb_text(lang, result.special.name),
            advice=_line(lang, result.special.advice),
        )
    if result.status == "category" and result.category is not None:
        return _("{name} 就是 {category}：{explain}").format(
            name=kb_text(lang, result.query_normalized),
            category=category_label(_, result.category.code),
            explain=_line(lang, result.category.explain),
        )
    if result.status == "fuzzy" and result.candidates:
        return None
    if result.status == "empty":
        return _("请告诉我要查的东西，例如：/sort 电池")
    return _("抱歉，没找到「{query}」🙏 已经记下来了，工作人员会补上。").format(
        query=_short(result.query)
    )


async def answer_in_group(update: Update, context: Context, query: str) -> None:
    """One line, quoting the question; in a busy group a line added to the latest answer."""
    rt = context.rt
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    _ = await tr_chat(update, context)
    lang = await group_lang(rt, chat.id)
    out = await flow.look_up_in_group(rt, chat.id, query, message.message_id)
    line = render_line(_, lang, out.result)
    if line is None:
        text, markup = render(_, lang, out.result)
        await reply(update, text, reply_markup=markup)
        return
    if out.digest_id is not None:
        lines = [*out.lines, _("{name}：{answer}").format(name=user.first_name, answer=line)]
        try:
            await context.bot.edit_message_text("\n".join(lines), chat.id, out.digest_id)
            flow.answered_in_group(rt, chat.id, out.digest_id, lines)
            return
        except TelegramError as exc:  # gone, or too fast: a message of its own then
            log.info("look-up answers %s not extended: %s", out.digest_id, exc)
    asked = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    sent = await chat.send_message(line, reply_parameters=asked)
    flow.answered_in_group(rt, chat.id, sent.message_id, [line])


async def answer_query(update: Update, context: Context, query: str) -> None:
    """/sort; private free text is read by handlers/intents.py, which uses `render`."""
    if not is_private(update):
        await answer_in_group(update, context, query)
        return
    _ = await tr_chat(update, context)
    lang = await chat_lang(update, context)
    chat, user = update.effective_chat, update.effective_user
    chat_id = chat.id if chat is not None else None
    user_id = user.id if user is not None else None
    city = await flow.city_for(context.rt, chat_id=chat_id, user_id=user_id)
    result = await flow.look_up(context.rt, query, city=city, chat_id=chat_id, user_id=user_id)
    text, markup = render(_, lang, result)
    await reply(update, text, reply_markup=markup)


# ---- handlers ------------------------------------------------------------------------------
async def sort_command(update: Update, context: Context) -> None:
    query = " ".join(context.args or [])
    await answer_query(update, context, query)


async def sort_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        cb = callbacks.unpack(query.data, F)
        if cb.action != "i":
            raise callbacks.BadCallback(f"unknown action {cb.action!r}")
        index = cb.int_arg(0)
        items = KnowledgeBase.get().items
        if not 0 <= index < len(items):
            raise callbacks.BadCallback(f"no item {index}")
        if cb.str_arg(1) != _name_check(items[index].name):
            raise callbacks.BadCallback(f"item {index} is not the one this button was made for")
    except callbacks.BadCallback as exc:
        await refuse_callback(update, context, exc)
        return
    _ = await tr_chat(update, context)
    lang = await chat_lang(update, context)
    await answer_callback(update)
    chat, user = update.effective_chat, update.effective_user
    city = await flow.city_for(
        context.rt, chat_id=chat.id if chat else None, user_id=user.id if user else None
    )
    # The picked item under this community's rules (its category and notes may differ).
    item = items[index]
    if city is not None:
        item = lookup(item.name, city).item or item
    if is_private(update):
        await reply(update, render_item(_, lang, item, city=city))
        return
    found = LookupResult("exact", item.name, item.name, item=item, city=city)
    await reply(update, render_line(_, lang, found) or "")


async def sort_unknown(update: Update, context: Context) -> None:
    rt = context.rt
    user = update.effective_user
    if user is None:
        return
    _ = await tr_chat(update, context)
    chat = update.effective_chat
    rows = await flow.unknown_look_ups(rt, user.id, chat_id=chat.id if chat is not None else None)
    if rows is None:
        await reply(update, _("只有社区工作人员可以查看。"))
        return
    if not rows:
        await reply(update, _("还没有查不到的物品。"))
        return
    # What residents typed is for staff, not for the residents' group: always in private.
    _t = await tr_user(context, user)  # the reader is the staff member, in private
    lines = [_t("大家问过、但知识库里还没有的物品（按次数）：")]
    lines += [_t("{query}：{n}次").format(query=r["query"], n=r["asked"]) for r in rows]
    try:
        await send_long(context.bot, user.id, "\n".join(lines))
    except TelegramError as exc:  # never opened a private chat, or blocked the bot
        log.info("could not send /sort_unknown to %s privately: %s", user.id, exc)
        await reply(update, _("请先私聊我一次（点我的头像，发送 /start），我才能把名单发给您。"))
        return
    if not is_private(update):
        await reply(update, _("名单已私聊发给您。"))


# ---- practice ------------------------------------------------------------------------------
def category_keyboard(_: Translate, feature: str, *head: int | str) -> InlineKeyboardMarkup:
    """Four big category buttons, two per row: callback `1|<feature>|a|<head…>|<code>`."""
    buttons = [
        InlineKeyboardButton(
            category_label(_, c), callback_data=callbacks.pack(feature, "a", *head, c.value)
        )
        for c in Category
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


async def _ask(update: Update, context: Context, state: dict[str, Any]) -> None:
    user = update.effective_user
    assert user is not None
    _ = await tr_user(context, user)
    lang = await user_lang(context.rt, user.id, user.language_code)
    n = state["i"]
    name = state["q"][n]
    await reply(
        update,
        _("第 {n}/{total} 题：{item} 是什么垃圾？").format(
            n=n + 1, total=len(state["q"]), item=kb_text(lang, name)
        ),
        reply_markup=category_keyboard(_, FP, state["id"], n),
    )


async def practice_command(update: Update, context: Context) -> None:
    _ = await tr_chat(update, context)
    if not is_private(update):
        await reply(
            update,
            _("小练习在私聊里做，点下面的按钮开始吧！"),
            reply_markup=link_button(_("✏️ 开始练习"), deep_link(context, "practice")),
        )
        return
    state = {
        "id": random.randint(1, 999_999),
        "q": [item.name for item in practice_questions(random.Random(), PRACTICE_LEN)],
        "i": 0,
        "score": 0,
    }
    context.state[PRACTICE] = state
    await reply(update, _("✏️ 垃圾分类小练习：{n} 道题，选出正确的垃圾桶！").format(n=PRACTICE_LEN))
    await _ask(update, context, state)


async def practice_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    state = context.state.get(PRACTICE)
    try:
        cb = callbacks.unpack(query.data, FP)
        round_id, n, code = cb.int_arg(0), cb.int_arg(1), cb.str_arg(2)
        chosen = Category(code)
    except (callbacks.BadCallback, ValueError) as exc:
        await refuse_callback(update, context, str(exc))
        return
    if not state or state["id"] != round_id or state["i"] != n:
        await refuse_callback(update, context, "stale practice question")
        return
    _ = await tr_user(context, user)
    lang = await user_lang(context.rt, user.id, user.language_code)
    item = KnowledgeBase.get().item(state["q"][n])
    if chosen == item.category:
        state["score"] += 1
        verdict = _("✅ 答对了！{name} → {category}").format(
            name=kb_text(lang, item.name), category=category_label(_, item.category)
        )
    else:
        verdict = _("❌ 差一点！{name} 是 {category}").format(
            name=kb_text(lang, item.name), category=category_label(_, item.category)
        )
    await answer_callback(update)
    await query.edit_message_text(
        verdict + "\n" + _("💡 原因：{reason}").format(reason=kb_text(lang, item.reason))
    )
    state["i"] += 1
    if state["i"] < len(state["q"]):
        await _ask(update, context, state)
        return
    score, total = state["score"], len(state["q"])
    context.state.pop(PRACTICE, None)
    cheer = (
        _("🏆 满分！你是垃圾分类小专家！")
        if score == total
        else _("👍 很不错，再练一次会更棒！")
        if score * 2 >= total
        else _("💪 加油！多练几次就会了。")
    )
    await reply(
        update,
        _("练习结束：答对 {score}/{total} 题。").format(score=score, total=total)
        + "\n"
        + cheer
        + "\n"
        + _("再来一次请发送 /practice"),
    )


def register(app: App) -> None:
    app.add_handler(CommandHandler("sort", sort_command))
    app.add_handler(CommandHandler("sort_unknown", sort_unknown))
    app.add_handler(CommandHandler("practice", practice_command))
    app.add_handler(CommandHandler("start", practice_command, filters.Regex(r"^/start practice$")))
    app.add_handler(CallbackQueryHandler(sort_button, pattern=callbacks.pattern(F)))
    app.add_handler(CallbackQueryHandler(practice_button, pattern=callbacks.pattern(FP)))
