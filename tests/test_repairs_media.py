"""Photos with captions and voice notes (issue #16): a repair starts or goes on with them,
kept by file_id, and the voice reaches whoever handles the ticket by sendVoice."""

from __future__ import annotations

from bot.offline.simulator import Chat, Simulator
from tests.conftest import GRID, GROUP_ID, WANG, register, setup_community


async def resident(sim: Simulator, group: Chat) -> Chat:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    return sim.private(WANG)


async def media(sim: Simulator) -> list[tuple[str, str]]:
    rows = await sim.rt.db.fetchall("SELECT kind, file_id FROM repair_photos ORDER BY seq")
    return [(r["kind"], r["file_id"]) for r in rows]


async def test_a_captioned_photo_offers_a_repair_with_both(sim: Simulator, group: Chat) -> None:
    chat = await resident(sim, group)
    reply = await sim.send_photo(WANG, chat, caption="厨房水管漏水")
    assert "要报修吗" in reply.text and "厨房水管漏水" in reply.text
    reply = await sim.press(WANG, reply, "报修：水管")
    reply = await sim.press(WANG, reply, "我家这个单元")
    assert "问题：厨房水管漏水" in reply.text and "已收到 1 张照片" in reply.text
    reply = await sim.send(WANG, chat, "好了")
    reply = await sim.send(WANG, chat, "不可以")
    reply = await sim.send(WANG, chat, "提交")
    assert "#1" in reply.text
    assert await sim.rt.db.fetchval("SELECT description FROM repair_tickets") == "厨房水管漏水"
    assert [kind for kind, _file in await media(sim)] == ["photo"]


async def test_at_the_description_a_caption_is_the_description_and_three_photos_at_most(
    sim: Simulator, group: Chat
) -> None:
    chat = await resident(sim, group)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "楼道与楼梯")
    reply = await sim.press(WANG, reply, "我家这个单元")
    reply = await sim.send_photo(WANG, chat, caption="楼道灯不亮")
    assert "问题：楼道灯不亮" in reply.text and "已收到 1 张照片" in reply.text
    await sim.send_photo(WANG, chat)
    reply = await sim.send_photo(WANG, chat)
    assert "志愿者看到" in reply.text  # three: on to the next question
    reply = await sim.send_photo(WANG, chat)
    assert "最多3张照片" in reply.text
    reply = await sim.send(WANG, chat, "可以")
    reply = await sim.send(WANG, chat, "确认")
    assert "#1" in reply.text
    assert len(await media(sim)) == 3


async def test_a_voice_note_starts_a_repair_and_reaches_the_grid_worker(
    sim: Simulator, group: Chat
) -> None:
    chat = await resident(sim, group)
    reply = await sim.send_voice(WANG, chat)
    assert "语音已收到，会一起转给处理的人" in reply.text
    reply = await sim.press(WANG, reply, "屋顶漏水")
    reply = await sim.press(WANG, reply, "我家这个单元")
    assert "问题：🎤" in reply.text
    reply = await sim.send(WANG, chat, "没有照片")
    reply = await sim.send(WANG, chat, "不可以")
    assert "语音：1 条" in reply.text
    reply = await sim.send(WANG, chat, "提交")
    offer = next(c for c in reply.calls if c.chat_id == GRID.id and c.buttons)
    [(kind, file_id)] = await media(sim)
    assert kind == "voice"
    details = await sim.press(GRID, offer, "查看详情")
    voices = [c for c in details.calls if c.method == "sendVoice"]
    assert [(c.chat_id, c.params["voice"]) for c in voices] == [(GRID.id, file_id)]
    assert not sim.api.sent("sendVoice", chat_id=GROUP_ID)


async def test_a_voice_note_at_the_description_step_is_the_description(
    sim: Simulator, group: Chat
) -> None:
    chat = await resident(sim, group)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "水管")
    reply = await sim.press(WANG, reply, "我家这个单元")
    reply = await sim.send_voice(WANG, chat)
    assert "语音已收到" in reply.text and "照片" in reply.text
    reply = await sim.send_voice(WANG, chat)  # a second one, at the photo step: kept too
    assert "语音已收到" in reply.text
    await sim.send(WANG, chat, "跳过")
    await sim.send(WANG, chat, "不可以")
    reply = await sim.send(WANG, chat, "提交")
    assert "#1" in reply.text
    assert [kind for kind, _file in await media(sim)] == ["voice", "voice"]


async def test_demo_scene_one_sentence_and_one_voice_note(sim: Simulator, group: Chat) -> None:
    from bot.offline.demo import SCENES
    from bot.offline.demo_talk import scene
    from bot.offline.transcript import Transcript

    assert "bot.offline.demo_talk" in SCENES
    await resident(sim, group)
    lines: list[str] = []
    Transcript(sim, lines.append)
    await scene(sim, lines.append)
    rows = await sim.rt.db.fetchall("SELECT description FROM repair_tickets ORDER BY id")
    assert [r["description"] for r in rows] == ["厨房水管漏水了，地上都是水", "🎤"]
    assert any("〔语音〕" in line and "李网格" in line for line in lines), lines
    assert any("语音已收到，会一起转给处理的人" in line for line in lines)
