"""Roles (issue #18): /team, removing buildings with /grid_assign, the command menu per role
and language, and /suggestions for staff. Driven through the real Application."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Simulator
from tests.conftest import (
    ADMIN,
    ALICE,
    CHEN,
    GRID,
    LIU,
    STAFF,
    VOLUNTEER,
    WANG,
    assert_no_personal_data_in_groups,
    register,
    say_hello,
    setup_community,
)

NEWBIE = Person(41, "吴新人", "wu_new")


@pytest.fixture
async def sim(
    db_path: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[Simulator]:
    simulator = Simulator(db_path, admins=(ADMIN.id,))
    await simulator.start()
    try:
        yield simulator
        await assert_no_personal_data_in_groups(simulator)
    finally:
        await simulator.stop()


async def test_team_lists_roles_without_personal_data(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await sim.send(STAFF, group, f"/grant @{VOLUNTEER.username} 志愿者 维修 医疗服务")
    await register(sim, WANG, "21-4-302", "王阿姨")
    reply = await sim.send(STAFF, group, "/team")
    text = reply.text
    assert "锡林社区角色名单" in text
    assert f"{STAFF.first_name} @{STAFF.username}" in text
    assert f"{GRID.first_name} @{GRID.username} — 1-30号楼" in text
    assert f"{VOLUNTEER.first_name} @{VOLUNTEER.username} — " in text
    assert "维修" in text and "医疗服务" in text
    assert WANG.first_name not in text and "302" not in text
    private = await sim.send(STAFF, sim.private(STAFF), "/team")
    assert f"@{GRID.username}" in private.text


async def test_team_refused_to_residents_and_volunteers(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    for person in (WANG, VOLUNTEER, GRID):
        reply = await sim.send(person, group, "/team")
        assert "只有社区工作人员可以查看角色名单" in reply.text
        assert STAFF.username not in reply.text


async def test_team_split_to_fit(sim: Simulator, group: Chat) -> None:
    cid = await setup_community(sim, group)
    db = sim.rt.db
    for n in range(300):
        uid = 5000 + n
        await db.execute(
            "INSERT INTO users (id, first_name, username) VALUES (?, ?, ?)",
            (uid, f"志愿者{n:03d}号" + "长" * 20, f"volunteer_{n:03d}_long_name"),
        )
        await db.execute(
            "INSERT INTO roles (community_id, user_id, role, granted_by) VALUES (?, ?, ?, ?)",
            (cid, uid, "volunteer", STAFF.id),
        )
    reply = await sim.send(STAFF, sim.private(STAFF), "/team")
    sent = reply.to(STAFF.id)
    assert len(sent) >= 3
    assert all(len(c.text) <= 4096 for c in sent)
    assert "volunteer_000_long_name" in reply.text and "volunteer_299_long_name" in reply.text


# ---- /grid_assign: removing buildings, impossible ones ------------------------------------------
async def test_grid_assign_removes_and_says_what_changed(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} -21,22")
    assert "不再负责：21-22号楼" not in reply.text  # two buildings read as 21、22
    assert "不再负责：21、22号楼" in reply.text, reply.text
    assert "现在负责：1-20、23-30号楼" in reply.text
    reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} 删除 21 23")
    assert "不再负责：23号楼" in reply.text and "21号楼本来就不归" in reply.text
    rows = await sim.rt.db.fetchall("SELECT building FROM grid_buildings ORDER BY building")
    assert {r["building"] for r in rows} == {str(n) for n in range(1, 31)} - {"21", "22", "23"}
    reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} 21,5")
    assert "新增负责：21号楼" in reply.text and "5号楼本来就归" in reply.text


async def test_grid_assign_takes_from_previous_worker(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await sim.send(STAFF, group, f"/grant @{VOLUNTEER.username} 网格员")
    reply = await sim.send(STAFF, group, f"/grid_assign @{VOLUNTEER.username} 30-31")
    assert "新增负责：30、31号楼" in reply.text
    assert f"30号楼原来由 {GRID.first_name} 负责" in reply.text


async def test_grid_assign_rejects_impossible_buildings(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    before = await sim.rt.db.fetchall("SELECT * FROM grid_buildings ORDER BY building")
    cases = {
        "0号楼": "楼号从 1 开始",
        "21,-3": "楼号不能是负数",
        "1000": "楼号最大是 999",
        "5-1200": "楼号最大是 999",
        "13812345678": "这像是电话号码",
        "零号楼": "楼号从 1 开始",
    }
    for words, expected in cases.items():
        reply = await sim.send(STAFF, group, f"/grid_assign @{GRID.username} {words}")
        assert expected in reply.text, (words, reply.text)
        assert "用法" in reply.text
    assert "13812345678" not in "".join(c.text for c in sim.api.sent(chat_id=group.id))
    after = await sim.rt.db.fetchall("SELECT * FROM grid_buildings ORDER BY building")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


# ---- Telegram's command menu per role and language -----------------------------------------------
def _scope(call: ApiCall) -> dict[str, Any]:
    scope = call.params.get("scope") or {"type": "default"}
    return json.loads(scope) if isinstance(scope, str) else dict(scope)


def _names(call: ApiCall) -> list[str]:
    commands = call.params["commands"]
    commands = json.loads(commands) if isinstance(commands, str) else commands
    return [c["command"] for c in commands]


def chat_menus(sim: Simulator, user_id: int) -> list[ApiCall]:
    """setMyCommands / deleteMyCommands for this person's private chat, oldest first."""
    return [
        c
        for c in sim.api.calls
        if c.method in ("setMyCommands", "deleteMyCommands")
        and _scope(c).get("type") == "chat"
        and int(_scope(c)["chat_id"]) == user_id
    ]


async def test_default_and_group_menus_at_start(sim: Simulator) -> None:
    calls = sim.api.sent("setMyCommands")
    by_scope = {(_scope(c)["type"], c.params.get("language_code")): c for c in calls}
    default = _names(by_scope[("default", None)])
    assert "menu" in default and "repair" in default and "register" in default
    assert not {
        "menu_open",
        "menu_extend",
        "grant",
        "team",
        "suggestions",
        "tickets",
        "tasks",
    } & set(default)
    assert _names(by_scope[("default", "en")]) == default
    english = by_scope[("default", "en")].params["commands"]
    assert "看改造菜单" not in json.dumps(english, ensure_ascii=False)
    groups = _names(by_scope[("all_group_chats", None)])
    assert {"menu", "grid", "quiz", "sort"} <= set(groups)
    assert not {"register", "repair", "me", "menu_open"} & set(groups)
    assert "setup" in _names(by_scope[("all_chat_administrators", None)])


async def test_grant_sets_the_role_menu_and_revoke_resets_it(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await say_hello(sim, NEWBIE, WANG)
    await sim.send(STAFF, group, f"/grant @{NEWBIE.username} 工作人员")
    menu = chat_menus(sim, NEWBIE.id)[-1]
    assert menu.method == "setMyCommands"
    names = _names(menu)
    assert {"menu_open", "menu_extend", "grant", "team", "suggestions", "tickets", "tasks"} <= set(
        names
    )
    assert "menu" in names and "repair" in names  # the residents' commands too
    assert "管理" in json.dumps(menu.params["commands"], ensure_ascii=False)  # zh_Hans
    await sim.send(STAFF, group, f"/revoke @{NEWBIE.username} 工作人员")
    assert chat_menus(sim, NEWBIE.id)[-1].method == "deleteMyCommands"
    # A resident never gets a menu of their own: the default (residents' commands) applies.
    await register(sim, WANG, "21-4-302", "王阿姨")
    await sim.send(WANG, sim.private(WANG), "/help")
    assert chat_menus(sim, WANG.id) == []


async def test_grid_worker_menu_in_their_language(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await say_hello(sim, ALICE, CHEN)
    await sim.send(STAFF, group, f"/grant @{ALICE.username} 网格员")
    await sim.send(STAFF, group, f"/grant @{CHEN.username} 志愿者")
    alice = _names(chat_menus(sim, ALICE.id)[-1])
    assert "menu_paper" in alice and "tasks" in alice and "menu_open" not in alice
    text = json.dumps(chat_menus(sim, ALICE.id)[-1].params["commands"], ensure_ascii=False)
    assert "看改造菜单" not in text  # English
    chen = chat_menus(sim, CHEN.id)[-1]
    assert "tasks" in _names(chen) and "menu_paper" not in _names(chen)
    assert "看改造菜單、點單" in json.dumps(chen.params["commands"], ensure_ascii=False)


async def test_role_menus_are_set_again_lazily_after_a_restart(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await sim.restart()
    before = len(chat_menus(sim, GRID.id))
    await sim.send(WANG, sim.private(WANG), "/help")
    await sim.send(GRID, sim.private(GRID), "/help")
    assert len(chat_menus(sim, GRID.id)) == before + 1
    await sim.send(GRID, sim.private(GRID), "/help")  # once per process
    assert len(chat_menus(sim, GRID.id)) == before + 1
    assert chat_menus(sim, WANG.id) == []
    # /lang changes the language: the next private message brings the menu along.
    reply = await sim.send(GRID, sim.private(GRID), "/lang")
    await sim.press(GRID, reply, "English")
    await sim.send(GRID, sim.private(GRID), "/help")
    last = chat_menus(sim, GRID.id)[-1]
    assert "看改造菜单" not in json.dumps(last.params["commands"], ensure_ascii=False)


# ---- /suggestions --------------------------------------------------------------------------------
async def suggest(sim: Simulator, person: Person, round_id: int, text: str) -> None:
    chat = sim.private(person)
    await sim.press(person, None, data=f"1|mn|s|{round_id}", chat=chat)
    reply = await sim.send(person, chat, text)
    assert "已转给社区工作人员" in reply.text


async def test_suggestions_reach_staff_newest_first(sim: Simulator, group: Chat) -> None:
    from tests.test_menu import open_round

    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, LIU, "22-5-101", "刘大爷")
    empty = await sim.send(STAFF, sim.private(STAFF), "/suggestions")
    assert "还没有居民的建议" in empty.text
    round_id = await open_round(sim, group)
    await suggest(sim, WANG, round_id, "健身器材少")
    await sim.advance(timedelta(minutes=5))
    await suggest(sim, LIU, round_id, "楼道门槛低，雨水流进楼道")
    reply = await sim.send(STAFF, sim.private(STAFF), "/suggestions")
    text = reply.text
    assert "共 2 条" in text
    assert text.index("楼道门槛低") < text.index("健身器材少")  # newest first
    assert "22号楼" in text and "21号楼" in text
    assert "302" not in text and "101" not in text and WANG.first_name not in text
    # In the group: a pointer to the private chat, never the residents' words.
    in_group = await sim.send(STAFF, group, "/suggestions")
    assert "健身器材少" not in in_group.text and "私聊" in in_group.text
    # Residents and volunteers are refused.
    for person in (WANG, VOLUNTEER):
        refused = await sim.send(person, sim.private(person), "/suggestions")
        assert "健身器材少" not in refused.text


async def test_suggestions_split_to_fit(sim: Simulator, group: Chat) -> None:
    from tests.test_menu import open_round

    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    round_id = await open_round(sim, group)
    for n in range(60):
        await sim.rt.db.execute(
            "INSERT INTO menu_comments (round_id, item_id, user_id, text, at) "
            "VALUES (?, NULL, ?, ?, ?)",
            (round_id, WANG.id, f"第{n}条" + "很长的建议" * 30, 1_700_000_000 + n),
        )
    reply = await sim.send(STAFF, sim.private(STAFF), "/suggestions")
    sent = reply.to(STAFF.id)
    assert len(sent) >= 2 and all(len(c.text) <= 4096 for c in sent)
    assert "第59条" in sent[0].text and "第0条" in sent[-1].text
