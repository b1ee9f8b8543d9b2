"""The demo scene plays a short game to a winner and a few look-ups."""

from __future__ import annotations

from bot.offline.demo import SCENES
from bot.offline.demo_quiz import KID_A, KID_B, scene
from bot.offline.simulator import Chat, Simulator
from bot.offline.transcript import Transcript
from tests.conftest import WANG, register, say_hello, setup_community


async def test_demo_scene_plays_a_game_and_looks_up(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await say_hello(sim, KID_A, KID_B)
    await register(sim, WANG, "21-4-302", "王阿姨")
    lines: list[str] = []
    Transcript(sim, lines.append)
    await scene(sim, lines.append)
    text = "\n".join(lines)
    assert "冠军是 🔴小明" in text and "还没轮到你哦" in text and "❌" in text
    assert "🔴有害垃圾" in text and "奶茶杯" in text and "大件垃圾" in text
    assert "bot.offline.demo_quiz" in SCENES
