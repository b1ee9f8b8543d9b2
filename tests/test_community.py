"""Linking groups, registering households, roles, /grid, /help, /lang, restarts."""

from __future__ import annotations

from bot.offline.simulator import Simulator
from tests.conftest import (
    ADMIN,
    ALICE,
    CHEN,
    GRID,
    LIU,
    OTHER_GROUP_ID,
    STAFF,
    STRANGER,
    VOLUNTEER,
    WANG,
    WANG_SON,
    register,
    say_hello,
    setup_community,
)


async def test_link_group_by_admin_and_refusal_for_member(sim: Simulator, group) -> None:
    reply = await sim.send(WANG, group, "/setup 锡林社区")
    assert "只有群管理员" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM groups") == 0
    reply = await sim.send(ADMIN, group, "/setup 锡林社区")
    assert "本群已关联到“锡林社区”" in reply.text
    button = sim.find_button(reply.last_with_buttons(), "登记住户")
    assert button["url"].startswith("https://t.me/community_helper_bot?start=reg-")


async def test_telegram_group_admin_can_create_but_not_hijack(sim: Simulator, group) -> None:
    sim.make_group_admin(group, WANG)
    reply = await sim.send(WANG, group, "/setup 锡林社区")
    assert "本群已关联" in reply.text
    other = sim.group(OTHER_GROUP_ID, "别人的群")
    sim.make_group_admin(other, STRANGER)
    reply = await sim.send(STRANGER, other, "/setup 锡林社区")
    assert "只有该社区的工作人员" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM groups") == 1


async def test_setup_needs_a_name_and_a_group(sim: Simulator, group) -> None:
    assert "请写上社区名称" in (await sim.send(ADMIN, group, "/setup")).text
    assert "请写上社区名称" in (await sim.send(ADMIN, group, "/setup " + "长" * 60)).text
    assert "居民群里" in (await sim.send(ADMIN, sim.private(ADMIN), "/setup 锡林社区")).text


async def test_register_step_by_step_and_reregister(sim: Simulator, group) -> None:
    cid = await setup_community(sim, group)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, f"/start reg-{cid}")
    assert "请输入您家的楼号" in reply.text
    reply = await sim.send(WANG, chat, "楼号不知道")
    assert "没看懂这个门牌" in reply.text
    reply = await sim.send(WANG, chat, "21号楼")
    assert "单元号" in reply.text
    reply = await sim.send_photo(WANG, chat)
    assert "请用文字回答" in reply.text
    reply = await sim.send(WANG, chat, "四单元")
    assert "门牌号" in reply.text
    reply = await sim.send(WANG, chat, "302室")
    reply = await sim.send(WANG, chat, "王阿姨")
    assert "21号楼4单元302室" in reply.text
    reply = await sim.press(WANG, reply, "确认")
    assert "登记成功：21号楼4单元302室" in reply.text
    # Re-register: updates, never duplicates.
    await register(sim, WANG, "21-4-303", "王阿姨")
    rows = await sim.rt.db.fetchall("SELECT * FROM residents WHERE user_id = ?", (WANG.id,))
    assert len(rows) == 1
    room = await sim.rt.db.fetchval(
        "SELECT room FROM households WHERE id = ?", (rows[0]["household_id"],)
    )
    assert room == "303"


async def test_household_shared_by_two_members(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21号楼4单元302", "王阿姨")
    await register(sim, WANG_SON, "21号樓4單元302", "小明")  # Traditional characters
    households = await sim.rt.db.fetchval("SELECT count(*) FROM households")
    members = await sim.rt.db.fetchval("SELECT count(*) FROM residents")
    assert (households, members) == (1, 2)


async def test_register_in_group_goes_private_and_cancel(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    reply = await sim.send(WANG, group, "/register")
    assert "私聊" in reply.text
    assert "302" not in reply.text
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/register")
    reply = await sim.send(WANG, chat, "/cancel")
    assert "已取消" in reply.text
    reply = await sim.send(WANG, chat, "21")
    assert "没看懂" in reply.text  # back to the private fallback, not the conversation
    assert await sim.rt.db.fetchval("SELECT count(*) FROM residents") == 0


async def test_registration_survives_restart(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    chat = sim.private(LIU)
    await sim.send(LIU, chat, "/register")
    await sim.send(LIU, chat, "5")
    await sim.restart()
    reply = await sim.send(LIU, chat, "2")
    assert "门牌号" in reply.text
    await sim.send(LIU, chat, "101")
    reply = await sim.send(LIU, chat, "刘大爷")
    reply = await sim.press(LIU, reply, "确认")
    assert "5号楼2单元101室" in reply.text


async def test_roles_granted_revoked_and_refused(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    await say_hello(sim, WANG, LIU)
    reply = await sim.send(WANG, group, f"/grant @{LIU.username} 工作人员")
    assert "只有社区工作人员" in reply.text
    reply = await sim.send(STAFF, group, f"/grant @{STAFF.username} 网格员")
    assert "不能给自己" in reply.text
    reply = await sim.send(STAFF, group, f"/grant @{LIU.username} 志愿者 修电脑")
    assert "不认识这些技能" in reply.text
    reply = await sim.send(STAFF, group, f"/grant @{LIU.username} 志愿者 维修，困難慰問")
    assert "已任命 刘大爷 为锡林社区的志愿者" in reply.text
    private = reply.to(LIU.id)
    assert private and "志愿者" in private[0].text
    skills = await sim.rt.db.fetchall(
        "SELECT skill FROM volunteer_skills WHERE user_id = ?", (LIU.id,)
    )
    assert {r["skill"] for r in skills} == {"维修", "困难慰问"}
    reply = await sim.send(STAFF, group, f"/revoke @{LIU.username} 志愿者")
    assert "已撤销" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM roles WHERE user_id = ?", (LIU.id,)) == 0
    reply = await sim.send(STAFF, group, "/grant @nobody_here 志愿者")
    assert "找不到这个人" in reply.text
    reply = await sim.send(STAFF, group, "/grant")
    assert "用法" in reply.text


async def test_grid_in_group_is_public_chart_and_private_is_personal(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    reply = await sim.send(WANG, group, "/grid")
    assert "网格员 李网格" in reply.text
    assert "302" not in reply.text
    reply = await sim.send(WANG, sim.private(WANG), "/grid")
    assert "21号楼的网格员是 李网格" in reply.text
    button = sim.find_button(reply.last_with_buttons(), "联系")
    assert button["url"] == f"https://t.me/{GRID.username}"
    reply = await sim.send(STAFF, sim.private(STAFF), "/grid")
    assert "网格总表" in reply.text
    reply = await sim.send(LIU, sim.private(LIU), "/grid")
    assert "还没有登记" in reply.text


async def test_staff_grid_summarises_a_thousand_buildings_without_a_worker(
    sim: Simulator, group
) -> None:
    """Buildings 1-30 have a grid worker; the staff chart names every gap while there are
    few, and only the first 20 (saying there are more) when there are many."""
    cid = await setup_community(sim, group)

    async def occupy(buildings: range) -> None:
        await sim.rt.db.executemany(
            "INSERT INTO households (community_id, building, unit, room) VALUES (?, ?, '1', '101')",
            [(cid, str(b)) for b in buildings],
        )

    await occupy(range(29, 34))
    reply = await sim.send(STAFF, sim.private(STAFF), "/grid")
    assert "没有网格员的楼：31-33" in reply.text
    await occupy(range(34, 1031))
    reply = await sim.send(STAFF, sim.private(STAFF), "/grid")
    assert "没有网格员的楼不止 20 栋，其中有：" in reply.text
    assert "1-30号楼：网格员 李网格" in reply.text


async def test_help_per_role(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    resident = (await sim.send(WANG, sim.private(WANG), "/help")).text
    staff = (await sim.send(STAFF, sim.private(STAFF), "/help")).text
    assert "/register" in resident and "/grant" not in resident
    assert "/grant" in staff and "/register" in staff


async def test_lang_private_and_traditional_and_english(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    reply = await sim.send(CHEN, sim.private(CHEN), "/help")
    assert "您可以使用這些命令" in reply.text  # Telegram language zh-hant
    reply = await sim.send(ALICE, sim.private(ALICE), "/help")
    assert "Commands you can use" in reply.text
    reply = await sim.send(WANG, sim.private(WANG), "/lang")
    reply = await sim.press(WANG, reply, "English")
    assert "Language set to" in sim.api.calls[-1].text
    reply = await sim.send(WANG, sim.private(WANG), "/help")
    assert "Commands you can use" in reply.text
    # Residents cannot change the group's language; staff can.
    reply = await sim.send(WANG, group, "/lang")
    reply = await sim.press(WANG, reply, "繁體中文")
    assert reply.alerts()
    await sim.send(STAFF, group, "/lang")
    reply = await sim.press(STAFF, sim.api.sent("sendMessage", group.id)[-1], "繁體中文")
    reply = await sim.send(WANG, group, "/grid")
    assert "網格" in reply.text


async def test_restart_keeps_everything(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await sim.restart()
    reply = await sim.send(WANG, sim.private(WANG), "/me")
    assert "21号楼4单元302室" in reply.text
    reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "/me")
    assert "志愿者" in reply.text and "维修" in reply.text


async def test_forged_and_stale_buttons(sim: Simulator, group) -> None:
    for data in ["1|reg|ok", "garbage", "2|x|y", "1|lang|xx", "1|zz|a|b", "x" * 64]:
        reply = await sim.press(WANG, None, data=data, chat=sim.private(WANG))
        assert reply.alerts(), data
    assert await sim.rt.db.fetchval("SELECT count(*) FROM residents") == 0


async def test_unknown_and_huge_input(sim: Simulator, group) -> None:
    chat = sim.private(WANG)
    assert "没有这个命令" in (await sim.send(WANG, chat, "/frobnicate")).text
    assert "没看懂" in (await sim.send(WANG, chat, "好" * 4096)).text
    assert "当前没有要取消" in (await sim.send(WANG, chat, "/cancel")).text
    reply = await sim.send(
        WANG,
        chat,
        None,
        sticker={
            "file_id": "s1",
            "file_unique_id": "us1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert "没看懂" in reply.text


async def test_edited_messages_never_act_twice(sim: Simulator, group) -> None:
    await setup_community(sim, group)
    await say_hello(sim, LIU)
    edited = sim.message_payload(STAFF, group, f"/grant @{LIU.username} 志愿者 维修")
    reply = await sim.feed(
        {
            "update_id": sim.api.next_update_id(),
            "edited_message": {**edited, "edit_date": edited["date"] + 5},
        }
    )
    assert reply.calls == []  # silent in a group, and no role granted
    assert await sim.rt.db.fetchval("SELECT count(*) FROM roles WHERE user_id = ?", (LIU.id,)) == 0
    chat = sim.private(WANG)
    edited = sim.message_payload(WANG, chat, "/register")
    reply = await sim.feed(
        {
            "update_id": sim.api.next_update_id(),
            "edited_message": {**edited, "edit_date": edited["date"] + 5},
        }
    )
    assert "重新发一条" in reply.text
