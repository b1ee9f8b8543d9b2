"""Photos and voice notes while filing a ticket (issue #16): residents send a photo with a
caption, or speak instead of typing. A captioned photo at the description step is the
description with its photo; a photo at another step is kept for the ticket; a voice note is
kept by file_id like a photo and sent to whoever handles the ticket (sendVoice). No speech
recognition: a ticket told by voice only has `rules.VOICE` as its description."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot import repairs as rules
from bot.i18n import N_
from handlers.repairs_filing import (
    DESCRIPTION,
    DRAFT,
    TOO_MANY_PHOTOS,
    ask_photos,
)
from handlers.shared import Context, reply, tr_chat

VOICE_KEPT = N_("语音已收到，会一起转给处理的人。")
TOO_MANY_VOICES = N_("最多{n}条语音，这条没有收下。")


def _draft(context: Context) -> dict[str, Any]:
    draft: dict[str, Any] = context.state.setdefault(DRAFT, {})
    return draft


async def description_photo(update: Update, context: Context) -> int:
    """A photo where the description is asked: its caption is the description."""
    _ = await tr_chat(update, context)
    message = update.effective_message
    assert message is not None and message.photo
    d = _draft(context)
    photos = d.setdefault("photos", [])
    if len(photos) < rules.MAX_PHOTOS:
        photos.append(message.photo[-1].file_id)
    said, _problem = rules.clean_description(message.caption)
    if said is None:
        await reply(update, _("照片收到了。请再用文字写一下是什么问题。"))
        return DESCRIPTION
    d["description"] = said
    await reply(update, _("问题：{text}").format(text=said))
    return await ask_photos(update, context, _)


async def photo_elsewhere(update: Update, context: Context) -> None:
    """A photo at a step that asks something else: kept for the ticket, up to the limit."""
    _ = await tr_chat(update, context)
    message = update.effective_message
    assert message is not None and message.photo
    photos = _draft(context).setdefault("photos", [])
    if len(photos) >= rules.MAX_PHOTOS:
        await reply(update, _(TOO_MANY_PHOTOS).format(n=rules.MAX_PHOTOS))
        return
    photos.append(message.photo[-1].file_id)
    await reply(update, _("照片收到了，会附在报修单上。请先回答上面的问题。"))


async def got_voice(update: Update, context: Context) -> int | None:
    """A voice note at any step: kept; where the description is asked, it is the description."""
    _ = await tr_chat(update, context)
    message = update.effective_message
    assert message is not None and message.voice
    d = _draft(context)
    voices = d.setdefault("voices", [])
    if len(voices) >= rules.MAX_VOICES:
        await reply(update, _(TOO_MANY_VOICES).format(n=rules.MAX_VOICES))
        return None
    voices.append(message.voice.file_id)
    await reply(update, _(VOICE_KEPT))
    if d.get("step") == DESCRIPTION and not d.get("description"):
        d["description"] = rules.VOICE
        return await ask_photos(update, context, _)
    return None
