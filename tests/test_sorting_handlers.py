"""Look-ups through /sort and plain private text, /sort_unknown, and solo practice."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from bot.sorting import KnowledgeBase
from tests.conftest import ADMIN, CHEN, STAFF, WANG, setup_community


async def test_sort_in_group_answers_in_one_line(sim: Simulator, group: Chat) -> None:
    reply = await sim.send(WANG, group, "/sort 电池")
    text = reply.text
    assert "\n" not in text and "电池 → 🔴有害垃圾：" in text
    assert "各地规定不同" in text  # 电池: cities differ, the bot says so
    assert reply.to(group.id) and reply.calls[0].params.get("reply_parameters")
    # The full answer (reason, tip) is for private chat.
    full = await sim.send(WANG, sim.private(WANG), "/sort 电池")
    assert "原因" in full.text and "投放提示" in full.text


async def test_a_busy_group_gets_several_answers_in_one_message(
    sim: Simulator, group: Chat
) -> None:
    asked = [
        (WANG, "电池"),
        (CHEN, "奶茶杯"),
        (STAFF, "香蕉皮"),  # three in a minute: each its own line and message
        (WANG, "沙发"),  # the fourth: the group is busy now
        (CHEN, "湿垃圾"),
        (STAFF, "火星石头"),
    ]
    replies = [await sim.send(who, group, f"/sort {what}") for who, what in asked]
    posts = sim.api.sent("sendMessage", group.id)
    assert len(posts) == 4
    digest = posts[2].message_id
    # Added to the answer message only while it sits right above the question (at most one
    # message between): the sixth question is three messages below it, so it gets its own.
    for reply in replies[3:5]:
        assert [c.method for c in reply.calls] == ["editMessageText"]
        assert reply.calls[0].message_id == digest
    assert [c.method for c in replies[5].calls] == ["sendMessage"]
    assert "没找到「火星石头」" in replies[5].text
    lines = sim.api.messages[(group.id, digest)]["text"].splitlines()
    assert "香蕉皮 → 🟢厨余垃圾" in lines[0]
    assert lines[1].startswith("王阿姨：沙发属于大件垃圾。")
    assert "厨余垃圾" in lines[2] and len(lines) == 3
    # A candidate list needs its buttons: its own message even when busy.
    fuzzy = await sim.send(WANG, group, "/sort 奶茶被")
    assert fuzzy.calls[0].method == "sendMessage" and fuzzy.last_with_buttons()
    # A minute later the group is quiet again: a message of its own.
    sim.clock.advance(timedelta(seconds=61))
    quiet = await sim.send(WANG, group, "/sort 电池")
    assert quiet.calls[0].method == "sendMessage"
    # A digest that was deleted meanwhile: the answer comes as a message of its own.
    for _ in range(3):
        await sim.send(CHEN, group, "/sort 纸巾")
    sim.api.fail("editMessageText", 400, "Bad Request: message to edit not found")
    lost = await sim.send(WANG, group, "/sort 电池")
    assert [c.method for c in lost.calls][-1] == "sendMessage" and "电池" in lost.text


async def test_private_plain_questions(sim: Simulator) -> None:
    chat = sim.private(WANG)
    text = (await sim.send(WANG, chat, "奶茶杯是什么垃圾")).text
    assert "奶茶杯" in text and "⚫其他垃圾" in text
    text = (await sim.send(WANG, chat, "一个旧电池")).text  # extra words
    assert "🔴有害垃圾" in text
    text = (await sim.send(WANG, chat, "湿垃圾")).text  # a category's local name
    assert "🟢厨余垃圾" in text
    text = (await sim.send(WANG, chat, "带汤的外卖盒")).text  # made of parts
    assert "怎么做" in text and "⚫其他垃圾" in text
    text = (await sim.send(WANG, chat, "沙发")).text  # bulky waste: not one of the four
    assert "沙发属于大件垃圾" in text and "不是四类垃圾之一" in text
    for label in ("可回收物", "有害垃圾", "厨余垃圾", "其他垃圾"):
        assert label not in text.replace("四类", "")


async def test_traditional_characters_for_a_traditional_reader(sim: Simulator) -> None:
    chat = sim.private(CHEN)
    text = (await sim.send(CHEN, chat, "電池是什麼垃圾")).text
    assert "有害垃圾" in text and "電池" in text  # the answer is in Traditional too


async def test_typo_offers_candidates_not_an_answer(sim: Simulator) -> None:
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "奶茶被")
    assert "您是不是想问" in reply.text
    for label in ("可回收物", "有害垃圾", "厨余垃圾", "其他垃圾"):
        assert label not in reply.text  # never a confident category for a guess
    answer = await sim.press(WANG, reply, "奶茶杯")
    assert "奶茶杯" in answer.text and "⚫其他垃圾" in answer.text


async def test_unknown_is_logged_and_listed_for_staff_only(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    for _ in range(2):
        reply = await sim.send(WANG, group, "/sort 火星石头")
        assert "没找到" in reply.text
    await sim.send(WANG, sim.private(WANG), "火星石头是什么垃圾")
    await sim.send(WANG, sim.private(WANG), "请问今天下午社区活动室几点开门呀我想去看看")
    assert (
        await sim.rt.db.fetchval(
            "SELECT asked FROM sorting_unknown_by_community WHERE query = '火星石头'"
        )
        == 2
    )
    refused = await sim.send(WANG, sim.private(WANG), "/sort_unknown")
    assert "只有社区工作人员" in refused.text
    listed = await sim.send(STAFF, sim.private(STAFF), "/sort_unknown")
    assert "火星石头" in listed.text and "2次" in listed.text
    assert "活动室" not in listed.text  # long chatter in private is not logged
    assert "火星石头" in (await sim.send(ADMIN, sim.private(ADMIN), "/sort_unknown")).text


async def test_forged_lookup_button_is_refused(sim: Simulator) -> None:
    chat = sim.private(WANG)
    n = len(KnowledgeBase.get().items)
    # Out of range, malformed, wrong version, and an index whose item is not the named one.
    for data in (
        f"1|so|i|{n}|000000",
        "1|so|i|-1",
        "1|so|x|1",
        "2|so|i|1",
        "1|so|i|0",
        "1|so|i|0|ffffff",
    ):
        reply = await sim.press(WANG, None, data=data, chat=chat)
        assert reply.alerts() and "失效" in reply.alerts()[0]


async def test_practice_ten_questions_then_score(sim: Simulator, group: Chat) -> None:
    in_group = await sim.send(WANG, group, "/practice")
    assert "私聊" in in_group.text
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/practice")
    kb = KnowledgeBase.get()
    for n in range(10):
        question = reply.last_with_buttons()
        assert question is not None and f"第 {n + 1}/10 题" in question.text
        name = question.text.split("：", 1)[1].rsplit(" 是什么垃圾", 1)[0]
        item = kb.item(name)
        label = {
            "recyclable": "可回收物",
            "hazardous": "有害垃圾",
            "kitchen": "厨余垃圾",
            "other": "其他垃圾",
        }[item.category.value]
        if n == 0:  # one wrong answer
            label = "有害垃圾" if label != "有害垃圾" else "厨余垃圾"
        reply = await sim.press(WANG, question, label)
        assert "原因" in reply.text
        if n == 0:
            assert "❌" in reply.text
            stale = await sim.press(WANG, question, label)  # the old question again
            assert stale.alerts()
    assert "答对 9/10 题" in reply.text
