"""Gaps found in user tests (#18), each fixed as a class, through the real Application."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import ADMIN, LIU, STAFF, WANG, WANG_SON, register, say_hello, setup_community
from tests.test_repairs import file_repair
from tests.test_trust_community import _ask_to_join


async def _ask_again(sim: Simulator) -> object:
    chat = sim.private(WANG_SON)
    await sim.send(WANG_SON, chat, "/register")
    await sim.send(WANG_SON, chat, "21-4-302")
    reply = await sim.send(WANG_SON, chat, "小明")
    return await sim.press(WANG_SON, reply, "确认")


async def test_a_repeated_join_request_asks_nobody_again(sim: Simulator, group: Chat) -> None:
    _, question = await _ask_to_join(sim, group)
    reply = await _ask_again(sim)
    assert "申请已经发过了" in reply.text, reply.text
    assert not reply.to(WANG.id) and not reply.to(STAFF.id)
    assert await sim.rt.db.fetchval("SELECT count(*) FROM household_requests") == 1

    await sim.press(WANG, question, "不同意")
    reply = await _ask_again(sim)  # right after a refusal: the family is left in peace
    assert "先不再打扰" in reply.text and not reply.to(WANG.id)
    await sim.advance(timedelta(hours=25))
    reply = await _ask_again(sim)  # a day later it is an ordinary request again
    assert reply.to(WANG.id) and "申请加入您家" in reply.to(WANG.id)[0].text


def test_b_clean_person_name_table() -> None:
    from bot.community import clean_person_name

    for typed, name in [
        ("就用王阿姨", "王阿姨"),
        ("那就叫我小明吧", "小明"),
        ("叫我王阿姨就行", "王阿姨"),
        ("我是王阿姨", "王阿姨"),
        ("称呼：王阿姨吧", "王阿姨"),
        ("“王阿姨”", "王阿姨"),
        ("Call me Alice", "Alice"),
        ("王阿姨", "王阿姨"),
        ("用户", "用户"),
        ("User", "User"),
        ('" OR 1=1 --', '" OR 1=1 --'),
        ("就用", ""),
    ]:
        assert clean_person_name(typed) == name, typed


async def test_b_phrasing_around_the_name_is_not_the_name(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/register")
    await sim.send(WANG, chat, "21-4-302")
    reply = await sim.send(WANG, chat, "就用王阿姨")
    assert "称呼：王阿姨" in reply.text, reply.text
    await sim.press(WANG, reply, "确认")
    name = await sim.rt.db.fetchval(
        "SELECT display_name FROM residents WHERE user_id = ?", (WANG.id,)
    )
    assert name == "王阿姨"
    await say_hello(sim, WANG_SON)
    chat = sim.private(WANG_SON)
    await sim.send(WANG_SON, chat, "/register")
    await sim.send(WANG_SON, chat, "22-1-101")
    reply = await sim.send(WANG_SON, chat, "叫我小明就行")
    assert "称呼：小明" in reply.text


async def test_c_a_bare_number_is_not_a_place(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "屋顶漏水")
    reply = await sim.send(WANG, chat, "1")  # typed at the 问题在哪里？ buttons
    assert "只有数字" in reply.text and "问题在哪里" in reply.text, reply.text
    reply = await sim.press(WANG, reply, "别的地方")
    reply = await sim.send(WANG, chat, "302")
    assert "只有数字" in reply.text
    reply = await sim.press(WANG, reply, "别的地方")
    reply = await sim.send(WANG, chat, "21号楼楼顶")
    assert "是什么问题" in reply.text or "我也遇到了" in reply.text, reply.text


async def test_d_my_shows_the_household_s_tickets_without_the_phone(
    sim: Simulator, group: Chat
) -> None:
    _, question = await _ask_to_join(sim, group)
    await sim.press(WANG, question, "同意")
    await sim.rt.db.execute(
        "UPDATE residents SET phone = '13800001234' WHERE user_id = ?", (WANG.id,)
    )
    tid, _ = await file_repair(sim, WANG, show="可以")
    await sim.rt.db.execute("UPDATE repair_tickets SET share_phone = 1 WHERE id = ?", (tid,))
    reply = await sim.send(WANG_SON, sim.private(WANG_SON), "/my")
    assert f"#{tid}" in reply.text and "家人王阿姨报的" in reply.text, reply.text
    reply = await sim.press(WANG_SON, reply, f"#{tid} 详情")
    assert f"#{tid}" in reply.text and "13800001234" not in reply.text, reply.text
    mine = await sim.send(WANG, sim.private(WANG), "/my")
    assert "家人" not in mine.text
    other = await sim.send(LIU, sim.private(LIU), "/my")  # another household sees nothing
    assert f"#{tid}" not in other.text


async def test_e_someone_else_s_button_says_whose_it_is(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    other = sim.group(-1002, "别的社区群")
    await sim.send(ADMIN, other, "/setup 另一个社区")
    ask = await sim.send(ADMIN, group, "/setup 另一个社区")
    assert "确定改关联" in str(ask.calls[-1].buttons), ask.text
    reply = await sim.press(WANG, ask, "确定改关联")
    assert "这是街道管理员的按钮" in reply.alerts()[0], reply.alerts()
    assert "已失效" not in reply.alerts()[0]
    # A forged or stale button of nobody in particular still says it expired.
    reply = await sim.press(WANG, None, data="1|zz|x", chat=group)
    assert "已失效" in reply.alerts()[0]


async def test_f_announce_now_answers_at_once_and_reports_later(
    sim: Simulator, group: Chat
) -> None:
    from tests.test_announce import announce, residents

    await residents(sim, group)
    sim.settle_background = False  # see what the staff member gets before the broadcast ends
    reply = await announce(sim, "本周六上午停水，请提前储水", [], None, ack=False)
    assert "正在发送" in reply.text
    assert sim.rt.scheduler.background  # the broadcast runs outside the staff's update
    await sim.rt.scheduler.settle()
    report = [c for c in sim.api.sent("sendMessage", STAFF.id) if "发送完毕" in c.text]
    assert len(report) == 1 and "送达" in report[0].text
    assert sim.api.sent("sendMessage", WANG.id)


async def test_g_english_writer_is_offered_english_once(sim: Simulator, group: Chat) -> None:
    from bot.offline.simulator import Person

    tom = Person(120, "Tom", "tom_en", language_code="zh")
    await say_hello(sim, tom)
    chat = sim.private(tom)
    reply = await sim.send(tom, chat, "/start")
    assert "/lang" in reply.text
    reply = await sim.send(tom, chat, "how do I report a leaking roof")
    offer = [c for c in reply.calls if "switch" in c.text.lower() or "英文" in c.text]
    assert offer and "Shall I" in offer[0].text, reply.text
    reply = await sim.press(tom, offer[0], "English")
    assert "Language set to" in reply.text or "English" in reply.text
    reply = await sim.send(tom, chat, "/help")
    assert "报修" not in reply.text  # now in English
    again = await sim.send(WANG, sim.private(WANG), "电池是什么垃圾")
    assert not any("英文" in c.text for c in again.calls)


async def test_announce_to_a_building_with_a_chinese_name(sim: Simulator, group: Chat) -> None:
    """Found by the demo: a building "官西4" could not be put on a button (callback data)."""
    from tests.conftest import CHEN

    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    chat = sim.private(CHEN)
    await sim.send(CHEN, chat, "/register")
    reply = await sim.send(CHEN, chat, "官西4號樓3單元201")
    reply = await sim.send(CHEN, chat, "陳先生")
    await sim.press(CHEN, reply, "確認")
    staff = sim.private(STAFF)
    await sim.send(STAFF, staff, "/announce")
    reply = await sim.send(STAFF, staff, "官西4号楼明天停电")
    picker = reply.last_with_buttons()
    await sim.press(STAFF, picker, "官西4号楼")
    reply = await sim.press(STAFF, sim.current(picker), "下一步")
    reply = await sim.press(STAFF, reply, "现在发送")
    reply = await sim.press(STAFF, reply.last_with_buttons(), "发送")
    assert reply.to(CHEN.id) and not reply.to(WANG.id)
    # A forged index outside the list is refused.
    await sim.send(STAFF, staff, "/announce")
    await sim.send(STAFF, staff, "测试")
    assert (await sim.press(STAFF, None, data="1|an|b|39", chat=staff)).alerts()
