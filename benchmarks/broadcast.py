"""Part 3: one notice to every group and a ping to many users, through the real rate limiter.

The bot is built exactly as in production (`ChatRateLimiter(max_retries=3)` with Telegram's
default limits) against `FloodLimitedBotAPI`, which answers 429 when a limit is exceeded.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram.error import TelegramError

from benchmarks import target
from benchmarks.limits import FloodLimitedBotAPI
from bot.offline.simulator import Simulator

TELEGRAM_RATE = 30.0


async def run(groups: int, users: int) -> dict[str, Any]:
    api = FloodLimitedBotAPI()
    with tempfile.TemporaryDirectory() as tmp:
        sim = Simulator(
            target.database(str(Path(tmp) / "b.db")), api=api, rate_limited=True, freeze_gc=True
        )
        await sim.start()
        try:
            assert sim.app is not None
            bot = sim.app.bot
            group_ids = [-1_000_000_000 - i for i in range(1, groups + 1)]
            user_ids = [3_000_000 + i for i in range(users)]
            for chat in group_ids:
                api.register_chat({"id": chat, "type": "supergroup", "title": str(chat)})
            errors: list[str] = []

            async def send(chat_id: int, text: str) -> None:
                try:
                    await bot.send_message(chat_id, text)
                except TelegramError as exc:
                    errors.append(repr(exc))

            start = time.perf_counter()
            await asyncio.gather(
                *(send(c, "【社区通知】明天上午9点在社区广场召开改造议事会。") for c in group_ids),
                *(send(u, "您好，您报修的问题有新进展，请查看。") for u in user_ids),
            )
            elapsed = (api.last_at or start) - start
        finally:
            await sim.stop()
    targets = [*group_ids, *user_ids]
    delivered = sum(api.delivered[t] for t in targets)
    missing = sum(1 for t in targets if api.delivered[t] == 0)
    duplicated = sum(1 for t in targets if api.delivered[t] > 1)
    rate = delivered / elapsed if elapsed > 0 else 0.0
    # Telegram (and the limiter) allow a first burst of 30; the sustained rate leaves it out.
    sustained = max(delivered - TELEGRAM_RATE, 0) / elapsed if elapsed > 0 else 0.0
    return {
        "groups": groups,
        "users": users,
        "messages": len(targets),
        "delivered": delivered,
        "elapsed_s": round(elapsed, 2),
        "msg_per_s": round(rate, 2),
        "sustained_msg_per_s": round(sustained, 2),
        "share_of_30_per_s": round(sustained / TELEGRAM_RATE, 3),
        "http_429": api.too_many,
        "missing": missing,
        "duplicated": duplicated,
        "errors": len(errors),
        "exactly_once": missing == 0 and duplicated == 0,
    }
