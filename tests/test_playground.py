"""`community-bot chat`: scripted input through the playground, as a person would type it."""

from __future__ import annotations

from pathlib import Path

from bot.offline import demo
from bot.offline.playground import Playground, parse_delta
from bot.offline.simulator import Simulator
from bot.offline.transcript import Transcript


async def test_quiz_double_tap_and_dice_reveal_in_the_playground(tmp_path: Path, capsys) -> None:
    sim = Simulator(str(tmp_path / "p.db"), admins=(demo.ADMIN.id,))
    lines: list[str] = []
    transcript = Transcript(sim, lines.append, number_buttons=True)
    await sim.start()
    try:
        await demo.community_scene(sim, lambda _line: None)
        pg = Playground(sim, transcript)
        sim.api.dice_values.extend([4, 4, 4])
        for line in [":group", "/quiz", ":press 1", ":as 小明", ":press 1", ":as 王阿姨"]:
            assert await pg.handle(line)
        lobby_buttons = list(transcript.last_buttons)
        for line in [":press 2", ":press 1", ":later 10s", ":press 99", ":nonsense"]:
            assert await pg.handle(line)
        # A tap on the lobby's buttons, long gone: a polite word, never a crash.
        transcript.last_buttons = lobby_buttons
        assert await pg.handle(":press 2")
        assert not await pg.handle(":quit")
    finally:
        await sim.stop()
    out = capsys.readouterr().out
    text = "\n".join(lines)
    assert "🎲 掷出 4" in text
    assert "这个按钮已经没有了" in out or "(弹出提示)" in text.split("🎲 掷出 4")[-1]
    assert "是什么垃圾" in text or "属于" in text  # the question was revealed after the dice
    assert "请输入 1 到" in out and "不认识这个命令" in out


def test_parse_delta() -> None:
    assert parse_delta("10s").total_seconds() == 10
    assert parse_delta("2h").total_seconds() == 7200
    assert parse_delta("soon") is None
