"""Personal data never reaches a group: the guard in conftest can fail, and group commands keep quiet."""

from __future__ import annotations

import pytest

from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Simulator
from tests.conftest import (
    GRID,
    LIU,
    STAFF,
    VOLUNTEER,
    WANG,
    assert_no_personal_data_in_groups,
    group_leaks,
    personal_patterns,
    register,
    say_hello,
    setup_community,
)
from tests.test_repairs import file_repair


def _msg(chat_id: int, text: str, button: str = "") -> ApiCall:
    params: dict[str, object] = {"chat_id": chat_id, "text": text}
    if button:
        params["reply_markup"] = {"inline_keyboard": [[{"text": button, "callback_data": "x"}]]}
    return ApiCall("sendMessage", params)


async def test_guard_catches_rooms_phones_and_anonymous_names(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await file_repair(sim, WANG, show="不可以")
    patterns = await personal_patterns(sim)
    for text in ("住在302室", "4单元302有人", "21-4-302 的住户", "电话13812345678", "王阿姨报修了"):
        assert group_leaks([_msg(group.id, text)], patterns), text
        assert not group_leaks([_msg(WANG.id, text)], patterns), "private chats are fine"
    assert group_leaks([_msg(group.id, "ok", button="21-4-302")], patterns)
    assert group_leaks([ApiCall("sendPhoto", {"chat_id": group.id, "caption": "302室"})], patterns)
    for text in ("#302 已解决", "21号楼的网格员", "第4单元", "报修 #3021"):
        assert not group_leaks([_msg(group.id, text)], patterns), text
    # And the fixture-level check raises on a real leak.
    assert sim.app is not None
    await sim.app.bot.send_message(group.id, "王阿姨 21-4-302")
    with pytest.raises(AssertionError, match="personal data sent to a group"):
        await assert_no_personal_data_in_groups(sim)
    sim.api.calls.clear()  # keep the autouse guard of this very test green


async def test_personal_commands_typed_in_a_group_stay_private(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, LIU, "21-5-101", "刘大爷")
    tid, _ = await file_repair(sim, WANG, show="不可以")
    for person, text in [
        (WANG, "/me"),
        (WANG, "/my"),
        (WANG, "/register"),
        (WANG, "/register 21-4-302"),
        (WANG, "/repair"),
        (WANG, "/menu"),
        (WANG, "/grid"),
        (LIU, "/start"),
        (STAFF, "/tickets"),
        (STAFF, "/tickets 21号楼"),
        (STAFF, "/repair_stats"),
        (STAFF, "/care"),
        (STAFF, "/care_export"),
        (STAFF, "/reminders"),
        (GRID, "/tasks"),
        (VOLUNTEER, "/tasks"),
        (STAFF, "/menu_paper 21-4-302"),
        (STAFF, "/care_add 张奶奶 21-4-302 每周两次 @zhang_vol"),
        (STAFF, "/menu_results"),
        (STAFF, "/menu_export"),
        (STAFF, "/households"),
        (STAFF, "/households 21号楼 48"),
        (GRID, "/menu_unordered"),
        (STAFF, "/menu_unordered 21号楼"),
        (STAFF, "/dashboard"),
    ]:
        await sim.send(person, group, text)
    await assert_no_personal_data_in_groups(sim)
    assert tid


async def test_dashboard_link_never_in_a_group(sim: Simulator, group: Chat) -> None:
    """A sign-in link is a credential: /dashboard typed in a group makes none and says where."""
    import dataclasses

    await setup_community(sim, group)
    sim.rt.config = dataclasses.replace(sim.rt.config, dashboard_url="https://d.example.org")
    reply = await sim.send(STAFF, group, "/dashboard")
    assert "私聊" in reply.text
    assert not await sim.rt.db.fetchval("SELECT count(*) FROM dashboard_links")
    assert not any("login?t=" in str(c.params) for c in sim.api.calls if (c.chat_id or 0) < 0)


async def test_ticket_buttons_on_a_group_post_never_show_the_ticket(
    sim: Simulator, group: Chat
) -> None:
    """Data of 开始处理 / 接单 / 📄 / 关闭 copied onto a group message: refused with a clear
    alert, the group message untouched, the ticket unchanged (an anonymous ticket too)."""
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    tid, reply = await file_repair(sim, WANG, category="水管", text="水管爆了，电话13812345678")
    await sim.press(VOLUNTEER, reply.to(VOLUNTEER.id)[0], "接单")
    before = [tuple(r) for r in await sim.rt.db.fetchall("SELECT * FROM repair_tickets")]
    post = await sim.send(WANG, group, "/repair")
    for person, data in [
        (VOLUNTEER, f"1|rq|go|{tid}"),
        (STAFF, f"1|rq|go|{tid}"),
        (STAFF, f"1|rq|acc|{tid}"),
        (STAFF, f"1|rq|v|{tid}"),
        (STAFF, f"1|rq|clr|{tid}|cannot"),
        (GRID, f"1|rn|n|{tid}|0"),
        (WANG, f"1|rq|no|{tid}"),
        (WANG, "1|rp|cat|water"),
    ]:
        pressed = await sim.press(person, post, data=data)
        assert any("私聊" in a for a in pressed.alerts()), data
        assert not [c for c in pressed.calls if c.method.startswith("edit")], data
        assert not [c for c in pressed.calls if c.method == "sendMessage"], data
    after = [tuple(r) for r in await sim.rt.db.fetchall("SELECT * FROM repair_tickets")]
    assert after == before
    await assert_no_personal_data_in_groups(sim)


async def test_staff_menu_round_messages_in_the_group_name_nobody(
    sim: Simulator, group: Chat
) -> None:
    """The staff's round in the group (#18): the pointer to the private draft, the close
    question with its count, the extension, the reopening and the progress news (told
    privately to the households that ordered, never who they are in the group)."""
    from tests.test_menu import close_now, open_round, order

    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, LIU, "21-5-101", "刘大爷")
    await sim.send(STAFF, group, "/menu_open")
    rid = await open_round(sim, group, deadline="3天后")
    await order(sim, WANG, rid, "车棚改造")
    await order(sim, LIU, rid, "楼梯维修")
    await sim.send(STAFF, group, "/menu_results")
    await sim.send(STAFF, group, "/menu_extend 再延长三天")
    await close_now(sim, group)
    await sim.send(STAFF, group, "/menu_extend 延长到3天后")
    await close_now(sim, group)
    reply = await sim.send(STAFF, group, "/menu_progress")
    reply = await sim.press(STAFF, reply, "车棚改造")
    reply = await sim.press(STAFF, reply, "暂不实施")
    reply = await sim.send(STAFF, group, "资金未落实")
    reply = await sim.press(STAFF, reply, "确认发布")
    assert any("车棚改造：暂不实施" in c.text for c in reply.to(group.id))
    assert any("车棚改造" in c.text for c in reply.to(WANG.id))
    await sim.send(LIU, group, "/progress")
    await assert_no_personal_data_in_groups(sim)


async def test_households_without_an_order_reach_only_their_grid_worker_and_staff(
    sim: Simulator, group: Chat
) -> None:
    """The list of who has not ordered names rooms and people: in private, to the building's
    grid worker and staff only; another grid worker and the group get none of it."""
    from tests.test_menu import open_round

    other = Person(60, "赵网格", "zhao_grid")
    await setup_community(sim, group)
    await say_hello(sim, other)
    await sim.send(STAFF, group, f"/grant @{other.username} 网格员")
    await sim.send(STAFF, group, f"/grid_assign @{other.username} 31-40")
    await register(sim, WANG, "21-4-302", "王阿姨")
    rid = await open_round(sim, group)
    for person, text in [(GRID, "/menu_unordered"), (STAFF, "/menu_unordered 21号楼")]:
        reply = await sim.send(person, sim.private(person), text)
        assert "21号楼4单元302室 王阿姨" in reply.text, person
        reply = await sim.send(person, group, text)
        assert "302" not in reply.text and "王阿姨" not in reply.text
    for text in ("/menu_unordered", "/menu_unordered 21号楼"):
        reply = await sim.send(other, sim.private(other), text)
        assert "302" not in reply.text and "王阿姨" not in reply.text, text
    staff_counts = await sim.send(STAFF, sim.private(STAFF), "/menu_unordered")
    assert "21号楼：1 户没点单" in staff_counts.text and "王阿姨" not in staff_counts.text
    hid = await sim.rt.db.fetchval(
        "SELECT household_id FROM residents WHERE user_id = ?", (WANG.id,)
    )
    forged = await sim.press(other, None, data=f"1|mn|pf|{rid}|{hid}", chat=sim.private(other))
    assert "302" not in forged.text and forged.alerts()
    post = await sim.send(WANG, group, "/menu")
    on_group = await sim.press(GRID, post, data=f"1|mn|pf|{rid}|{hid}")
    assert on_group.alerts() and not on_group.to(group.id)
    await assert_no_personal_data_in_groups(sim)
