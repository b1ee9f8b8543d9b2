"""Part 1: the framework's ceiling, a minimal PTB echo bot through the same fake and feeder."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from benchmarks import updates as U
from benchmarks.feeder import Feeder, summary
from bot.fakeapi import FakeBotAPI
from bot.simulator import FAKE_TOKEN


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


def echo_updates(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        uid = 1_000_000 + i % 500
        out.append(U.message(U.user(uid), U.private_chat(uid), f"你好 {i}", "echo"))
    return out


async def run(n: int) -> dict[str, Any]:
    api = FakeBotAPI()
    app = (Application.builder().token(FAKE_TOKEN).base_url("http://127.0.0.1:9/bot")
           .request(api).get_updates_request(api).updater(None).build())
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    await app.start()
    try:
        feeder = Feeder(app, api)
        await feeder.saturate(echo_updates(min(n, 300)))  # warm-up
        runs = [summary(await feeder.saturate(echo_updates(n // 3))) for _ in range(3)]
        runs.sort(key=lambda r: r["updates_per_s"])
        result = {**runs[1], "updates": n, "runs": [r["updates_per_s"] for r in runs]}
    finally:
        await app.stop()
        await app.shutdown()
    return {"updates_per_s": result["updates_per_s"], "updates": result["updates"],
            "runs": result["runs"]}
