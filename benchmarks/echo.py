"""The minimal PTB echo bot (Application + MessageHandler echo) on a FakeBotAPI."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from benchmarks import updates as U
from benchmarks.feeder import Feeder, summary
from bot.offline.fakeapi import FakeBotAPI
from bot.offline.simulator import FAKE_TOKEN


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


def echo_updates(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        uid = 1_000_000 + i % 500
        out.append(U.message(U.user(uid), U.private_chat(uid), f"你好 {i}", "echo"))
    return out


class EchoBot:
    async def start(self) -> EchoBot:
        self.api = FakeBotAPI()
        self.app = (
            Application.builder()
            .token(FAKE_TOKEN)
            .base_url("http://127.0.0.1:9/bot")
            .request(self.api)
            .get_updates_request(self.api)
            .updater(None)
            .build()
        )
        self.app.add_handler(MessageHandler(filters.TEXT, _echo))
        await self.app.initialize()
        await self.app.start()
        self.feeder = Feeder(self.app, self.api)
        return self

    async def saturate(self, n: int) -> float:
        return summary(await self.feeder.saturate(echo_updates(n)))["updates_per_s"]

    async def stop(self) -> None:
        await self.app.stop()
        await self.app.shutdown()
