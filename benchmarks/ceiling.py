"""Part 1: the framework's ceiling, a minimal PTB echo bot through the same fake and feeder."""

from __future__ import annotations

from typing import Any

from benchmarks.echo import EchoBot


async def run(n: int) -> dict[str, Any]:
    bot = await EchoBot().start()
    try:
        await bot.saturate(min(n, 300))  # warm-up
        runs = sorted([await bot.saturate(n // 3) for _ in range(3)])
    finally:
        await bot.stop()
    return {"updates_per_s": runs[1], "updates": n, "runs": runs}
