"""The filing conversation's wiring (handlers/repairs_filing.py has its steps): which step
takes which update, and the words that press each step's buttons when typed ("跳过",
"没有照片", "提交", "水管"), so a resident may answer by typing what they see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot import repairs as rules
from bot.context import App
from bot.i18n import N_
from handlers import forms
from handlers.community import AFTER_REGISTER
from handlers.forms import Choice
from handlers.repairs_common import on_button
from handlers.repairs_filing import (
    CATEGORY,
    CONFIRM,
    DESCRIPTION,
    DRAFT,
    DUPLICATE,
    IDENTITY,
    PHOTOS,
    PLACE,
    PLACE_TEXT,
    PREFILL,
    PREFILL_MEDIA,
    F,
    Step,
    after_register,
    cancel,
    duplicate_button,
    go_back,
    got_category,
    got_description,
    got_identity,
    got_photo,
    got_place_text,
    not_understood,
    photos_done,
    photos_text,
    place_button,
    repair_entry,
    stray_button,
    submit,
)
from handlers.repairs_media import description_photo, got_voice, photo_elsewhere
from handlers.shared import Context

NAME = "repairs"
YES = ("是", "是的", "对", "对的", "好", "好的", "行", "可以", "没问题", "嗯", "ok", "yes")
NO = ("不是", "不", "不对", "不行", "不要", "不可以", "否", "no")


def _p(action: str, *args: int | str) -> str:
    return callbacks.pack(F, action, *args)


NAV = (
    Choice(go_back, _p("back"), (N_("⬅️ 返回"), "上一步", "back")),
    Choice(cancel, _p("cancel"), (N_("✖️ 取消"), "不报了", "算了", "cancel")),
)
CATEGORIES = tuple(Choice(got_category, _p("cat", c.key), (c.name,)) for c in rules.CATEGORIES)
PLACES = (
    Choice(place_button, _p("home"), ("我家", "家里", "我家这个单元", "这个单元", "本单元")),
    Choice(place_button, _p("type"), ("别的地方", "别处", "其他地方", "其它地方")),
)
SKIP = ("跳过", "没有照片", "没照片", "没有", "不用", "不发", "不用了", "好了", "发完了", "没了")
PHOTOS_DONE = (
    Choice(photos_done, _p("skip"), (N_("⏭ 跳过"), N_("✅ 好了"), *SKIP, "skip", "done")),
)
CONFIRMS = (Choice(submit, _p("ok"), (N_("✅ 提交报修"), "提交", "确认", "确定", "没错", *YES)),)


def _duplicates(context: Context) -> Sequence[Choice]:
    draft: dict[str, Any] = context.state.get(DRAFT) or {}
    new = Choice(duplicate_button, _p("new"), ("不是同一个问题", "继续报修", "继续", "新的", *NO))
    similar = draft.get("similar") or []
    if len(similar) != 1:
        return (new, *NAV)
    same = ("我也遇到了", "一样", "同一个", "同一个问题", "也是", *YES)
    return (new, Choice(duplicate_button, _p("plus", similar[0]), same), *NAV)


def _identities(context: Context) -> Sequence[Choice]:
    draft: dict[str, Any] = context.state.get(DRAFT) or {}
    choices = [
        Choice(got_identity, _p("id", 0), (N_("🙅 不可以"), *NO)),
        Choice(got_identity, _p("id", 1), (N_("👌 可以"), *YES)),
    ]
    if draft.get("has_phone"):
        phone = (N_("📞 可以，也给电话"), "给电话", "也给电话", "可以给电话")
        choices.insert(0, Choice(got_identity, _p("id", 2), phone))
    return (*choices, *NAV)


def register(app: App) -> None:
    private = filters.ChatType.PRIVATE
    other = ~filters.COMMAND & ~filters.StatusUpdate.ALL & private

    def on(fn: Step, *actions: str) -> CallbackQueryHandler[Context, Any]:
        return on_button(fn, F, *actions)

    def typed(otherwise: Step, choices: forms.Choices = NAV) -> MessageHandler[Context, Any]:
        return forms.typed(NAME, otherwise, choices)

    conversation = forms.Form(
        entry_points=[
            CommandHandler("repair", repair_entry),
            CommandHandler("start", repair_entry, filters.Regex(r"^/start repair(-\d+)?$")),
            # The category buttons also start it: after registration, or from an old menu.
            on(got_category, "cat"),
        ],
        states={
            CATEGORY: [on(got_category, "cat"), typed(not_understood, (*CATEGORIES, *NAV))],
            PLACE: [on(place_button, "home", "type"), typed(got_place_text, (*PLACES, *NAV))],
            PLACE_TEXT: [typed(got_place_text)],
            DUPLICATE: [on(duplicate_button, "plus", "new"), typed(not_understood, _duplicates)],
            DESCRIPTION: [
                typed(got_description),
                MessageHandler(filters.PHOTO & private, description_photo),
            ],
            PHOTOS: [
                MessageHandler(filters.PHOTO & private, got_photo),
                typed(photos_text, (*PHOTOS_DONE, *NAV)),
                on(photos_done, "skip"),
            ],
            IDENTITY: [on(got_identity, "id"), typed(not_understood, _identities)],
            CONFIRM: [on(submit, "ok"), typed(not_understood, (*CONFIRMS, *NAV))],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            on(cancel, "cancel"),
            on(go_back, "back"),
            CommandHandler("repair", repair_entry),
            MessageHandler(filters.VOICE & private, got_voice),
            MessageHandler(filters.PHOTO & private, photo_elsewhere),
            MessageHandler(other, not_understood),
            on(stray_button),
        ],
        name=NAME,
        allow_reentry=True,
        timed_out=N_("刚才的报修没有填完，已经帮您取消了。需要时再点「报修」。"),
        doing=N_("您在填报修单，要先停下来吗？"),
        drafts=(DRAFT, PREFILL, PREFILL_MEDIA),
    )
    app.add_handler(conversation)
    # A stale 'rp' button outside the conversation (e.g. after /cancel).
    app.add_handler(on(stray_button))
    AFTER_REGISTER["repairs"] = after_register
