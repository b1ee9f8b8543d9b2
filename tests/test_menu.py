"""Renovation menu through the real Application and the fake Bot API, plus the pure rules."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot import menu as rules
from bot.menu_chart import render_ranking
from bot.offline.simulator import Chat, Reply, Simulator
from tests.conftest import (
    GRID,
    LIU,
    STAFF,
    STRANGER,
    WANG,
    WANG_SON,
    Person,
    register,
    setup_community,
)

ZHAO = Person(106, "赵奶奶", "zhao_nn")
TZ = ZoneInfo("Asia/Shanghai")


async def open_round(
    sim: Simulator,
    group: Chat,
    *,
    deadline: str | None = None,
    k: int | None = None,
    live: bool = False,
    per_person: bool = False,
    staff: Person = STAFF,
) -> int:
    chat = sim.private(staff)
    reply = await sim.send(staff, chat, "/menu_open")
    assert "本轮菜单" in reply.text and "整修围墙和大门" in reply.text
    reply = await sim.press(staff, reply, "下一步")
    if k is not None:
        reply = await sim.press(staff, reply, data=sim.find_button(reply, str(k))["callback_data"])
    if per_person:
        reply = await sim.press(staff, reply, "一人一单")
    if live:
        reply = await sim.press(staff, reply, "随时公布")
    reply = await sim.press(staff, reply, "截止时间")
    if deadline is None:
        reply = await sim.press(staff, reply, "不设截止")
    else:
        reply = await sim.send(staff, chat, deadline)
    assert "请核对" in reply.text
    reply = await sim.press(staff, reply, "发布到群")
    assert "改造点单" in reply.to(group.id)[-1].text
    return int(await sim.rt.db.fetchval("SELECT max(id) FROM menu_rounds WHERE status = 'open'"))


async def close_now(sim: Simulator, chat: Chat, staff: Person = STAFF) -> Reply:
    """/menu_close before the deadline asks first: answer 现在结束."""
    reply = await sim.send(staff, chat, "/menu_close")
    assert "提前结束" in reply.text, reply.text
    return await sim.press(staff, reply, "现在结束")


async def order(sim: Simulator, person: Person, round_id: int, *names: str) -> Reply:
    chat = sim.private(person)
    reply = await sim.send(person, chat, f"/start menu-{round_id}")
    screen = reply.last_with_buttons()
    for name in names:
        reply = await sim.press(person, screen, name)
        screen = sim.current(screen)
    return await sim.press(person, screen, "确认点单")


NEIGHBOURS = (Person(61, "赵阿姨", "zhao_ayi"), Person(62, "钱师傅", "qian_sf"))


async def neighbours_order(sim: Simulator, round_id: int, *names: str) -> None:
    """Two more households (buildings 7 and 8) order `names`: with the caller's order that is
    enough households for the group to see the counts (rules.MIN_PUBLIC_HOUSEHOLDS)."""
    for n, person in enumerate(NEIGHBOURS):
        await register(sim, person, f"{7 + n}-1-101", person.first_name)
        await order(sim, person, round_id, *names)


async def picks_of(sim: Simulator, round_id: int) -> dict[str, set[str]]:
    rows = await sim.rt.db.fetchall(
        "SELECT o.voter, i.name FROM menu_orders o JOIN menu_picks p ON p.order_id = o.id "
        "JOIN menu_items i ON i.id = p.item_id WHERE o.round_id = ?",
        (round_id,),
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["voter"], set()).add(r["name"])
    return out


@pytest.fixture
async def ready(sim: Simulator, group: Chat) -> int:
    cid = await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, WANG_SON, "21-4-302", "小明")
    await register(sim, LIU, "5-2-101", "刘大爷")
    return cid


async def test_open_round_edit_items_and_post(sim: Simulator, group: Chat, ready: int) -> None:
    # In the group, /menu_open only points to the private chat: no half-made menu in public.
    reply = await sim.send(STAFF, group, "/menu_open")
    assert "私聊" in reply.text and "整修围墙" not in reply.text
    assert sim.find_button(reply, "去私聊准备菜单")["url"].endswith("?start=menuopen-1")
    in_group = len(sim.api.sent(chat_id=group.id))
    pm = sim.private(STAFF)
    reply = await sim.send(STAFF, pm, "/start menuopen-1")
    assert "居民还看不到" in reply.text
    reply = await sim.press(STAFF, reply, "添加")
    reply = await sim.send(STAFF, pm, "增设健身器材")
    assert "增设健身器材" in reply.text
    reply = await sim.press(STAFF, reply, "删除")
    reply = await sim.press(STAFF, reply, "车棚改造")
    assert "已删除：车棚改造" in reply.text and ". 车棚改造" not in reply.text
    reply = await sim.press(STAFF, reply, "改名")
    reply = await sim.press(STAFF, reply, "楼梯维修")
    reply = await sim.send(STAFF, pm, "楼梯扶手维修")
    reply = await sim.press(STAFF, reply, "加说明")
    reply = await sim.press(STAFF, reply, "小区楼顶防水")
    reply = await sim.send(STAFF, pm, "21号楼先做")
    assert "小区楼顶防水（21号楼先做）" in reply.text
    reply = await sim.press(STAFF, reply, "下一步")
    reply = await sim.press(STAFF, reply, "截止时间")
    reply = await sim.send(STAFF, pm, "5月31日 18:00")
    assert "5月31日 18:00" in reply.text and "居民群里会看到" in reply.text
    assert len(sim.api.sent(chat_id=group.id)) == in_group  # nothing in the group until 发布
    reply = await sim.press(STAFF, reply, "发布到群")
    post = reply.to(group.id)[-1]
    assert "楼梯扶手维修" in post.text and "增设健身器材" in post.text
    assert "车棚改造" not in post.text
    assert "已发布到 1 个居民群" in reply.to(pm.id)[-1].text
    button = sim.find_button(post, "去私聊点单")
    assert button["url"].endswith("?start=menu-1")
    # The closing job is durable; /menu shows the round to anyone.
    assert (
        await sim.rt.db.fetchval(
            "SELECT count(*) FROM jobs WHERE key = 'menu_close:1' AND status = 'pending'"
        )
        == 1
    )
    assert "楼梯扶手维修" in (await sim.send(STRANGER, group, "/menu")).text
    # Once open, the menu cannot be edited.
    assert "不能再改" in (await sim.send(STAFF, pm, "/menu_open")).text


async def test_orders_change_of_mind_k_limit_and_shared_household(
    sim: Simulator, group: Chat, ready: int
) -> None:
    rid = await open_round(sim, group, k=2)
    reply = await order(sim, WANG, rid, "整修围墙和大门", "小区楼顶防水")
    assert "点单成功" in reply.text
    # K limit: a third pick is refused politely and changes nothing.
    chat = sim.private(LIU)
    reply = await sim.send(LIU, chat, "/menu")
    screen = reply.last_with_buttons()
    await sim.press(LIU, screen, "车棚改造")
    await sim.press(LIU, sim.current(screen), "楼梯维修")
    reply = await sim.press(LIU, sim.current(screen), "小区环境优化")
    assert any("最多只能选 2 项" in a for a in reply.alerts())
    reply = await sim.press(LIU, sim.current(screen), "确认点单")
    assert "点单成功" in reply.text
    # The son sees the household's order and changes it: still one household order.
    reply = await sim.send(WANG_SON, sim.private(WANG_SON), "/menu")
    assert "您家目前的点单：整修围墙和大门、小区楼顶防水" in reply.text
    screen = reply.last_with_buttons()
    await sim.press(WANG_SON, screen, "整修围墙和大门")  # un-pick
    await sim.press(WANG_SON, sim.current(screen), "改造消防通道")
    reply = await sim.press(WANG_SON, sim.current(screen), "确认点单")
    assert "点单已更新" in reply.text
    # Double tap on confirm: no double count.
    await sim.press(WANG_SON, screen, data=f"1|mn|ok|{rid}")
    assert await picks_of(sim, rid) == {
        "h1": {"改造消防通道", "小区楼顶防水"},
        "h2": {"车棚改造", "楼梯维修"},
    }
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == 2


async def test_unregistered_resident_registers_and_keeps_picks(
    sim: Simulator, group: Chat, ready: int
) -> None:
    rid = await open_round(sim, group)
    chat = sim.private(ZHAO)
    reply = await sim.send(ZHAO, chat, f"/start menu-{rid}")
    screen = reply.last_with_buttons()
    await sim.press(ZHAO, screen, "楼梯维修")
    reply = await sim.press(ZHAO, sim.current(screen), "确认点单")
    assert "请先登记" in reply.text
    reply = await sim.press(ZHAO, reply, "登记住户")
    reply = await sim.send(ZHAO, chat, "7-1-201")
    reply = await sim.send(ZHAO, chat, "赵奶奶")
    reply = await sim.press(ZHAO, reply, "确认")
    assert "登记成功" in reply.text
    assert "☑ 楼梯维修" in str(reply.last_with_buttons().buttons)
    reply = await sim.press(ZHAO, reply, "确认点单")
    assert "点单成功：楼梯维修" in reply.text


async def test_paper_order_by_grid_worker(sim: Simulator, group: Chat, ready: int) -> None:
    rid = await open_round(sim, group)
    reply = await sim.send(GRID, group, "/menu_paper 3-1-101")
    assert "私聊" in reply.text and "101" not in reply.text
    chat = sim.private(GRID)
    reply = await sim.send(GRID, chat, "/menu_paper 3-1-101")
    assert "还没有人登记过" in reply.text  # an address nobody registered: asked first
    assert await sim.rt.db.fetchval("SELECT count(*) FROM households WHERE building = '3'") == 0
    reply = await sim.press(GRID, reply, "新建这一户")
    screen = reply.last_with_buttons()
    await sim.press(GRID, screen, "破损路面重新硬化")
    reply = await sim.press(GRID, sim.current(screen), "确认录入")
    assert "已录入 3号楼1单元101室" in reply.text
    row = await sim.rt.db.fetchone("SELECT * FROM menu_orders WHERE round_id = ?", (rid,))
    assert (row["paper"], row["entered_by"], row["user_id"]) == (1, GRID.id, None)
    # A resident cannot enter paper orders, even with forged data.
    assert (
        "只有社区工作人员" in (await sim.send(WANG, sim.private(WANG), "/menu_paper 3-1-101")).text
    )
    reply = await sim.press(
        WANG, None, data=f"1|mn|pok|{rid}|{row['household_id']}", chat=sim.private(WANG)
    )
    assert reply.alerts()
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == 1


async def test_stale_and_forged_buttons(
    sim: Simulator, group: Chat, ready: int, caplog: pytest.LogCaptureFixture
) -> None:
    rid = await open_round(sim, group)
    chat = sim.private(WANG)
    screen = (await sim.send(WANG, chat, "/menu")).last_with_buttons()
    for data in (
        "1|mn|t|999|1",
        f"1|mn|t|{rid}|9999",
        "1|mn|zz|1",
        "2|mn|t|1|1",
        f"1|mn|t|{rid}|abc",
        "1|mo|go|1",
    ):
        reply = await sim.press(WANG, screen, data=data)
        assert reply.alerts(), data
    assert "refused callback" in caplog.text
    await close_now(sim, group)
    reply = await sim.press(WANG, screen, "车棚改造")
    assert any("已经结束" in a for a in reply.alerts())
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == 0


async def test_deadline_closes_after_restart(sim: Simulator, group: Chat, ready: int) -> None:
    rid = await open_round(sim, group, deadline="3天后")
    await order(sim, WANG, rid, "车棚改造")
    await neighbours_order(sim, rid, "车棚改造")
    await sim.restart()
    reply = await sim.advance(timedelta(days=2, hours=1))
    # Reminder: privately to the household without an order (刘大爷), once in the group.
    assert reply.to(LIU.id) and not reply.to(WANG.id) and not reply.to(WANG_SON.id)
    assert len(reply.to(group.id)) == 1 and "302" not in reply.to(group.id)[0].text
    reply = await sim.advance(timedelta(days=1))
    assert (
        await sim.rt.db.fetchval("SELECT status FROM menu_rounds WHERE id = ?", (rid,)) == "closed"
    )
    texts = [c.text for c in reply.to(group.id)]
    assert any("改造点单结果" in t and "车棚改造：3户（100%）" in t for t in texts)
    assert "302" not in "".join(texts)
    photo = sim.api.sent("sendPhoto")[-1]
    assert next(iter(photo.files.values())).startswith(b"\x89PNG\r\n\x1a\n")


async def test_results_export_and_progress(sim: Simulator, group: Chat, ready: int) -> None:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造", "楼梯维修")
    await order(sim, LIU, rid, "车棚改造")
    reply = await sim.press(LIU, (await sim.send(LIU, sim.private(LIU), "/menu")), "提建议")
    reply = await sim.send(LIU, sim.private(LIU), "健身器材少")
    assert "谢谢" in reply.text
    reply = await sim.send(WANG, group, "/menu")
    assert "车棚改造：" not in reply.text  # hidden until close
    await close_now(sim, group)
    reply = await sim.send(STAFF, group, "/menu_export")
    assert "私聊" in reply.text
    docs = [data for c in sim.api.sent("sendDocument", STAFF.id) for data in c.files.values()]
    assert len(docs) == 1  # one workbook, sheets captioned (tests/test_menu_turnout.py)
    book = load_workbook(io.BytesIO(docs[0]))
    results = [list(r) for r in book["点单结果"].iter_rows(values_only=True)]
    assert results[2][:4] == [1, "车棚改造", 2, 100]
    assert results[3][:3] == [2, "楼梯维修", 1]
    assert all(isinstance(r[0], int) for r in results[2:])  # items only: no summary row
    totals = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert (totals["参与户数"], totals["登记户数"], totals["参与率（按登记户数，%）"]) == (
        2,
        2,
        100,
    )
    notes = [list(r) for r in book["意见和建议"].iter_rows(min_row=3, values_only=True)]
    assert notes[0][:4] == ["建议", None, "5", "健身器材少"]
    orders = [list(r) for r in book["点单明细"].iter_rows(min_row=3, values_only=True)]
    assert sorted(r[2] for r in orders) == ["101", "302"]
    # Progress set by staff with buttons, shown to residents.
    reply = await sim.send(STAFF, group, "/menu_progress")
    reply = await sim.press(STAFF, reply, "车棚改造")
    reply = await sim.press(STAFF, reply, "施工中")
    reply = await sim.press(STAFF, reply, "不写说明")
    assert "请核对" in reply.text and not reply.to(group.id)[1:]  # nothing sent before 确认
    reply = await sim.press(STAFF, reply, "确认发布")
    assert "施工中" in str(reply.last_with_buttons().buttons)
    assert "车棚改造：施工中" in (await sim.send(WANG, group, "/progress")).text


async def test_every_staff_command_refused_for_resident(
    sim: Simulator, group: Chat, ready: int
) -> None:
    for command in ("/menu_open", "/menu_close", "/menu_results", "/menu_export", "/menu_progress"):
        reply = await sim.send(WANG, group, command)
        assert "只有社区工作人员" in reply.text, command
    reply = await sim.send(WANG, sim.private(WANG), "/menu_paper 21-4-302")
    assert "只有社区工作人员" in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_rounds") == 0
    # A resident pressing the staff's draft buttons changes nothing.
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_open")
    reply = await sim.press(WANG, reply, "发布", data="1|mo|go|1", chat=sim.private(WANG))
    assert reply.alerts()
    assert await sim.rt.db.fetchval("SELECT status FROM menu_rounds") == "draft"


# ---- pure rules -------------------------------------------------------------------------------
def test_tally_ranking_turnout_and_buildings() -> None:
    items = [rules.Item(1, "A", 1), rules.Item(2, "B", 2), rules.Item(3, "C", 3)]
    orders = [
        rules.OrderRecord(10, "21", frozenset({1, 2})),
        rules.OrderRecord(11, "21", frozenset({1})),
        rules.OrderRecord(12, "5", frozenset({2, 3})),
        rules.OrderRecord(12, "5", frozenset({2})),  # a second member: counted once
    ]
    known = {10: "21", 11: "21", 13: "21", 12: "5", 14: "5", 15: "7"}
    res = rules.tally(items, rules.aggregate(orders, known))
    assert [(i.name, i.rank, i.households) for i in res.items] == [
        ("A", 1, 2),
        ("B", 1, 2),
        ("C", 3, 1),
    ]
    assert res.items[0].share == pytest.approx(2 / 3)
    assert (res.participants, res.registered) == (3, 6)
    assert res.turnout == pytest.approx(0.5)
    by = {b.building: b for b in res.buildings}
    assert [b.building for b in res.buildings] == ["5", "7", "21"]
    assert (by["21"].participants, by["21"].registered, by["21"].counts) == (2, 3, {1: 2, 2: 1})
    assert (by["5"].participants, by["5"].registered, by["5"].counts) == (1, 2, {2: 1, 3: 1})
    assert by["7"].turnout == 0


def test_public_results_cannot_be_subtracted_to_one_household() -> None:
    def res(*sizes: int, extra: int = 0) -> rules.Results:
        buildings = [rules.BuildingResult(str(n + 1), p, p) for n, p in enumerate(sizes)]
        return rules.Results([], sum(sizes) + extra, sum(sizes), buildings)

    assert rules.public_buildings(res(5, 4)) == {"1", "2"}
    # One household hidden in building 2: building 3 (the smallest shown) is hidden with it,
    # so the totals minus the shown buildings cover at least 3 households.
    assert rules.public_buildings(res(6, 1, 3)) == {"1"}
    assert rules.public_buildings(res(3, 1)) == set()  # nothing left to hide it among
    assert rules.public_buildings(res(4, 4, extra=1)) == {"2"}  # a paper order without building
    assert not rules.public_totals(res(1, 1)) and rules.public_totals(res(1, 1, 1))


def test_toggle_and_check() -> None:
    assert rules.toggle([1], 2, 2, [1, 2, 3]) == ([1, 2], None)
    assert rules.toggle([1, 2], 3, 2, [1, 2, 3]) == ([1, 2], rules.PickError.TOO_MANY)
    assert rules.toggle([1, 2], 2, 2, [1, 2, 3]) == ([1], None)
    assert rules.toggle([], 9, 2, [1, 2, 3])[1] is rules.PickError.UNKNOWN_ITEM
    assert rules.check_order([1, 1], 3, [1]) is rules.PickError.UNKNOWN_ITEM
    assert rules.check_order([1, 2, 3], 2, [1, 2, 3]) is rules.PickError.TOO_MANY
    assert rules.can_move("open", rules.Status.CLOSED)
    assert rules.can_move("closed", rules.Status.OPEN)  # reopened by /menu_extend
    assert not rules.can_move("closed", rules.Status.DRAFT)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("下周五晚上8点", "2026-05-22 20:00"),
        ("周五晚上8点", "2026-05-15 20:00"),  # today is Friday, 09:00
        ("明天", "2026-05-16 23:59"),
        ("明天18:00", "2026-05-16 18:00"),
        ("12月5日 晚上8点", "2026-12-05 20:00"),
        ("三天后", "2026-05-18 09:00"),
        ("一周后", "2026-05-22 09:00"),
        ("5月31日", "2026-05-31 23:59"),
        ("下週五晚上8點", "2026-05-22 20:00"),
        ("next friday 8pm", "2026-05-22 20:00"),
    ],
)
async def test_deadline_understands_natural_times(
    sim: Simulator, group: Chat, ready: int, typed: str, expected: str
) -> None:
    rid = await open_round(sim, group, deadline=typed)
    deadline = await sim.rt.db.fetchval("SELECT deadline FROM menu_rounds WHERE id = ?", (rid,))
    local = datetime.fromtimestamp(deadline, UTC).astimezone(TZ)
    assert local.strftime("%Y-%m-%d %H:%M") == expected


async def test_deadline_passed_or_next_year(sim: Simulator, group: Chat, ready: int) -> None:
    pm = sim.private(STAFF)
    reply = await sim.send(STAFF, pm, "/menu_open")
    reply = await sim.press(STAFF, reply, "下一步")
    reply = await sim.press(STAFF, reply, "截止时间")
    reply = await sim.send(STAFF, pm, "5月1日 18:00")
    assert "5月1日 星期五 18:00" in reply.text and "已经过去了" in reply.text
    reply = await sim.send(STAFF, pm, "随便")
    assert "没看懂这个时间" in reply.text
    reply = await sim.send(STAFF, pm, "2027年1月5日")
    assert "请核对" in reply.text and "2027年1月5日 23:59" in reply.text
    reply = await sim.press(STAFF, reply, "发布到群")
    assert "2027年1月5日 23:59" in reply.to(group.id)[-1].text


def test_chart_is_png_with_item_labels() -> None:
    chart = render_ranking("结果", ["整修围墙和大门", "车棚改造"], [3, 1], ["75%", "25%"])
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.labels == ["整修围墙和大门", "车棚改造"]


async def test_simultaneous_orders_never_double_count_or_get_lost(
    sim: Simulator, group: Chat, ready: int
) -> None:
    import asyncio

    rid = await open_round(sim, group)
    neighbours = [Person(300 + i, f"邻居{i}", f"nb{i}") for i in range(12)]
    for i, person in enumerate(neighbours):
        await register(sim, person, f"30-1-{101 + i}", f"邻居{i}")
    # Two members of one household confirm at the same moment, plus twelve neighbours.
    screens = {}
    for person, names in [(WANG, ["车棚改造"]), (WANG_SON, ["楼梯维修"])]:
        reply = await sim.send(person, sim.private(person), f"/start menu-{rid}")
        screens[person.id] = reply.last_with_buttons()
        for name in names:
            await sim.press(person, screens[person.id], name)
    results = await asyncio.gather(
        sim.press(WANG, sim.current(screens[WANG.id]), "确认点单"),
        sim.press(WANG_SON, sim.current(screens[WANG_SON.id]), "确认点单"),
        *(order(sim, p, rid, "小区楼顶防水") for p in neighbours),
    )
    assert all(r.calls for r in results)
    assert (
        await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders WHERE round_id = ?", (rid,))
        == 13
    )
    picks = await picks_of(sim, rid)
    assert picks["h1"] in ({"车棚改造"}, {"楼梯维修"})  # the later one wins, never both
    assert sum(1 for v in picks.values() if v == {"小区楼顶防水"}) == 12


async def test_group_results_hide_small_buildings_and_empty_rounds(
    sim: Simulator, group: Chat, ready: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    reply = await close_now(sim, group)
    posted = "\n".join(c.text for c in sim.api.sent("sendMessage", group.id))
    assert "21号楼：参与1/1户（户数少，不公布明细）" in posted
    assert "21号楼：参与1/1户；" not in posted
    # One household in all: the totals would be its order, so the group gets no counts or chart.
    assert (
        "少于 3 户" in posted and "第1名" not in posted and not sim.api.sent("sendPhoto", group.id)
    )
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_results")
    assert "21号楼：参与1/1户；车棚改造1" in reply.text  # staff see it in private
    # A round nobody ordered in: no ranking, no chart.
    rid = await open_round(sim, group)
    photos = len(sim.api.sent("sendPhoto"))
    reply = await close_now(sim, group)
    assert "本轮没有收到点单" in sim.api.sent("sendMessage", group.id)[-1].text
    assert "第1名" not in sim.api.sent("sendMessage", group.id)[-1].text
    assert len(sim.api.sent("sendPhoto")) == photos
