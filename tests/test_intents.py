"""Everyday sentences in private chat: bot/intents.py (a table of real sentences) and the
router of handlers/intents.py through the real Application."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.intents import Kind, classify
from bot.offline.simulator import Chat, Simulator
from tests.conftest import ALICE, CHEN, GRID, STAFF, WANG, register, setup_community

G, T, OK, H = Kind.GREET, Kind.THANKS, Kind.OK, Kind.HELP
R, F, MY, GR = Kind.REPAIR, Kind.FAULT, Kind.MY_TICKETS, Kind.GRID
M, P, REG, L = Kind.MENU, Kind.PROGRESS, Kind.REGISTER, Kind.LANG
S, SH, U = Kind.SORTING, Kind.SORT_HINT, Kind.UNKNOWN

SENTENCES: list[tuple[str, Kind, str | None]] = [
    # greetings
    ("你好", G, None),
    ("您好", G, None),
    ("你好！", G, None),
    ("您好啊", G, None),
    ("hi", G, None),
    ("Hi!", G, None),
    ("hello", G, None),
    ("Hello there", U, None),
    ("早上好", G, None),
    ("下午好", G, None),
    ("晚上好", G, None),
    ("在吗", G, None),
    ("在吗？", G, None),
    ("你好 在吗", G, None),
    ("您好，在吗？", G, None),
    ("good morning", G, None),
    ("Good evening!", G, None),
    ("哈喽", G, None),
    ("大家好", G, None),
    ("你們好", G, None),
    ("hey", G, None),
    ("早安", G, None),
    # thanks and ok
    ("谢谢", T, None),
    ("多谢", T, None),
    ("谢谢你", T, None),
    ("謝謝", T, None),
    ("非常感谢", T, None),
    ("辛苦了", T, None),
    ("谢谢，灯修好了", T, None),
    ("太好了谢谢", T, None),
    ("thank you", T, None),
    ("Thanks!", T, None),
    ("thx", T, None),
    ("多謝", T, None),
    ("谢谢网格员", T, None),
    ("好的", OK, None),
    ("好", OK, None),
    ("嗯嗯", OK, None),
    ("知道了", OK, None),
    ("收到", OK, None),
    ("不用了", OK, None),
    ("算了", OK, None),
    ("ok", OK, None),
    ("OK!", OK, None),
    ("再见", OK, None),
    ("bye", OK, None),
    # help
    ("帮助", H, None),
    ("怎么用", H, None),
    ("幫助", H, None),
    ("你能做什么", H, None),
    ("有什么功能", H, None),
    ("使用说明", H, None),
    ("help", H, None),
    ("Help!", H, None),
    ("how to use this", H, None),
    ("what can you do", H, None),
    ("你是谁", H, None),
    ("不会用", H, None),
    ("?", H, None),
    ("请问怎么用", H, None),
    ("你好，怎么用？", H, None),
    ("怎么用？", H, None),
    ("谁是网格员？", GR, None),
    ("好的？", OK, None),
    # wanting to file a repair
    ("我要报修", R, None),
    ("报修", R, None),
    ("報修", R, None),
    ("我要報修", R, None),
    ("我想报修", R, None),
    ("怎么报修", R, None),
    ("我要维修", R, None),
    ("报个修", R, None),
    ("我想反映个问题", R, None),
    ("找人修", R, None),
    ("请帮我报修一下", R, None),
    ("I want to report a repair", R, None),
    ("repair", R, None),
    ("report a problem", R, None),
    ("I need a repair", R, None),
    ("你好，我要报修", R, None),
    ("修理", R, None),
    # describing a fault
    ("厨房水管漏水好几天了", F, "water"),
    ("灯坏了", F, "power"),
    ("电梯不动", F, "property"),
    ("下水道堵了", F, "water"),
    ("楼道灯不亮", F, "power"),
    ("廚房水管漏水", F, "water"),
    ("燈壞了", F, "power"),
    ("電梯不動了", F, "property"),
    ("下水道堵了好几天", F, "water"),
    ("樓道燈不亮", F, "power"),
    ("楼顶漏水", F, "roof"),
    ("21号楼4单元楼顶漏水", F, "roof"),
    ("下雨天屋顶漏雨", F, "roof"),
    ("天花板在滴水", F, "roof"),
    ("马桶堵了", F, "water"),
    ("卫生间下水不通", F, "water"),
    ("水龙头关不上", F, "water"),
    ("家里停水了", F, "water"),
    ("没水了", F, "water"),
    ("又停电了", F, "power"),
    ("家里跳闸了", F, "power"),
    ("插座冒烟", F, "power"),
    ("路灯不亮", F, "power"),
    ("楼道的灯坏了好久", F, "power"),
    ("燃气有味道，有点漏气", F, "gas"),
    ("煤气味很重", F, "gas"),
    ("单元门打不开", F, "gate"),
    ("门禁坏了", F, "gate"),
    ("防盗门锁不上", F, "gate"),
    ("围墙塌了一块", F, "gate"),
    ("楼梯扶手松了", F, "stairs"),
    ("楼道台阶裂了", F, "stairs"),
    ("路面有个大坑", F, "road"),
    ("井盖坏了", F, "road"),
    ("门口积水很深", F, "road"),
    ("树枝断了挂在电线上", F, "power"),
    ("树倒了", F, None),
    ("草坪没人管", F, "green"),
    ("有人私搭乱建", F, "illegal"),
    ("楼下违建", F, "illegal"),
    ("外墙皮脱落", F, "safety"),
    ("墙上裂缝很大很危险", F, "safety"),
    ("垃圾桶坏了", F, "property"),
    ("垃圾桶满了没人收", F, "property"),
    ("垃圾堆了好几天没人清", F, "property"),
    ("暖气不热", F, "property"),
    ("电梯又坏了", F, "property"),
    ("楼道太暗，灯不亮", F, "power"),
    ("我想报修一下楼道灯", F, "power"),
    ("我要报修水管", F, "water"),
    ("报修：楼顶漏水", F, "roof"),
    ("你好，我家厨房漏水了", F, "water"),
    ("请问下水道堵了怎么办", F, "water"),
    ("灯坏了，什么时候能来修", F, "power"),
    ("The light in the hallway is broken", F, "power"),
    ("the kitchen pipe is leaking", F, "water"),
    ("water leaking from the ceiling", F, "roof"),
    ("The lift is not working", F, "property"),
    ("toilet is blocked", F, "water"),
    ("the drain is clogged", F, "water"),
    ("no water since morning", F, "water"),
    ("power cut in building 21", F, "power"),
    ("the gate won't open", F, "gate"),
    ("there is a pothole on the road", F, "road"),
    ("the stairwell light is out", F, "power"),
    ("我家屋里墙上有水印，好像漏水", F, "water"),
    ("水压小，不出水", F, "water"),
    ("電燈不亮了", F, "power"),
    ("樓頂漏水", F, "roof"),
    # grid worker
    ("谁是网格员", GR, None),
    ("网格员电话", GR, None),
    ("網格員是誰", GR, None),
    ("我的网格员是谁", GR, None),
    ("网格员怎么联系", GR, None),
    ("找网格员", GR, None),
    ("我们楼归谁管", U, None),
    ("有事找谁", GR, None),
    ("谁负责我们楼", GR, None),
    ("who is my grid worker", GR, None),
    ("grid worker phone", GR, None),
    ("网格员电话多少", GR, None),
    ("请问网格员是谁", GR, None),
    ("楼长是谁", GR, None),
    # my tickets and progress
    ("进度怎么样了", MY, None),
    ("我的报修", MY, None),
    ("我的報修", MY, None),
    ("报修进度", MY, None),
    ("报修的进度怎么样", MY, None),
    ("修好了吗", MY, None),
    ("什么时候来修", MY, None),
    ("有人来修吗", MY, None),
    ("我报的修怎么样了", MY, None),
    ("处理得怎么样了", MY, None),
    ("到哪一步了", MY, None),
    ("my repairs", MY, None),
    ("status of my repair", MY, None),
    ("my tickets", MY, None),
    ("進度怎麼樣了", MY, None),
    ("水管修了没", MY, None),
    # the renovation menu and its progress
    ("我要点单", M, None),
    # A wish for something new is an order for the menu, not "not understood" or a fault.
    ("我要加装电梯", M, None),
    ("我们楼想装电梯", M, None),
    ("希望小区装个充电桩", M, None),
    ("我們樓想加裝電梯", M, None),
    ("I want an elevator installed", M, None),
    ("please install a lift", M, None),
    ("电梯坏了", F, "property"),
    ("我家装修", U, None),
    ("点菜单", M, None),
    ("點單", M, None),
    ("我要点菜", M, None),
    ("看看菜单", M, None),
    ("改造项目有哪些", M, None),
    ("我想投票", M, None),
    ("小区改造", M, None),
    ("menu", M, None),
    ("I want to order", M, None),
    ("renovation menu", M, None),
    ("改造进度", P, None),
    ("工程进度怎么样", P, None),
    ("改造得怎么样了", P, None),
    ("什么时候开始改造", P, None),
    ("renovation progress", P, None),
    # registering
    ("我要登记", REG, None),
    ("登记门牌", REG, None),
    ("怎么注册", REG, None),
    ("登記", REG, None),
    ("我搬家了", REG, None),
    ("register", REG, None),
    ("21号楼4单元302", REG, None),
    ("21-4-302", REG, None),
    ("Building 21 Unit 4 Room 302", REG, None),
    # language
    ("English", L, None),
    ("繁體", L, None),
    ("语言", L, None),
    ("切换语言", L, None),
    # garbage questions
    ("电池是什么垃圾", S, None),
    ("電池是什麼垃圾", S, None),
    ("香蕉皮怎么扔", S, None),
    ("旧衣服扔哪里", S, None),
    ("塑料瓶属于什么垃圾", S, None),
    ("奶茶杯是什么垃圾", S, None),
    ("外卖盒怎么分类", S, None),
    ("过期药品扔哪个桶", S, None),
    ("玻璃瓶能回收吗", S, None),
    ("纸巾是干垃圾吗", S, None),
    ("剩饭是湿垃圾吗", S, None),
    ("坏掉的灯泡怎么扔", S, None),
    ("电池坏了是什么垃圾", S, None),
    ("请问大骨头是什么垃圾", S, None),
    ("is a battery recyclable", S, None),
    ("which bin for glass bottles", S, None),
    ("how do I throw away old clothes", S, None),
    ("what kind of waste is a banana peel", S, None),
    ("你好，请问电池属于哪类垃圾", S, None),
    ("快递盒可以回收吗", S, None),
    ("垃圾分类", SH, None),
    ("♻️ 垃圾分类", SH, None),
    ("我想查垃圾分类", SH, None),
    ("怎么分类", SH, None),
    ("垃圾分類", SH, None),
    ("recycling", SH, None),
    # the keyboard's labels, in every language
    ("🔧 报修", R, None),
    ("📄 我的报修", MY, None),
    ("📋 点单", M, None),
    ("👤 我的网格员", GR, None),
    ("❓ 帮助", H, None),
    ("🔧 報修", R, None),
    ("📋 點單", M, None),
    ("🔧 Report a repair", R, None),
    ("📄 My repairs", MY, None),
    ("📋 Renovation menu", M, None),
    ("♻️ Sorting rubbish", SH, None),
    ("👤 My grid worker", GR, None),
    ("❓ Help", H, None),
    # items and everything else: the look-up, then choices
    ("电池", U, None),
    ("香蕉皮", U, None),
    ("塑料瓶", U, None),
    ("奶茶被", U, None),
    ("21", U, None),
    ("今天天气怎么样", U, None),
    ("请问今天下午社区活动室几点开门呀我想去看看", U, None),
    ("hmm", U, None),
    ("……", U, None),
    ("😀", U, None),
    ("好" * 50, U, None),
    ("我想问个事", U, None),
    ("电梯", U, None),
]


@pytest.mark.parametrize(("text", "kind", "category"), SENTENCES)
def test_sentences(text: str, kind: Kind, category: str | None) -> None:
    intent = classify(text)
    assert intent.kind is kind, (text, intent)
    if kind is Kind.FAULT and category is not None:
        assert intent.category == category, (text, intent)


def test_enough_sentences_and_choices() -> None:
    assert len(SENTENCES) >= 200
    assert len({t for t, _k, _c in SENTENCES}) == len(SENTENCES)
    assert 3 <= len(classify("今天天气怎么样").choices) <= 4


# ---- through the real Application ----------------------------------------------------------------
async def _resident(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")


# A sentence, and a word of the reply that shows it led to the right place.
END_TO_END = [
    ("你好", "王阿姨"),
    ("早上好", "王阿姨"),
    ("谢谢", "不客气"),
    ("帮助", "/repair"),
    ("怎么用", "/repair"),
    ("我要报修", "请选择是什么问题"),
    ("🔧 报修", "请选择是什么问题"),
    ("灯坏了", "要报修吗"),
    ("下水道堵了", "要报修吗"),
    ("電梯不動", "要报修吗"),
    ("the kitchen pipe is leaking", "要报修吗"),
    ("谁是网格员", "李网格"),
    ("👤 我的网格员", "李网格"),
    ("进度怎么样了", "还没有报修"),
    ("📄 我的报修", "还没有报修"),
    ("我要点单", "没有进行中的改造点单"),
    ("我要加装电梯", "没有进行中的改造点单"),
    ("电池是什么垃圾", "有害垃圾"),
    ("电池", "有害垃圾"),
    ("♻️ 垃圾分类", "直接发名称"),
    ("今天天气怎么样", "没看懂"),
    ("好的", "好的"),
    ("21号楼4单元302", "登记"),
]


async def test_sentences_lead_to_the_right_place(sim: Simulator, group: Chat) -> None:
    await _resident(sim, group)
    chat = sim.private(WANG)
    for text, expected in END_TO_END:
        reply = await sim.send(WANG, chat, text)
        assert expected in reply.text, (text, reply.text)


async def test_a_fault_is_filed_with_its_sentence(sim: Simulator, group: Chat) -> None:
    await _resident(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "厨房水管漏水好几天了")
    assert "厨房水管漏水好几天了" in reply.text
    reply = await sim.press(WANG, reply, "报修：水管")
    reply = await sim.press(WANG, reply, "我家这个单元")
    assert "问题：厨房水管漏水好几天了" in reply.text  # not asked again
    reply = await sim.press(WANG, reply, "跳过")
    reply = await sim.press(WANG, reply, "不可以")
    reply = await sim.press(WANG, reply, "提交报修")
    assert "已提交" in reply.text
    row = await sim.rt.db.fetchone("SELECT category, description FROM repair_tickets")
    assert row is not None and (row["category"], row["description"]) == (
        "water",
        "厨房水管漏水好几天了",
    )


async def test_an_offer_not_taken_is_forgotten(sim: Simulator, group: Chat) -> None:
    await _resident(sim, group)
    chat = sim.private(WANG)
    offer = await sim.send(WANG, chat, "灯坏了")
    reply = await sim.press(WANG, offer, "不用了")
    assert reply.alerts() == ["好的"]
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "电路")
    reply = await sim.press(WANG, reply, "我家这个单元")
    assert "请写一下是什么问题" in reply.text


async def test_other_categories_and_unregistered_fault(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "灯坏了")
    reply = await sim.press(WANG, reply, "别的类别")
    assert "屋顶漏水" in str(reply.calls[-1].buttons)
    reply = await sim.press(WANG, reply, "电路")
    assert "先登记" in reply.text


async def test_unsure_offers_choices_that_work(sim: Simulator, group: Chat) -> None:
    await _resident(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "今天天气怎么样")
    labels = [b["text"] for row in reply.calls[-1].buttons for b in row]
    assert 3 <= len(labels) <= 4
    assert "网格员是 李网格" in (await sim.press(WANG, reply, "我的网格员")).text
    assert "/repair" in (await sim.press(WANG, reply, "帮助")).text
    assert "请选择是什么问题" in (await sim.press(WANG, reply, "报修")).text
    forged = await sim.press(WANG, None, data="1|it|zz", chat=chat)
    assert forged.alerts()


async def test_start_and_keyboard(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/start")
    assert "登记" in reply.text  # not registered yet: how to register
    await register(sim, WANG, "21-4-302", "王阿姨")
    reply = await sim.send(WANG, chat, "/start")
    assert len(reply.texts) == 1 and "\n" not in reply.text and "王阿姨" in reply.text
    markup = reply.calls[-1].params["reply_markup"]
    assert "is_persistent" in str(markup) and "我的报修" in str(markup)
    reply = await sim.send(ALICE, sim.private(ALICE), "/start")
    assert "Register" in str(reply.calls[-1].buttons)


async def test_keyboard_in_english_and_traditional(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, ALICE, "5-2-101", "Alice")
    reply = await sim.send(ALICE, sim.private(ALICE), "/start")
    assert "📄 My repairs" in str(reply.calls[-1].params["reply_markup"])
    reply = await sim.send(ALICE, sim.private(ALICE), "📄 My repairs")
    assert "/repair" in reply.text or "repair" in reply.text.lower()
    reply = await sim.send(CHEN, sim.private(CHEN), "謝謝")
    assert "不客氣" in reply.text


async def test_help_is_short_for_residents_with_more(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    reply = await sim.send(WANG, sim.private(WANG), "/help")
    assert len(reply.text.splitlines()) <= 8 and "/repair" in reply.text
    assert "/practice" not in reply.text
    more = await sim.press(WANG, reply, "更多")
    assert "/practice" in more.text and "/lang" in more.text
    staff = await sim.send(STAFF, sim.private(STAFF), "/help")
    assert "/grant" in staff.text  # people with a role see everything at once
    assert "/grid" in (await sim.send(GRID, sim.private(GRID), "/help")).text


async def test_a_form_keeps_its_text(sim: Simulator, group: Chat) -> None:
    await _resident(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "电路")
    reply = await sim.press(WANG, reply, "别的地方")
    reply = await sim.send(WANG, chat, "谢谢")  # inside the form: the place, not thanks
    assert "不客气" not in reply.text


async def test_typed_yes_or_category_under_an_offer_keeps_the_sentence(
    sim: Simulator, group: Chat
) -> None:
    """User test: "是的" or "水管" typed under 要报修吗？ threw her sentence away."""
    await _resident(sim, group)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "厨房里的管子一直滴水好几天了")
    again = await sim.send(WANG, chat, "是的")
    assert "厨房里的管子一直滴水好几天了" in again.text and again.last_with_buttons()
    named = await sim.send(WANG, chat, "水管")
    assert "厨房里的管子一直滴水好几天了" in named.text
    reply = await sim.press(WANG, named, "报修：水管")
    reply = await sim.press(WANG, reply, "我家这个单元")
    assert "问题：厨房里的管子一直滴水好几天了" in reply.text


async def test_a_sentence_meant_for_the_bot_in_a_group_gets_a_pointer(
    sim: Simulator, group: Chat
) -> None:
    await _resident(sim, group)
    await sim.send(STAFF, group, "/grid_assign @li_grid 21")
    for chatter in ("大家好", "今天停水吗？", "收到", "👍"):
        assert not (await sim.send(WANG, group, chatter)).to(group.id), chatter
    reply = await sim.send(WANG, group, "电梯坏了")
    said = reply.to(group.id)
    assert len(said) == 1 and "私聊" in said[0].text and "302" not in said[0].text
    assert any("url" in b for row in said[0].buttons for b in row)  # to the private chat
    # Once every 12 hours per person: a chatty group is not flooded.
    assert not (await sim.send(WANG, group, "楼道灯坏了")).to(group.id)
    await sim.advance(timedelta(hours=13))
    assert (await sim.send(WANG, group, "我要报修")).to(group.id)
    # Who the grid worker is: the group's own /grid answer.
    reply = await sim.send(WANG, group, "谁是网格员")
    assert reply.to(group.id) and "李网格" in reply.text
