"""/dashboard: a staff member or grid worker gets, in private, a sign-in link to the web
dashboard (ten minutes, once, theirs only) and, where the dashboard has a public https
address, a button that opens it inside Telegram as a Mini App.

What happens is in `bot/workflows/dashboard.py`; the web pages are `bot/dashboard_web.py`.
"""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
    WebAppInfo,
)
from telegram.ext import CommandHandler

from bot.commands import Audience, declare
from bot.context import App
from bot.i18n import N_
from bot.workflows import dashboard as flow
from handlers.shared import Context, is_private, reply, tr_chat

declare("dashboard", N_("打开网页看板（点单、报修、走访、通知）"), Audience.GRID_WORKER, order=90)

PRIVATE_ONLY = N_("看板链接只能在与我的私聊中领取：请私聊我发送 /dashboard。")
OFF = N_("网页看板还没有开启（需要设置 DASHBOARD_URL）。")
NOT_ALLOWED = N_("网页看板只给社区工作人员和网格员使用。")
SENT = N_("这是您的看板登录链接：10 分钟内有效，只能用一次，只给您本人使用，请不要转发。")
OPEN_LINK = N_("在浏览器打开看板")
OPEN_APP = N_("在 Telegram 里打开看板")


async def dashboard(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    _ = await tr_chat(update, context)
    if not is_private(update):
        await reply(update, _(PRIVATE_ONLY))
        return
    issued = await flow.issue_link(context.rt, user.id)
    if issued.refused:
        why = OFF if issued.refused == "off" else NOT_ALLOWED
        await reply(update, _(why))
        return
    rows = [[InlineKeyboardButton(_(OPEN_LINK), url=issued.url)]]
    if issued.webapp_url:  # Telegram opens Mini Apps from https addresses only
        rows.append([InlineKeyboardButton(_(OPEN_APP), web_app=WebAppInfo(url=issued.webapp_url))])
    # No preview: a previewer fetching the link must not be what opens it.
    await reply(
        update,
        _(SENT),
        reply_markup=InlineKeyboardMarkup(rows),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def register(app: App) -> None:
    app.add_handler(CommandHandler("dashboard", dashboard))
