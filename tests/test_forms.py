"""Forms that let go (issue #16): time-outs that survive a restart, typed button words, and
"stop the form first?" when a resident clearly wants something else mid-form."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import STAFF, WANG, register, setup_community


async def at_description(sim: Simulator, group: Chat) -> Chat:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "水管")
    reply = await sim.press(WANG, reply, "我家这个单元")
    assert "是什么问题" in reply.text
    return chat


async def tickets(sim: Simulator) -> int:
    return int(await sim.rt.db.fetchval("SELECT count(*) FROM repair_tickets"))


async def test_an_abandoned_repair_ends_by_itself_and_the_next_question_is_read_freshly(
    sim: Simulator, group: Chat
) -> None:
    chat = await at_description(sim, group)
    quiet = await sim.advance(timedelta(minutes=20))
    assert not quiet.to(WANG.id)
    ended = await sim.advance(timedelta(minutes=11))
    assert "刚才的报修没有填完，已经帮您取消了" in ended.text
    assert [c.chat_id for c in ended.calls if c.method == "sendMessage"] == [WANG.id]
    reply = await sim.send(WANG, chat, "电池是什么垃圾")
    assert "有害垃圾" in reply.text
    assert "问题：" not in reply.text and await tickets(sim) == 0
    assert "repair_draft" not in sim.app.user_data[WANG.id]  # type: ignore[union-attr]


async def test_each_answer_moves_the_deadline(sim: Simulator, group: Chat) -> None:
    chat = await at_description(sim, group)
    await sim.advance(timedelta(minutes=25))
    reply = await sim.send(WANG, chat, "厨房水管漏水")
    assert "照片" in reply.text
    assert not (await sim.advance(timedelta(minutes=25))).to(WANG.id)
    assert "没有填完" in (await sim.advance(timedelta(minutes=6))).text


async def test_a_form_abandoned_for_two_days_ends_even_across_a_restart(
    sim: Simulator, group: Chat
) -> None:
    chat = await at_description(sim, group)
    await sim.stop()
    sim.clock.advance(timedelta(days=2))  # the bot was down at the deadline: no job ran
    await sim.start()
    reply = await sim.send(WANG, chat, "电池是什么垃圾")
    assert "刚才的报修没有填完" in reply.text
    assert "有害垃圾" in reply.text and await tickets(sim) == 0
    await sim.restart()  # and it stays ended
    reply = await sim.send(WANG, chat, "香蕉皮")
    assert "问题：" not in reply.text and "没有填完" not in reply.text
    assert not (await sim.advance(timedelta(hours=1))).to(WANG.id)  # told once


async def test_a_garbage_question_mid_form_asks_once_whether_to_stop(
    sim: Simulator, group: Chat
) -> None:
    chat = await at_description(sim, group)
    reply = await sim.send(WANG, chat, "电池是什么垃圾")
    assert "您在填报修单，要先停下来吗" in reply.text
    reply = await sim.press(WANG, reply, "停下")
    assert "已经停下" in reply.text and "有害垃圾" in reply.text
    reply = await sim.send(WANG, chat, "楼道灯坏了")  # the form is gone: read as a sentence
    assert "要报修吗" in reply.text
    # Again, and 继续填 this time: the form goes on, and does not ask twice.
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "水管")
    reply = await sim.press(WANG, reply, "我家这个单元")
    reply = await sim.send(WANG, chat, "📄 我的报修")  # a keyboard button of another feature
    assert "要先停下来吗" in reply.text
    reply = await sim.press(WANG, reply, "继续填")
    assert "继续回答" in reply.text
    reply = await sim.send(WANG, chat, "水管进度慢，一直在滴水")
    assert "照片" in reply.text


async def test_typing_the_words_on_a_button_presses_it(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/repair")
    reply = await sim.send(WANG, chat, "水管")
    assert "问题在哪里" in reply.text
    reply = await sim.send(WANG, chat, "我家")
    assert "是什么问题" in reply.text
    reply = await sim.send(WANG, chat, "厨房水管漏水")
    reply = await sim.send(WANG, chat, "没有照片")
    assert "志愿者看到" in reply.text
    reply = await sim.send(WANG, chat, "不可以")
    assert "请核对" in reply.text and "不公开" in reply.text
    reply = await sim.send(WANG, chat, "提交")
    assert "#1" in reply.text
    row = await sim.rt.db.fetchone("SELECT category, description FROM repair_tickets")
    assert row is not None and (row["category"], row["description"]) == ("water", "厨房水管漏水")


async def test_registration_asks_for_what_is_missing_and_ends_with_the_keyboard(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/register")
    reply = await sim.send(WANG, chat, "电池是什么垃圾")
    assert "您在登记门牌，要先停下来吗" in reply.text
    reply = await sim.press(WANG, reply, "继续填")
    reply = await sim.send(WANG, chat, "302")
    assert "还缺楼号" in reply.text
    reply = await sim.send(WANG, chat, "21号楼302")
    assert "还缺单元号" in reply.text
    reply = await sim.send(WANG, chat, "4")
    assert "怎么称呼" in reply.text
    reply = await sim.send(WANG, chat, "王阿姨")
    assert "请核对" in reply.text and "21号楼4单元302" in reply.text
    reply = await sim.send(WANG, chat, "确认")
    assert "登记成功" in reply.text
    keyboards = [c.params["reply_markup"] for c in reply.calls if c.params.get("reply_markup")]
    assert any("keyboard" in k for k in keyboards)
    household = await sim.rt.db.fetchval("SELECT room FROM households")
    assert household == "302"


async def test_registration_and_staff_notes_let_go_too(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/register")
    await sim.send(WANG, chat, "21")
    ended = await sim.advance(timedelta(minutes=31))
    assert "刚才的登记没有填完" in ended.text
    reply = await sim.send(WANG, chat, "4")  # not taken as the unit any more
    assert "怎么称呼" not in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM households") == 0
    assert STAFF.id not in [c.chat_id for c in ended.calls]


async def test_starting_a_form_ends_the_one_left_open_in_that_chat(
    sim: Simulator, group: Chat
) -> None:
    """One form at a time in a chat: the next sentence answers the newest question only."""
    chat = await at_description(sim, group)
    reply = await sim.send(WANG, chat, "/register")  # the repair was left at its description
    assert "没有填完" in reply.text or "取消" in reply.text, reply.text
    reply = await sim.send(WANG, chat, "21号楼4单元302")  # the new address, not a fault
    assert await tickets(sim) == 0
    assert "是什么问题" not in reply.text


async def test_a_fault_typed_where_the_place_is_asked_is_kept_as_the_problem(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "物业")
    assert "问题在哪里" in reply.text
    reply = await sim.send(WANG, chat, "电梯坏了")  # the problem, not a place
    assert "问题记下了：电梯坏了" in reply.text and "在哪里" in reply.text
    reply = await sim.send(WANG, chat, "21号楼4单元电梯")
    assert "问题：电梯坏了" in reply.text  # not asked again
