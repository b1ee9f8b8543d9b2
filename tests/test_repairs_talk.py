"""Repairs as a conversation, and for the people who work tickets: replies relayed by the
bot, 没解决 with what is wrong, 撤回, a history that names who did what, hand-back reasons,
hand_back_all, the 接单 race, /tickets words, urgent categories."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from bot.workflows import repairs as wf
from handlers.repairs_common import announce_all
from tests.conftest import GRID, LIU, STAFF, VOLUNTEER, WANG
from tests.test_repairs import V2, community, file_repair, last_to, status


async def taken_by_volunteer(sim: Simulator, **kw: object) -> tuple[int, object]:
    tid, reply = await file_repair(sim, WANG, **kw)  # type: ignore[arg-type]
    offer = reply.to(VOLUNTEER.id)[0]
    await sim.press(VOLUNTEER, offer, "接单")
    return tid, offer


async def test_replies_are_relayed_both_ways(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, offer = await taken_by_volunteer(sim, category="水管", text="厨房水管漏水", show="可以")
    vol, wang = sim.private(VOLUNTEER), sim.private(WANG)
    await sim.press(VOLUNTEER, sim.current(offer), "写进展")  # type: ignore[arg-type]
    reply = await sim.send(VOLUNTEER, vol, "明天上午来看，家里有人吗？")
    note = reply.to(WANG.id)[0]
    assert "明天上午来看" in note.text
    reply = await sim.press(WANG, note, "回复")
    assert "转告" in reply.text
    reply = await sim.send(WANG, wang, "下午三点以后在家")
    assert "已转告" in reply.text
    relayed = reply.to(VOLUNTEER.id)[0]
    assert "居民留言" in relayed.text and "下午三点以后在家" in relayed.text
    reply = await sim.press(VOLUNTEER, relayed, "回复")
    reply = await sim.send(VOLUNTEER, vol, "好的，三点半到")
    back = reply.to(WANG.id)[0]
    assert "张志愿" in back.text and "三点半到" in back.text
    # Nobody's phone number travels; the words are in the workers' history only.
    for call in (relayed, back):
        assert "138" not in call.text
    internal = await sim.rt.db.fetchval(
        "SELECT internal FROM repair_history WHERE note = '下午三点以后在家'"
    )
    assert internal == 1
    # LIU, who follows nothing, cannot write into the ticket.
    reply = await sim.press(LIU, None, data=f"1|rq|re|{tid}|0", chat=sim.private(LIU))
    assert reply.alerts()


async def test_not_fixed_asks_what_is_wrong_and_tells_the_assignee(
    sim: Simulator, group: Chat
) -> None:
    await community(sim, group)
    tid, offer = await taken_by_volunteer(sim, category="水管", text="厨房水管漏水")
    reply = await sim.press(VOLUNTEER, sim.current(offer), "已解决")  # type: ignore[arg-type]
    reply = await sim.press(WANG, reply.to(WANG.id)[0], "没解决")
    assert await status(sim, tid) == "in_progress"
    assert "还有什么问题" in reply.text
    reply = await sim.send(WANG, sim.private(WANG), "厨房还在滴水")
    told = reply.to(VOLUNTEER.id)[0]
    assert "还没解决" in told.text and "厨房还在滴水" in told.text
    # The history names the resident for what she did, the volunteer for his work.
    reply = await sim.press(WANG, None, data=f"1|rq|v|{tid}", chat=sim.private(WANG))
    assert "张志愿：接单" in reply.text and "张志愿：标记已解决" in reply.text
    assert "王阿姨：说没解决，重新打开" in reply.text
    assert "王阿姨：处理中" not in reply.text


async def test_resident_withdraws_and_the_assignee_is_released(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, _ = await taken_by_volunteer(sim, category="水管", text="厨房水管漏水")
    reply = await sim.send(WANG, sim.private(WANG), "/my")
    reply = await sim.press(WANG, reply, f"#{tid}")
    reply = await sim.press(WANG, reply, "撤回")
    assert "确定撤回" in reply.text and await status(sim, tid) == "assigned"
    reply = await sim.press(WANG, reply, "确定撤回")
    row = await sim.rt.db.fetchone("SELECT * FROM repair_tickets WHERE id = ?", (tid,))
    assert (row["status"], row["close_reason"]) == ("closed", "withdrawn")
    assert any("居民撤回了" in c.text for c in reply.to(VOLUNTEER.id))
    pending = await sim.rt.db.fetchval(
        "SELECT count(*) FROM jobs WHERE status = 'pending' AND key LIKE 'repair_%'"
    )
    assert pending == 0


async def test_followers_never_see_the_reporter(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, _ = await file_repair(sim, WANG, category="楼道与楼梯", text="楼道灯坏了", show="可以")
    reply = await sim.send(LIU, sim.private(LIU), "/repair")
    reply = await sim.press(LIU, reply, "楼道与楼梯")
    reply = await sim.press(LIU, reply, "我家这个单元")
    await sim.press(LIU, reply, f"我也遇到了 #{tid}")
    reply = await sim.press(LIU, None, data=f"1|rq|v|{tid}", chat=sim.private(LIU))
    assert f"#{tid}" in reply.text and "报修人：提交了报修" in reply.text
    assert "王阿姨" not in reply.text and "302" not in reply.text


async def test_hand_back_all_returns_the_tickets_to_the_pool(sim: Simulator, group: Chat) -> None:
    cid = await community(sim, group)
    first, offer = await taken_by_volunteer(sim, category="水管", text="厨房水管漏水")
    await sim.press(VOLUNTEER, sim.current(offer), "开始处理")  # type: ignore[arg-type]
    second, _ = await taken_by_volunteer(sim, category="屋顶漏水", text="楼顶漏水")
    changes = await wf.hand_back_all(sim.rt, cid, VOLUNTEER.id)
    assert sorted(c.ticket["id"] for c in changes) == [first, second]
    assert all(WANG.id in c.residents and c.reroute for c in changes)
    rows = await sim.rt.db.fetchall("SELECT status, assignee_id FROM repair_tickets")
    assert {(r["status"], r["assignee_id"]) for r in rows} == {("new", None)}
    assert sim.app is not None
    sim.api.calls.clear()
    await announce_all(sim.app, changes)
    assert any("待受理" in c.text for c in sim.api.sent("sendMessage", WANG.id))
    assert any("张志愿 退回了" in c.text for c in sim.api.sent("sendMessage", STAFF.id))
    # Offered again: to the others, not to the person who gave them up.
    assert sim.api.sent("sendMessage", V2.id) and sim.api.sent("sendMessage", GRID.id)
    assert not sim.api.sent("sendMessage", VOLUNTEER.id)
    assert await wf.hand_back_all(sim.rt, cid, VOLUNTEER.id) == []


async def test_the_late_accepter_hears_it_was_taken(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, reply = await file_repair(sim, WANG, category="水管", text="水管爆了")
    await sim.press(VOLUNTEER, reply.to(VOLUNTEER.id)[0], "接单")
    late = await sim.press(V2, None, data=f"1|rq|acc|{tid}", chat=sim.private(V2))
    assert any("已经有人接单了" in a for a in late.alerts())
    resident = await sim.press(LIU, None, data=f"1|rq|acc|{tid}", chat=sim.private(LIU))
    assert any("不是您的任务" in a for a in resident.alerts())


async def test_tickets_search_words_and_assignee(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    await taken_by_volunteer(sim, category="水管", text="厨房水管漏水")
    await file_repair(sim, LIU, category="路面", text="门口有个坑", place="22号楼前")
    await file_repair(sim, LIU, category="屋顶漏水", text="楼顶渗水 100%", place="23号楼楼顶")
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/tickets 漏水")
    assert "共 1 条" in reply.text
    reply = await sim.send(STAFF, chat, "/tickets 张志愿")
    assert "共 1 条" in reply.text and "水管" in reply.text
    reply = await sim.send(STAFF, chat, f"/tickets @{VOLUNTEER.username}")
    assert "共 1 条" in reply.text
    reply = await sim.send(STAFF, chat, "/tickets 100%")
    assert "共 1 条" in reply.text
    reply = await sim.send(STAFF, chat, "/tickets 坑 待受理")
    assert "共 1 条" in reply.text
    reply = await sim.press(STAFF, reply, "超期")  # the page buttons keep the words
    assert "“坑”" in sim.current(reply.last_with_buttons()).text  # type: ignore[arg-type]


async def test_gas_gives_safety_advice_at_once_and_escalates_sooner(
    sim: Simulator, group: Chat
) -> None:
    await community(sim, group)
    reply = await sim.send(WANG, sim.private(WANG), "/repair")
    reply = await sim.press(WANG, reply, "燃气")
    assert any("不要开关电器" in t and "室外" in t for t in reply.texts)
    await sim.send(WANG, sim.private(WANG), "/cancel")
    tid, _ = await file_repair(sim, WANG, category="燃气", text="闻到燃气味")
    reply = await sim.advance(timedelta(minutes=31))
    assert any("还没有人接单" in c.text for c in reply.to(GRID.id))
    reply = await sim.advance(timedelta(hours=2))
    assert any("很久没人接单" in c.text for c in reply.to(STAFF.id))
    assert await status(sim, tid) == "new"
    assert last_to(sim, GRID, f"#{tid}")


async def test_close_without_a_note_and_a_message_with_nobody_assigned(
    sim: Simulator, group: Chat
) -> None:
    await community(sim, group)
    tid, _ = await file_repair(sim, WANG, category="水管", text="厨房水管漏水")
    # Nobody took it yet: the resident's message reaches staff.
    reply = await sim.press(WANG, None, data=f"1|rq|re|{tid}|0", chat=sim.private(WANG))
    reply = await sim.send(WANG, sim.private(WANG), "请尽快来看看")
    assert any("请尽快来看看" in c.text for c in reply.to(STAFF.id))
    chat = sim.private(STAFF)
    reply = await sim.press(STAFF, None, data=f"1|rq|cls|{tid}", chat=chat)
    reply = await sim.press(STAFF, reply, "无法处理")
    reply = await sim.press(STAFF, reply, "直接关闭")
    assert await status(sim, tid) == "closed"
    assert "无法处理" in reply.to(WANG.id)[0].text and "说明" not in reply.to(WANG.id)[0].text
    # The conversation is over: the next text is not taken as a closing note.
    reply = await sim.send(STAFF, chat, "/cancel")
    assert await sim.rt.db.fetchval("SELECT count(*) FROM repair_history WHERE note != ''") == 1
