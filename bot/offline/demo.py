"""`community-bot demo`: a scripted day in a community, played through the real bot.

Everything goes through the real Application, handlers and an SQLite file; only Telegram is
replaced by the in-process fake Bot API. The transcript shows who said what in which chat,
what the bot answered, which buttons it showed and which were pressed.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.offline.simulator import Chat, Person, Simulator
from bot.offline.transcript import Transcript

ADMIN = Person(1, "街道管理员", "street_admin")
STAFF = Person(10, "孙晓军", "sun_staff")
GRID = Person(20, "李网格", "li_grid")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")
WANG = Person(101, "王阿姨", "wang_ayi")
LIU = Person(102, "刘大爷", "liu_dy")
CHEN = Person(104, "陳先生", "chen_hk", language_code="zh-hant")
KID_A = Person(201, "小明", "xiaoming")
KID_B = Person(202, "小红", "xiaohong")
GROUP_ID = -100100

Out = Callable[[str], None]
Scene = Callable[[Simulator, Out], Awaitable[None]]

# Feature scenes, in the order of a day: module path of `async def scene(sim, out)`.
SCENES: tuple[str, ...] = (
    "bot.offline.demo_menu",
    "bot.offline.demo_repairs",
    "bot.offline.demo_talk",
    "bot.offline.demo_reminders",
    "bot.offline.demo_quiz",
    "bot.offline.demo_dashboard",
)


def group_chat(sim: Simulator) -> Chat:
    return sim.group(GROUP_ID, "锡林社区居民群")


async def community_scene(sim: Simulator, out: Out) -> None:
    """Link the group, appoint people, residents register (one in Traditional characters)."""
    group = group_chat(sim)
    with sim.quiet():  # these people have talked to the bot before
        for person in (STAFF, GRID, VOLUNTEER, KID_A, KID_B):
            await sim.send(person, sim.private(person), "/start")
    out("\n=== 第一天上午 · 街道把居民群关联到锡林社区，任命工作人员、网格员和志愿者 ===")
    await sim.send(ADMIN, group, "/setup 锡林社区")
    await sim.send(ADMIN, group, f"/grant @{STAFF.username} 工作人员")
    await sim.send(STAFF, group, f"/grant @{GRID.username} 网格员")
    await sim.send(STAFF, group, f"/grid_assign @{GRID.username} 1-30")
    await sim.send(STAFF, group, f"/grant @{VOLUNTEER.username} 志愿者 维修,医疗服务")

    out("\n=== 接着 · 居民点群里的按钮，到私聊登记门牌 ===")
    await sim.send(WANG, group, "/register")
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/start reg-1")
    reply = await sim.send(WANG, chat, "21号楼4单元302")
    reply = await sim.send(WANG, chat, "王阿姨")
    await sim.press(WANG, reply, "确认")
    chat = sim.private(LIU)
    await sim.send(LIU, chat, "/register")
    await sim.send(LIU, chat, "不知道")
    await sim.send(LIU, chat, "五号楼")
    await sim.send(LIU, chat, "2")
    reply = await sim.send(LIU, chat, "101")
    reply = await sim.press(LIU, reply, "就用刘大爷")
    await sim.press(LIU, reply, "确认")
    chat = sim.private(CHEN)
    await sim.send(CHEN, chat, "/register")
    reply = await sim.send(CHEN, chat, "官西4號樓3單元201")
    reply = await sim.send(CHEN, chat, "陳先生")
    await sim.press(CHEN, reply, "確認")

    out("\n=== 随后 · 谁是我的网格员？ ===")
    await sim.send(WANG, group, "/grid")
    await sim.send(WANG, sim.private(WANG), "/grid")


async def run_demo(out: Out = print, database_path: str | None = None) -> float:
    """Play the day; returns the seconds it took."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = database_path or str(Path(tmp) / "demo.db")
        sim = Simulator(path, admins=(ADMIN.id,))
        Transcript(sim, out)
        await sim.start()
        try:
            out("社区助手 · 离线演示（真实的机器人程序，模拟的 Telegram）")
            await community_scene(sim, out)
            for name in SCENES:
                module = importlib.import_module(name)
                await module.scene(sim, out)
        finally:
            await sim.stop()
    elapsed = time.perf_counter() - started
    out(f"\n演示结束，用时 {elapsed:.1f} 秒。")
    return elapsed


def main(database_path: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run_demo(print, database_path))
    return 0
