"""Trust (#15, #14): joining a household needs a member's approval, linked groups move only with
their community's staff, personal-looking input is refused, people are named by their id."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import (
    ADMIN,
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


async def _snapshot(sim: Simulator) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    db = sim.rt.db
    residents = await db.fetchall("SELECT user_id, household_id FROM residents ORDER BY 1")
    requests = await db.fetchall("SELECT id, status FROM household_requests ORDER BY 1")
    return [tuple(r) for r in residents], [tuple(r) for r in requests]


async def _ask_to_join(sim: Simulator, group: Chat) -> tuple[int, object]:
    """WANG lives in 21-4-302; her son asks to join. Returns (request id, WANG's question)."""
    await setup_community(sim, group)
    await say_hello(sim, WANG_SON)
    await register(sim, WANG, "21-4-302", "王阿姨")
    chat = sim.private(WANG_SON)
    await sim.send(WANG_SON, chat, "/register")
    reply = await sim.send(WANG_SON, chat, "21-4-302")
    reply = await sim.send(WANG_SON, chat, "小明")
    reply = await sim.press(WANG_SON, reply, "确认")
    assert "已经有登记的家人" in reply.text
    question = reply.to(WANG.id)
    assert question and "王小明 申请加入您家" in question[0].text
    request_id = int(
        await sim.rt.db.fetchval(
            "SELECT id FROM household_requests WHERE user_id = ? AND status = 'pending'",
            (WANG_SON.id,),
        )
    )
    return request_id, question[0]


async def _resident(sim: Simulator, user_id: int) -> object:
    return await sim.rt.db.fetchval(
        "SELECT household_id FROM residents WHERE user_id = ?", (user_id,)
    )


async def test_newcomer_sees_nothing_until_a_member_approves(sim: Simulator, group: Chat) -> None:
    _, question = await _ask_to_join(sim, group)
    assert await _resident(sim, WANG_SON.id) is None  # menu and repairs see no household
    reply = await sim.send(WANG_SON, sim.private(WANG_SON), "/me")
    assert "王阿姨" not in reply.text and "还没有登记" in reply.text
    assert "申请加入 21号楼4单元302室，等这户的家人确认" in reply.text
    reply = await sim.send(WANG_SON, sim.private(WANG_SON), "/register")
    assert "还在等这户的家人确认" in reply.text
    await sim.send(WANG_SON, sim.private(WANG_SON), "/cancel")
    reply = await sim.press(WANG, question, "同意")
    assert "已同意 小明 加入" in reply.text
    assert "您已加入21号楼4单元302室" in reply.to(WANG_SON.id)[0].text
    assert await _resident(sim, WANG_SON.id) == await _resident(sim, WANG.id)
    again = await sim.press(WANG, question, "不同意")  # an old button: already decided
    assert "已经处理过" in again.alerts()[0]


async def test_member_declines(sim: Simulator, group: Chat) -> None:
    _, question = await _ask_to_join(sim, group)
    reply = await sim.press(WANG, question, "不同意")
    assert "已拒绝" in reply.text
    assert "没有通过" in reply.to(WANG_SON.id)[0].text
    assert await _resident(sim, WANG_SON.id) is None


async def test_forged_and_early_decisions_are_refused(sim: Simulator, group: Chat) -> None:
    request_id, _ = await _ask_to_join(sim, group)
    before = await _snapshot(sim)
    for person in (STRANGER, GRID, STAFF, WANG_SON):
        reply = await sim.press(
            person, None, data=f"1|hh|ok|{request_id}", chat=sim.private(person)
        )
        assert reply.alerts(), person
    for data in ("1|hh|ok|999", "1|hh|zz|1", "1|hh|ok"):
        assert (await sim.press(WANG, None, data=data, chat=sim.private(WANG))).alerts()
    assert await _snapshot(sim) == before


async def test_no_answer_goes_to_the_grid_worker_after_a_day(sim: Simulator, group: Chat) -> None:
    request_id, _ = await _ask_to_join(sim, group)
    await sim.restart()
    reply = await sim.advance(timedelta(hours=23))
    assert not reply.to(GRID.id)
    reply = await sim.advance(timedelta(hours=2))
    asked = reply.to(GRID.id)
    assert asked and "没有回应" in asked[0].text
    reply = await sim.press(GRID, asked[0], "同意")
    assert await _resident(sim, WANG_SON.id) == await _resident(sim, WANG.id)
    told = reply.to(WANG.id)
    assert told and "小明 已加入您家" in told[0].text
    assert request_id


async def test_no_grid_worker_and_no_staff_asks_the_bot_admins(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await say_hello(sim, WANG_SON)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await sim.send(ADMIN, group, f"/revoke @{STAFF.username} 工作人员")
    await sim.send(ADMIN, group, f"/revoke @{GRID.username} 网格员")
    await register(sim, WANG_SON, "21-4-302", "小明", approve=False)
    reply = await sim.advance(timedelta(hours=25))
    asked = reply.to(ADMIN.id)
    assert asked and "没有回应" in asked[0].text
    await sim.press(ADMIN, asked[0], "同意")
    assert await _resident(sim, WANG_SON.id) == await _resident(sim, WANG.id)


async def test_members_leaving_hand_the_request_to_the_grid_worker(
    sim: Simulator, group: Chat
) -> None:
    await _ask_to_join(sim, group)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/register")
    await sim.send(WANG, chat, "21-4-303")
    reply = await sim.send(WANG, chat, "王阿姨")
    reply = await sim.press(WANG, reply, "确认")
    asked = reply.to(GRID.id)
    assert asked and "没有回应（或已搬走）" in asked[0].text
    await sim.press(GRID, asked[0], "同意")
    assert await _resident(sim, WANG_SON.id) != await _resident(sim, WANG.id)
    assert await _resident(sim, WANG_SON.id) is not None


async def test_moving_keeps_the_others_and_tells_them(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await say_hello(sim, WANG, WANG_SON)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, WANG_SON, "21-4-302", "小明")
    chat = sim.private(WANG_SON)
    await sim.send(WANG_SON, chat, "/register")
    await sim.send(WANG_SON, chat, "21-6-601")
    reply = await sim.send(WANG_SON, chat, "小明")
    reply = await sim.press(WANG_SON, reply, "确认")
    assert "登记已更新" in reply.text
    told = reply.to(WANG.id)
    assert told and "小明 已搬离您家" in told[0].text
    rows = await sim.rt.db.fetchall("SELECT user_id FROM residents ORDER BY user_id")
    assert [r["user_id"] for r in rows] == [WANG.id, WANG_SON.id]
    assert await _resident(sim, WANG_SON.id) != await _resident(sim, WANG.id)


# ---- groups: moving a linked group, confusable names --------------------------------------------
async def _groups(sim: Simulator) -> list[tuple[object, ...]]:
    rows = await sim.rt.db.fetchall("SELECT chat_id, community_id FROM groups ORDER BY 1")
    names = await sim.rt.db.fetchall("SELECT name FROM communities ORDER BY id")
    return [tuple(r) for r in rows] + [tuple(n) for n in names]


async def test_group_admin_without_role_cannot_move_a_linked_group(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    sim.make_group_admin(group, WANG)
    before = await _groups(sim)
    reply = await sim.send(WANG, group, "/setup 别的社区")
    assert "本群已关联到“锡林社区”。只有“锡林社区”的社区工作人员或机器人管理员" in reply.text
    reply = await sim.press(WANG, None, data=f"1|gm|ok|{group.id}", chat=group)
    assert reply.alerts()
    assert await _groups(sim) == before


async def test_staff_moves_the_group_after_confirming_and_staff_are_told(
    sim: Simulator, group: Chat
) -> None:
    cid = await setup_community(sim, group)
    await say_hello(sim, WANG)
    await sim.send(STAFF, group, f"/grant @{WANG.username} 工作人员")
    before = await _groups(sim)
    reply = await sim.send(STAFF, group, "/setup 新华社区")
    assert "确定改为关联到“新华社区”" in reply.text
    assert await _groups(sim) == before
    forged = await sim.press(WANG, reply, "确定改关联")  # another staff member's button
    assert forged.alerts() and await _groups(sim) == before
    cancel = await sim.press(STAFF, reply, "取消")
    assert "没有改变" in cancel.text and await _groups(sim) == before
    reply = await sim.send(STAFF, group, "/setup 新华社区")
    reply = await sim.press(STAFF, reply, "确定改关联")
    assert "本群已关联到“新华社区”" in reply.text
    told = reply.to(WANG.id)
    assert told and "从“锡林社区”改为关联到“新华社区”" in told[0].text
    now = await sim.rt.db.fetchval("SELECT community_id FROM groups WHERE chat_id = ?", (group.id,))
    assert now != cid


async def test_confusable_community_names_are_refused(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    other = sim.group(-3001, "另一个群")
    before = await _groups(sim)
    for name in ("锡林", "锡林 社区", "锡林 社區", "锡 林"):
        reply = await sim.send(ADMIN, other, f"/setup {name}")
        assert "太像了" in reply.text and "/setup 锡林社区" in reply.text, name
    # The same name once normalised (Traditional, invisible characters): that very community.
    for name in ("錫林社區", "锡\u200b林社区", "\ufeff锡林社區\u200c"):
        reply = await sim.send(ADMIN, other, f"/setup {name}")
        assert "本群已关联到“锡林社区”" in reply.text, (name, reply.text)
        await sim.rt.db.execute("DELETE FROM groups WHERE chat_id = ?", (other.id,))
    assert await _groups(sim) == before


# ---- input that looks personal ------------------------------------------------------------------
async def test_phone_numbers_are_not_buildings(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/register")
    for text in ("13812345678号楼", "13812345678", "1234567", "1000号楼", "138-1234-5678-4-302"):
        reply = await sim.send(WANG, chat, text)
        # Asked again for the building (the too-big number is named), never the unit.
        assert "楼号" in reply.text and "请输入单元号" not in reply.text, (text, reply.text)
    reply = await sim.send(WANG, chat, "13812345678号楼")
    assert "电话" in reply.text
    reply = await sim.send(WANG, chat, "东区3号楼")
    assert "东区3号楼" in reply.text and "单元号" in reply.text
    reply = await sim.send(WANG, chat, "4")
    reply = await sim.send(WANG, chat, "13812345678")
    assert "电话" in reply.text
    reply = await sim.send(WANG, chat, "王阿姨 13812345678")
    assert "电话" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM households") == 0


async def test_unknown_look_ups_are_masked_and_per_community(sim: Simulator, group: Chat) -> None:
    cid = await setup_community(sim, group)
    other = sim.group(-3001, "新华社区群")
    await say_hello(sim, STRANGER)
    await sim.send(ADMIN, other, "/setup 新华社区")
    await sim.send(ADMIN, other, f"/grant @{STRANGER.username} 工作人员")
    reply = await sim.send(WANG, group, "/sort 我电话13912345678火星石头")
    assert "13912345678" not in reply.text and "1391234" not in reply.text
    reply = await sim.send(WANG, group, "/sort 我电话1391234…")
    assert "1391234" not in reply.text
    await sim.send(WANG, group, "/sort 21号楼4单元302的火星土")
    await sim.send(WANG, group, "/sort 我叫王小明的月球砖")
    await sim.send(WANG, other, "/sort 新华的怪东西")
    stored = " ".join(
        r["query"]
        for r in await sim.rt.db.fetchall("SELECT query FROM sorting_unknown_by_community")
    )
    for secret in ("1391234", "302", "王小明", "4单元"):
        assert secret not in stored, stored
    mine = (await sim.send(STAFF, sim.private(STAFF), "/sort_unknown")).text
    assert "火星土" in mine and "新华的怪东西" not in mine
    theirs = (await sim.send(STRANGER, sim.private(STRANGER), "/sort_unknown")).text
    assert "新华的怪东西" in theirs and "火星" not in theirs
    here = (await sim.send(STRANGER, group, "/sort_unknown")).text  # not their group
    assert "只有社区工作人员" in here
    # Staff asking in the group get the list privately; the group sees no resident's words.
    await register(sim, WANG, "21-4-302", "王阿姨", community_id=cid)
    await sim.send(WANG, group, "/sort 王阿姨家的怪石头")
    asked = await sim.send(STAFF, group, "/sort_unknown")
    in_group = " ".join(m.text for m in asked.to(group.id))
    assert "私聊" in in_group and "火星土" not in in_group
    private = asked.to(STAFF.id)
    assert private and "火星土" in private[0].text
    assert "王阿姨" not in private[0].text and "某人家的怪石头" in private[0].text


# ---- /grant names people by their Telegram id ----------------------------------------------------
async def test_grant_prefers_a_reply_and_refuses_an_ambiguous_username(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    await say_hello(sim, WANG, LIU)
    # LIU once had @wang_ayi; both rows now carry it with the same time: nobody can tell.
    await sim.rt.db.execute("UPDATE users SET username = 'wang_ayi' WHERE id = ?", (LIU.id,))
    await sim.rt.db.execute(
        "UPDATE users SET updated_at = '2026-01-01T00:00:00Z' WHERE id IN (?, ?)", (WANG.id, LIU.id)
    )
    roles = "SELECT count(*) FROM roles WHERE user_id IN (?, ?)"
    reply = await sim.send(STAFF, group, "/grant @wang_ayi 志愿者")
    assert "不止一个人用过这个用户名" in reply.text
    assert await sim.rt.db.fetchval(roles, (WANG.id, LIU.id)) == 0
    # The one seen with it most recently holds it.
    await sim.rt.db.execute(
        "UPDATE users SET updated_at = '2026-02-01T00:00:00Z' WHERE id = ?", (WANG.id,)
    )
    reply = await sim.send(STAFF, group, "/grant @wang_ayi 志愿者")
    assert "已任命 王阿姨" in reply.text
    # A reply names the person by id, whatever @name is typed.
    payload = sim.message_payload(STAFF, group, "/grant @wang_ayi 志愿者 维修")
    payload["reply_to_message"] = sim.message_payload(LIU, group, "我也想当志愿者")
    reply = await sim.feed({"update_id": sim.api.next_update_id(), "message": payload})
    assert "已任命 刘大爷" in reply.text, reply.text


async def test_grant_says_what_changed(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    reply = await sim.send(STAFF, group, "/grant @zhang_vol 志愿者 维修")
    assert "没有变化" in reply.text and "维修" in reply.text
    assert not reply.to(VOLUNTEER.id)
    reply = await sim.send(STAFF, group, "/grant @zhang_vol 志愿者 环境卫生")
    assert "新增技能：环境卫生" in reply.text and "已经是" not in reply.text.split("，")[1]
    assert "环境卫生" in reply.to(VOLUNTEER.id)[0].text


# ---- /revoke: the person and staff are told; open tickets go back -------------------------------
async def test_revoking_a_volunteer_hands_their_tickets_back(sim: Simulator, group: Chat) -> None:
    from tests.test_repairs import file_repair

    await setup_community(sim, group)
    await say_hello(sim, WANG)
    await sim.send(STAFF, group, f"/grant @{WANG.username} 工作人员")
    await register(sim, LIU, "21-5-101", "刘大爷")
    ticket, reply = await file_repair(sim, LIU, category="水管", text="水管爆了")
    offer = reply.to(VOLUNTEER.id)[0]
    await sim.press(VOLUNTEER, offer, "接单")
    await sim.send(STAFF, sim.private(STAFF), "/care_add 张奶奶 21-4-302 每周两次 @zhang_vol")
    status = "SELECT status, assignee_id FROM repair_tickets WHERE id = ?"
    assert tuple(await sim.rt.db.fetchone(status, (ticket,))) == ("assigned", VOLUNTEER.id)
    reply = await sim.send(STAFF, group, f"/revoke @{VOLUNTEER.username} 志愿者")
    assert "已撤销 张志愿 的志愿者角色" in reply.text
    told = reply.to(VOLUNTEER.id)
    assert told and "角色已被撤销" in told[0].text and f"#{ticket}" in told[0].text
    staff = reply.to(WANG.id)
    assert staff and "孙晓军 撤销了 张志愿" in staff[0].text and f"#{ticket}" in staff[0].text
    assert "另派志愿者：张奶奶" in staff[0].text
    assert tuple(await sim.rt.db.fetchone(status, (ticket,))) == ("new", None)
    assert reply.to(GRID.id), "the grid worker is offered the ticket again"
    assert reply.to(LIU.id), "the reporter hears of the new status"
    visitors = "SELECT count(*) FROM care_volunteers WHERE user_id = ?"
    assert await sim.rt.db.fetchval(visitors, (VOLUNTEER.id,)) == 0, "no more visit pings"
