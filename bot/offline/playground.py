"""`community-bot chat`: type as any user in any chat and watch the real bot answer.

The bot is the real Application on an SQLite file; Telegram is the in-process fake. A small
community is prepared (staff, a grid worker, a volunteer) so every feature can be tried.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from datetime import timedelta
from pathlib import Path

from bot.offline import demo
from bot.offline.simulator import Chat, Person, Reply, Simulator
from bot.offline.transcript import Transcript

HELP = """命令（其余输入都作为当前用户在当前聊天里发送的消息）：
  :who               列出可扮演的人
  :as 名字|编号       换成这个人（例如 :as 王阿姨）
  :group / :private  切换到居民群 / 与机器人的私聊
  :press N           按下最近一条消息的第 N 个按钮
  :later 2h          时间前进（10s、30m、2h、1d），到点的提醒会触发
  :dice 3 5          下次掷骰子的结果（用于游戏）
  :help              显示本帮助
  :quit              退出"""

DICE_PAUSE = timedelta(seconds=5)

CAST: tuple[Person, ...] = (
    demo.WANG,
    demo.LIU,
    demo.CHEN,
    demo.STAFF,
    demo.GRID,
    demo.VOLUNTEER,
    demo.ADMIN,
    demo.KID_A,
    demo.KID_B,
)


def parse_delta(text: str) -> timedelta | None:
    m = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not m:
        return None
    value, unit = int(m.group(1)), m.group(2)
    return {
        "s": timedelta(seconds=value),
        "m": timedelta(minutes=value),
        "h": timedelta(hours=value),
        "d": timedelta(days=value),
    }[unit]


class Playground:
    def __init__(self, sim: Simulator, transcript: Transcript) -> None:
        self.sim = sim
        self.transcript = transcript
        self.person = demo.WANG
        self.group = demo.group_chat(sim)
        self.chat: Chat = sim.private(self.person)

    def prompt(self) -> str:
        where = "居民群" if self.chat.id < 0 else "私聊"
        return f"{self.person.first_name}@{where}> "

    async def handle(self, line: str) -> bool:
        """One line of input; False to quit."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        if line == ":help":
            print(HELP)
        elif line == ":who":
            for i, p in enumerate(CAST, 1):
                print(f"  {i}. {p.first_name} (@{p.username})")
        elif line.startswith(":as "):
            self._switch(line[4:].strip())
        elif line == ":group":
            self.chat = self.group
        elif line == ":private":
            self.chat = self.sim.private(self.person)
        elif line.startswith(":press "):
            await self._press(line[7:].strip())
        elif line.startswith(":later "):
            delta = parse_delta(line[7:])
            if delta is None:
                print("格式：:later 10s | 30m | 2h | 1d")
            else:
                await self.sim.advance(delta)
                print(
                    f"（现在是 {self.sim.clock.now().astimezone(self.sim.config.tz):%m-%d %H:%M}）"
                )
        elif line.startswith(":dice"):
            values = [int(v) for v in line.split()[1:] if v.isdigit() and 1 <= int(v) <= 6]
            self.sim.api.dice_values.extend(values)
        elif line.startswith(":"):
            print("不认识这个命令，输入 :help 查看。")
        else:
            await self._after(await self.sim.send(self.person, self.chat, line))
        return True

    async def _after(self, reply: Reply | None) -> None:
        """A dice roll is revealed a few seconds later, as in Telegram: let that time pass."""
        if reply is not None and any(c.method == "sendDice" for c in reply.calls):
            await self.sim.advance(DICE_PAUSE)

    def _switch(self, who: str) -> None:
        for i, p in enumerate(CAST, 1):
            if who in (str(i), p.first_name, p.username, f"@{p.username}"):
                self.person = p
                if self.chat.id > 0:
                    self.chat = self.sim.private(p)
                return
        print("没有这个人，输入 :who 查看。")

    async def _press(self, number: str) -> None:
        buttons = self.transcript.last_buttons
        if not number.isdigit() or not 1 <= int(number) <= len(buttons):
            print(f"请输入 1 到 {len(buttons)} 之间的按钮编号。")
            return
        call, button = buttons[int(number) - 1]
        if "url" in button:
            url = button["url"]
            m = re.search(r"\?start=([A-Za-z0-9_-]+)", url)
            if m:  # a deep link opens the private chat with /start <payload>
                self.chat = self.sim.private(self.person)
                await self.sim.send(self.person, self.chat, f"/start {m.group(1)}")
            else:
                print(f"（这是一个链接：{url}）")
            return
        try:
            current = self.sim.current(call)
            reply = await self.sim.press(self.person, current, button.get("text"))
        except (AssertionError, KeyError):  # the bot removed or replaced those buttons
            print("这个按钮已经没有了，请按最新消息上的按钮。")
            return
        await self._after(reply)


async def run_chat(database_path: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = database_path or str(Path(tmp) / "playground.db")
        sim = Simulator(path, admins=(demo.ADMIN.id,))
        transcript = Transcript(sim, print, number_buttons=True)
        await sim.start()
        try:
            print("社区助手 · 对话练习场（离线）。正在准备社区……")
            if not await sim.rt.db.fetchval("SELECT count(*) FROM communities"):
                await demo.community_scene(sim, lambda _line: None)
            print(HELP)
            playground = Playground(sim, transcript)
            while True:
                try:
                    line = await asyncio.to_thread(input, playground.prompt())
                except EOFError:
                    break
                if not await playground.handle(line):
                    break
        finally:
            await sim.stop()


def main(database_path: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run_chat(database_path))
    return 0
