"""Repair requests through the real Application and the fake Bot API: the whole life of one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Reply, Simulator
from tests.conftest import (
    GRID,
    LIU,
    STAFF,
    STRANGER,
    VOLUNTEER,
    WANG,
    WANG_SON,
    register,
    say_hello,
    setup_community,
)

V2 = Person(31, "赵志愿", "zhao_vol")
GREEN = Person(32, "钱绿化", "qian_green")  # 环境卫生 only: not for a leaking roof


async def community(sim: Simulator, group: Chat) -> int:
    cid = await setup_community(sim, group)
    await say_hello(sim, V2, GREEN)
    await sim.send(STAFF, group, f"/grant @{V2.username} 志愿者 维修")
    await sim.send(STAFF, group, f"/grant @{GREEN.username} 志愿者 环境卫生")
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, LIU, "21-5-101", "刘大爷")
    return cid


async def file_repair(
    sim: Simulator,
    person: Person,
    category: str = "屋顶漏水",
    text: str = "下雨天楼顶漏水，墙上有水印",
    photos: int = 0,
    show: str = "不可以",
    place: str | None = None,
    new_even_if_similar: bool = True,
) -> tuple[int, Reply]:
    chat = sim.private(person)
    reply = await sim.send(person, chat, "/repair")
    reply = await sim.press(person, reply, category)
    if place is None:
        reply = await sim.press(person, reply, "我家这个单元")
    else:
        reply = await sim.press(person, reply, "别的地方")
        reply = await sim.send(person, chat, place)
    if "我也遇到了" in reply.text and new_even_if_similar:
        reply = await sim.press(person, reply, "继续报修")
    assert "是什么问题" in reply.text, reply.text
    reply = await sim.send(person, chat, text)
    for _ in range(photos):
        reply = await sim.send_photo(person, chat)
    if photos < 3:
        reply = await sim.press(person, reply, "跳过" if photos == 0 else "好了")
    reply = await sim.press(person, reply, show)
    assert "请核对" in reply.text
    reply = await sim.press(person, reply, "提交报修")
    tid = int(await sim.rt.db.fetchval("SELECT max(id) FROM repair_tickets"))
    assert f"#{tid}" in reply.text
    return tid, reply


def last_to(sim: Simulator, person: Person, containing: str = "") -> ApiCall:
    calls = [c for c in sim.api.sent("sendMessage", person.id) if containing in c.text]
    assert calls, f"nothing sent to {person.first_name} containing {containing!r}"
    return calls[-1]


async def status(sim: Simulator, tid: int) -> str:
    return str(await sim.rt.db.fetchval("SELECT status FROM repair_tickets WHERE id = ?", (tid,)))


def assert_group_clean(sim: Simulator, group: Chat) -> None:
    """Nothing personal ever goes to the group."""
    for call in sim.api.calls:
        if call.chat_id == group.id:
            for secret in ("302", "101", "王阿姨", "刘大爷", "漏水"):
                assert secret not in call.text, (secret, call.text)


# ---- the whole life ------------------------------------------------------------------------------
async def test_whole_life_of_a_request(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, reply = await file_repair(sim, WANG, photos=2)
    assert (
        await sim.rt.db.fetchval("SELECT count(*) FROM repair_photos WHERE ticket_id = ?", (tid,))
        == 2
    )
    # Routed: grid worker of building 21 and the 维修 volunteers, not the 环境卫生 one.
    to_grid = reply.to(GRID.id)
    assert to_grid and f"#{tid}" in to_grid[0].text and to_grid[0].buttons
    assert reply.to(VOLUNTEER.id) and reply.to(V2.id)
    assert not reply.to(GREEN.id)
    offer = reply.to(VOLUNTEER.id)[0]
    assert "302" not in offer.text and "王阿姨" not in offer.text  # the resident said no
    assert "没有公开" in offer.text

    reply = await sim.press(VOLUNTEER, offer, "接单")
    assert await status(sim, tid) == "assigned"
    assert "已派单" in reply.to(WANG.id)[0].text
    grid_msg = sim.current(to_grid[0])
    assert "已被接单" in grid_msg.text and not grid_msg.buttons
    mine = sim.current(offer)
    reply = await sim.press(VOLUNTEER, mine, "开始处理")
    assert "处理中" in reply.to(WANG.id)[0].text

    # A public note reaches the resident, an internal one does not.
    reply = await sim.press(VOLUNTEER, sim.current(offer), "写进展")
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "明天上午带材料来")
    assert "明天上午带材料来" in reply.to(WANG.id)[0].text
    reply = await sim.press(VOLUNTEER, sim.current(offer), "内部备注")
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "防水卷材要找物业领")
    assert not reply.to(WANG.id)
    reply = await sim.press(VOLUNTEER, sim.current(offer), "内部备注")
    reply = await sim.send_photo(VOLUNTEER, sim.private(VOLUNTEER))
    assert "已记录" in reply.text

    reply = await sim.press(VOLUNTEER, sim.current(offer), "已解决")
    to_wang = reply.to(WANG.id)[0]
    assert "已解决" in to_wang.text and to_wang.buttons
    # 没解决 reopens and tells the assignee and staff.
    reply = await sim.press(WANG, to_wang, "没解决")
    assert await status(sim, tid) == "in_progress"
    assert reply.to(VOLUNTEER.id) and reply.to(STAFF.id)
    assert any("处理中" in c.text for c in reply.to(WANG.id))
    reply = await sim.press(VOLUNTEER, last_to(sim, VOLUNTEER, "没解决"), "已解决")
    reply = await sim.press(WANG, reply.to(WANG.id)[0], "已解决")
    assert await status(sim, tid) == "confirmed"
    assert "打个分" in reply.text
    reply = await sim.press(WANG, reply, "⭐⭐⭐⭐⭐")
    assert await sim.rt.db.fetchval("SELECT rating FROM repair_tickets WHERE id = ?", (tid,)) == 5
    again = await sim.press(WANG, None, data=f"1|rq|rate|{tid}|1", chat=sim.private(WANG))
    assert again.alerts()
    assert await sim.rt.db.fetchval("SELECT rating FROM repair_tickets WHERE id = ?", (tid,)) == 5

    # The resident sees the history with who and when, but not the internal notes.
    reply = await sim.send(WANG, sim.private(WANG), "/my")
    assert f"#{tid}" in reply.text and "已确认" in reply.text
    reply = await sim.press(WANG, reply, f"#{tid}")
    assert "处理记录" in reply.text and "张志愿" in reply.text
    assert "明天上午带材料来" in reply.text and "防水卷材" not in reply.text
    assert len(reply.to(WANG.id)) >= 3  # details + the two photos
    # Staff see everything, internal notes included.
    reply = await sim.press(STAFF, None, data=f"1|rq|v|{tid}", chat=sim.private(STAFF))
    assert "防水卷材" in reply.text and "302" in reply.text
    moves = await sim.rt.db.fetchall(
        "SELECT from_status, to_status, actor_id FROM repair_history WHERE ticket_id = ? "
        "AND to_status IS NOT NULL ORDER BY id",
        (tid,),
    )
    assert [(m["from_status"], m["to_status"]) for m in moves] == [
        (None, "new"),
        ("new", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "confirmed"),
    ]
    assert all(m["actor_id"] for m in moves)
    # Nothing pending for a confirmed request: the resident is asked nothing more.
    pending = await sim.rt.db.fetchval(
        "SELECT count(*) FROM jobs WHERE status = 'pending' AND key LIKE 'repair_%'"
    )
    assert pending == 0
    assert_group_clean(sim, group)


async def test_identity_shared_only_when_allowed(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    _, reply = await file_repair(sim, WANG, category="水管", text="厨房水管漏水", show="可以")
    offer = reply.to(VOLUNTEER.id)[0]
    assert "王阿姨" in offer.text and "302" in offer.text


# ---- group, registration, conversation details ----------------------------------------------------
async def test_repair_in_group_goes_private(sim: Simulator, group: Chat) -> None:
    cid = await community(sim, group)
    reply = await sim.send(WANG, group, "/repair")
    button = sim.find_button(reply, "私聊报修")
    assert button["url"].endswith(f"?start=repair-{cid}")
    reply = await sim.send(WANG, sim.private(WANG), f"/start repair-{cid}")
    assert "请选择是什么问题" in reply.text
    reply = await sim.send(WANG, group, "/my")
    assert "私聊" in reply.text
    await sim.send(WANG, group, "/tasks")
    await sim.send(STAFF, group, "/tickets")
    assert_group_clean(sim, group)


async def test_unregistered_resident_registers_then_continues(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    chat = sim.private(STRANGER)
    reply = await sim.send(STRANGER, chat, "/repair")
    assert "先登记" in reply.text
    reply = await sim.press(STRANGER, reply, "登记住户")
    reply = await sim.send(STRANGER, chat, "7-1-201")
    reply = await sim.press(STRANGER, None, data="1|reg|samename", chat=chat)
    reply = await sim.press(STRANGER, reply, "确认")
    assert "请选择是什么问题" in reply.text
    reply = await sim.press(STRANGER, reply, "路面")
    reply = await sim.press(STRANGER, reply, "7号楼1单元")
    reply = await sim.send(STRANGER, chat, "门口路面塌了一个坑")
    reply = await sim.press(STRANGER, reply, "跳过")
    reply = await sim.press(STRANGER, reply, "不可以")
    reply = await sim.press(STRANGER, reply, "提交")
    assert "#1" in reply.text
    assert await sim.rt.db.fetchval("SELECT building FROM repair_tickets") == "7"


async def test_polite_reasks_back_cancel_and_restart(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.send(WANG, chat, "好吧")  # typed where a button is wanted
    assert "按上面的提示" in reply.text
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "水管")
    await sim.restart()  # the conversation and the draft survive
    reply = await sim.press(WANG, reply, "别的地方")
    reply = await sim.send(WANG, chat, "21号楼4单元楼道")
    assert "是什么问题" in reply.text
    reply = await sim.send(WANG, chat, "   ")
    assert "请用文字写" in reply.text
    reply = await sim.send(WANG, chat, "漏" * 1001)
    assert "太长" in reply.text
    reply = await sim.send_photo(WANG, chat)  # kept; the description is still asked for
    assert "再用文字" in reply.text
    sticker = {
        "file_id": "S1",
        "file_unique_id": "uS1",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    reply = await sim.send(WANG, chat, None, sticker=sticker)
    assert "按上面的提示" in reply.text
    # (A voice note here is the description: tests/test_repairs_media.py.)
    # 返回 goes one step back: to the place question.
    reply = await sim.press(WANG, None, data="1|rp|back", chat=chat)
    assert "问题在哪里" in reply.text
    reply = await sim.press(WANG, reply, "我家这个单元")
    reply = await sim.send(WANG, chat, "楼道灯不亮的旁边水管滴水")
    reply = await sim.send(WANG, chat, "这里要照片")
    assert "请发照片" in reply.text
    for _ in range(2):  # the photo sent with the description counts: two more make three
        reply = await sim.send_photo(WANG, chat)
    assert "志愿者看到" in reply.text  # three photos: straight to the next step
    reply = await sim.send(WANG, chat, "/cancel")
    assert "已取消" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM repair_tickets") == 0
    reply = await sim.press(WANG, None, data="1|rp|ok", chat=chat)  # stale submit button
    assert reply.alerts()
    assert await sim.rt.db.fetchval("SELECT count(*) FROM repair_tickets") == 0


# ---- duplicates, +1, merge -----------------------------------------------------------------------
async def test_duplicate_suggestion_and_plus_one(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, _ = await file_repair(sim, WANG, category="楼道与楼梯", text="楼道门槛低，雨水流进来")
    chat = sim.private(LIU)
    reply = await sim.send(LIU, chat, "/repair")
    reply = await sim.press(LIU, reply, "楼道与楼梯")
    reply = await sim.press(LIU, reply, "我家这个单元")  # 21号楼5单元: same building
    assert f"#{tid}" in reply.text and "我也遇到了" in reply.text
    assert "302" not in reply.text and "王阿姨" not in reply.text
    reply = await sim.press(LIU, reply, f"我也遇到了 #{tid}")
    assert "共 2 户" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM repair_tickets") == 1
    # The follower hears about changes too.
    offer = last_to(sim, VOLUNTEER, f"#{tid}")
    reply = await sim.press(VOLUNTEER, offer, "接单")
    assert reply.to(LIU.id) and "已派单" in reply.to(LIU.id)[0].text
    reply = await sim.send(LIU, chat, "/my")
    assert f"#{tid}" in reply.text and "我也遇到了" in reply.text
    # Other categories or buildings are not suggested.
    reply = await sim.send(LIU, chat, "/repair")
    reply = await sim.press(LIU, reply, "电路")
    reply = await sim.press(LIU, reply, "我家这个单元")
    assert "是什么问题" in reply.text


async def test_merge_moves_followers(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    keep, _ = await file_repair(sim, WANG, category="水管", text="主水管漏水")
    dup, _ = await file_repair(sim, LIU, category="水管", text="楼下水管漏")
    await register(sim, WANG_SON, "21-6-601", "小明")
    reply = await sim.send(WANG_SON, sim.private(WANG_SON), "/repair")
    reply = await sim.press(WANG_SON, reply, "水管")
    reply = await sim.press(WANG_SON, reply, "我家这个单元")
    reply = await sim.press(WANG_SON, reply, f"我也遇到了 #{dup}")
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), f"/merge {dup} {keep}")
    assert "只有社区工作人员" in reply.text
    reply = await sim.send(STAFF, sim.private(STAFF), f"/merge {dup} {keep}")
    assert f"已把 #{dup} 合并到 #{keep}" in reply.text
    assert "已关闭" in reply.to(LIU.id)[0].text and "重复" in reply.to(LIU.id)[0].text
    row = await sim.rt.db.fetchone("SELECT * FROM repair_tickets WHERE id = ?", (dup,))
    assert (row["status"], row["close_reason"], row["merged_into"]) == ("closed", "dup", keep)
    followers = {
        r["user_id"]
        for r in await sim.rt.db.fetchall(
            "SELECT user_id FROM repair_followers WHERE ticket_id = ?", (keep,)
        )
    }
    assert followers == {LIU.id, WANG_SON.id}
    reply = await sim.send(STAFF, sim.private(STAFF), f"/merge {dup} {keep}")
    assert "必须还没完成" in reply.text
    # The merged request's old offers are dead.
    reply = await sim.press(VOLUNTEER, None, data=f"1|rq|acc|{dup}", chat=sim.private(VOLUNTEER))
    assert reply.alerts()


# ---- routing race -------------------------------------------------------------------------------
async def test_two_volunteers_press_at_once(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, reply = await file_repair(sim, WANG, category="电路", text="楼道电线冒火花")
    o1, o2 = reply.to(VOLUNTEER.id)[0], reply.to(V2.id)[0]
    r1, r2 = await asyncio.gather(sim.press(VOLUNTEER, o1, "接单"), sim.press(V2, o2, "接单"))
    row = await sim.rt.db.fetchone("SELECT * FROM repair_tickets WHERE id = ?", (tid,))
    assert row["status"] == "assigned" and row["assignee_id"] in (VOLUNTEER.id, V2.id)
    loser_reply = r2 if row["assignee_id"] == VOLUNTEER.id else r1
    assert any("已经有人接单" in a for a in loser_reply.alerts())
    assert (
        await sim.rt.db.fetchval(
            "SELECT count(*) FROM repair_history WHERE ticket_id = ? AND to_status = 'assigned'",
            (tid,),
        )
        == 1
    )
    loser, loser_offer = (V2, o2) if row["assignee_id"] == VOLUNTEER.id else (VOLUNTEER, o1)
    assert "已被接单" in sim.current(loser_offer).text
    assert len([c for c in sim.api.sent("sendMessage", WANG.id) if "已派单" in c.text]) == 1
    reply = await sim.press(loser, None, data=f"1|rq|done|{tid}", chat=sim.private(loser))
    assert reply.alerts() and await status(sim, tid) == "assigned"


# ---- refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        "1|rq|acc|abc",
        "1|rq|acc|999",
        "1|rq|zz|1",
        "1|rq|rate|1|9",
        "1|rq|clr|1|bogus",
        "1|rq|asgu|1|101",
        "1|rq|pg|1|zzz|x|x|0|0",
        "1|rq|pg|1|x|x|x|0|0",
        "1|rq",
        "1|rn|1|0",
        "1|rq|v|1",
        "1|rp|id|2",
    ],
)
async def test_forged_buttons_change_nothing(sim: Simulator, group: Chat, data: str) -> None:
    await community(sim, group)
    tid, _ = await file_repair(sim, WANG, category="燃气", text="闻到燃气味")
    before = await sim.rt.db.fetchall("SELECT * FROM repair_tickets")
    reply = await sim.press(STRANGER, None, data=data, chat=sim.private(STRANGER))
    assert reply.alerts(), data
    assert [tuple(r) for r in await sim.rt.db.fetchall("SELECT * FROM repair_tickets")] == [
        tuple(r) for r in before
    ]
    assert tid == 1


async def test_refusals_for_users_without_the_right(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, reply = await file_repair(sim, WANG, category="水管", text="水管爆了")
    offer = reply.to(VOLUNTEER.id)[0]
    private = sim.private
    # A resident pressing a volunteer's buttons; a volunteer not offered (wrong skill).
    for person in (WANG, LIU, GREEN):
        r = await sim.press(person, offer, "接单", chat=private(person))
        assert r.alerts(), person
    assert await status(sim, tid) == "new"
    await sim.press(VOLUNTEER, offer, "接单")
    # Stale: accepting again, or the other volunteer accepting now.
    for person in (VOLUNTEER, V2):
        r = await sim.press(person, None, data=f"1|rq|acc|{tid}", chat=private(person))
        assert r.alerts()
    # Someone else's task: start, resolve, hand back, note, close, reassign.
    for data in (
        f"1|rq|go|{tid}",
        f"1|rq|done|{tid}",
        f"1|rq|back|{tid}",
        f"1|rn|n|{tid}|0",
        f"1|rq|cls|{tid}",
        f"1|rq|asg|{tid}",
        f"1|rq|clr|{tid}|cannot",
        f"1|rq|asgu|{tid}|{V2.id}",
    ):
        r = await sim.press(V2, None, data=data, chat=private(V2))
        assert r.alerts(), data
    # The resident cannot confirm before it is resolved, nor rate; LIU cannot view it.
    for data in (f"1|rq|ok|{tid}", f"1|rq|no|{tid}", f"1|rq|rate|{tid}|5"):
        r = await sim.press(WANG, None, data=data, chat=private(WANG))
        assert r.alerts(), data
    r = await sim.press(LIU, None, data=f"1|rq|v|{tid}", chat=private(LIU))
    assert r.alerts()
    row = await sim.rt.db.fetchone("SELECT * FROM repair_tickets WHERE id = ?", (tid,))
    assert (row["status"], row["assignee_id"]) == ("assigned", VOLUNTEER.id)
    # Residents have no /tasks and no /tickets.
    assert "志愿者" in (await sim.send(WANG, private(WANG), "/tasks")).text
    assert "只有社区工作人员" in (await sim.send(WANG, private(WANG), "/tickets")).text


# ---- hand back, reassign, close, /tasks, /tickets --------------------------------------------------
async def test_hand_back_reassign_and_close(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, reply = await file_repair(sim, WANG, category="门禁与围墙", text="单元门禁坏了")
    reply = await sim.press(VOLUNTEER, reply.to(VOLUNTEER.id)[0], "接单")
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "/tasks")
    assert f"#{tid}" in reply.text
    reply = await sim.press(VOLUNTEER, reply, "退回")
    assert "为什么退回" in reply.text and await status(sim, tid) == "assigned"
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "门禁是物业管的，我修不了")
    assert await status(sim, tid) == "new"
    assert reply.to(GRID.id) and reply.to(V2.id)  # offered again, to others first
    assert not [c for c in reply.to(VOLUNTEER.id) if "接单" in str(c.buttons)]
    assert "待受理" in reply.to(WANG.id)[0].text
    assert "门禁是物业管的" not in str(reply.to(WANG.id))  # the reason is for staff
    assert any("门禁是物业管的" in c.text and "张志愿" in c.text for c in reply.to(STAFF.id))
    reply = await sim.send(GRID, sim.private(GRID), "/tasks")
    assert f"#{tid}" in reply.text  # unaccepted in the grid worker's building
    # Staff reassign to V2.
    reply = await sim.press(STAFF, None, data=f"1|rq|asg|{tid}", chat=sim.private(STAFF))
    reply = await sim.press(STAFF, reply, "赵志愿")
    row = await sim.rt.db.fetchone("SELECT * FROM repair_tickets WHERE id = ?", (tid,))
    assert (row["status"], row["assignee_id"]) == ("assigned", V2.id)
    assert reply.to(V2.id) and "指派" in reply.to(V2.id)[0].text
    # Staff close with a reason; the resident hears the reason.
    reply = await sim.press(STAFF, None, data=f"1|rq|cls|{tid}", chat=sim.private(STAFF))
    reply = await sim.press(STAFF, reply, "不属于社区处理")
    assert "说明" in reply.text and await status(sim, tid) == "assigned"
    reply = await sim.send(STAFF, sim.private(STAFF), "已转交城管执法大队，电话12345")
    assert await status(sim, tid) == "closed"
    to_wang = reply.to(WANG.id)[0].text
    assert "不属于社区处理" in to_wang and "已转交城管执法大队，电话12345" in to_wang
    assert any("不用再处理" in c.text for c in reply.to(V2.id))  # the assignee is released
    reply = await sim.press(V2, None, data=f"1|rq|done|{tid}", chat=sim.private(V2))
    assert reply.alerts()
    assert "没有待办" in (await sim.send(V2, sim.private(V2), "/tasks")).text


async def test_tickets_filters_and_paging(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    for i in range(6):
        await file_repair(
            sim,
            WANG if i % 2 else LIU,
            category="绿化",
            text=f"树枝挡路{i}",
            place=f"{10 + i}号楼前",
        )
    await file_repair(sim, WANG, category="路面", text="路面坑", place="21号楼前")
    chat = sim.private(STAFF)
    reply = await sim.send(STAFF, chat, "/tickets")
    assert "共 7 条" in reply.text and "1/2" in reply.text
    reply = await sim.press(STAFF, reply, "下一页")
    assert "2/2" in sim.api.calls[-1].text or "2/2" in reply.text
    reply = await sim.send(STAFF, chat, "/tickets 绿化 12号楼")
    assert "共 1 条" in reply.text
    reply = await sim.send(STAFF, chat, "/tickets 待受理 路面")
    assert "共 1 条" in reply.text
    reply = await sim.send(STAFF, chat, "/tickets 超期")
    assert "共 0 条" in reply.text
    await sim.advance(timedelta(hours=5))
    reply = await sim.send(STAFF, chat, "/tickets 超期")
    assert "共 7 条" in reply.text
    reply = await sim.send(STAFF, chat, "/tickets 胡说")
    assert "共 0 条" in reply.text and "“胡说”" in reply.text


# ---- escalation ------------------------------------------------------------------------------
async def test_escalation_survives_restart(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, _ = await file_repair(sim, WANG, category="屋顶漏水", text="楼顶漏水")
    await sim.restart()
    reply = await sim.advance(timedelta(hours=3))
    assert not reply.to(GRID.id)
    reply = await sim.advance(timedelta(hours=2))
    assert reply.to(GRID.id) and "还没有人接单" in reply.to(GRID.id)[0].text
    assert not reply.to(STAFF.id)
    await sim.restart()
    reply = await sim.advance(timedelta(hours=20))
    assert reply.to(STAFF.id) and "很久没人接单" in reply.to(STAFF.id)[0].text
    # Accepted: the accept reminders stop, the 7-day deadline starts.
    reply = await sim.press(VOLUNTEER, None, data=f"1|rq|acc|{tid}", chat=sim.private(VOLUNTEER))
    assert await status(sim, tid) == "assigned"
    await sim.restart()
    reply = await sim.advance(timedelta(days=6))
    assert not reply.to(VOLUNTEER.id) and not reply.to(STAFF.id)
    reply = await sim.advance(timedelta(days=1, hours=1))
    assert "超过处理期限" in reply.to(VOLUNTEER.id)[0].text
    assert "超过处理期限" in reply.to(STAFF.id)[0].text
    # Resolved: no more reminders.
    await sim.press(VOLUNTEER, None, data=f"1|rq|done|{tid}", chat=sim.private(VOLUNTEER))
    reply = await sim.advance(timedelta(days=3))
    assert not reply.to(VOLUNTEER.id) and not reply.to(STAFF.id)
    assert_group_clean(sim, group)


# ---- other languages, the demo -------------------------------------------------------------------
async def test_english_resident_files_in_english(sim: Simulator, group: Chat) -> None:
    from tests.conftest import ALICE

    await community(sim, group)
    await register(sim, ALICE, "3-1-101", "Alice")
    chat = sim.private(ALICE)
    reply = await sim.send(ALICE, chat, "/repair")
    assert "What kind of problem" in reply.text
    reply = await sim.press(ALICE, reply, "Water pipes")
    reply = await sim.press(ALICE, reply, "My own unit")
    assert "describe the problem" in reply.text
    reply = await sim.send(ALICE, chat, "Kitchen pipe leaks")
    reply = await sim.press(ALICE, reply, "Skip")
    reply = await sim.press(ALICE, reply, "No")
    reply = await sim.press(ALICE, reply, "Send request")
    assert "Your request number is #1" in reply.text


async def test_demo_scene(sim: Simulator, group: Chat) -> None:
    from bot.offline.demo_repairs import scene

    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    from bot.offline.transcript import Transcript

    lines: list[str] = []
    Transcript(sim, lines.append)
    await scene(sim, lines.append)
    row = await sim.rt.db.fetchone("SELECT status, rating FROM repair_tickets")
    assert (row["status"], row["rating"]) == ("confirmed", 5)
    assert any("您的报修编号是 #1" in line for line in lines)


async def test_common_area_reaches_the_reporters_grid_worker_and_meaningless_text_is_refused(
    sim: Simulator, group: Chat
) -> None:
    await community(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "水管")
    reply = await sim.press(WANG, reply, "别的地方")
    reply = await sim.send(WANG, chat, ".")
    assert "请用文字写地点" in reply.text
    reply = await sim.send(WANG, chat, "小区大门")
    assert "是什么问题" in reply.text
    reply = await sim.send(WANG, chat, "？")
    assert "请用文字写一下是什么问题" in reply.text
    await sim.send(WANG, chat, "/cancel")
    tid, reply = await file_repair(sim, WANG, "水管", place="小区大门", show="可以")
    offer = last_to(sim, GRID, f"#{tid}")  # the grid worker of 王阿姨's building 21
    assert "报修人：王阿姨（21号楼4单元302室）" in offer.text
