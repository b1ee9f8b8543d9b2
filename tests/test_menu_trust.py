"""Trust and privacy in the renovation menu (issue #15, and #13's work off the event loop).

Everything goes through the real Application: forged buttons are pressed on messages where
they do not belong, and after each refusal the database must be as it was.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from bot import export
from bot.offline.simulator import Chat, Reply, Simulator
from handlers import menu_delivery, menu_export
from tests.conftest import (
    ADMIN,
    ALICE,
    GRID,
    LIU,
    OTHER_GROUP_ID,
    STAFF,
    STRANGER,
    WANG,
    WANG_SON,
    Person,
    register,
    say_hello,
    setup_community,
)
from tests.test_authorization import snapshot
from tests.test_menu import ZHAO, close_now, neighbours_order, open_round, order, picks_of

OTHER_STAFF = Person(40, "周其它", "zhou_other")
PRIVATE_ONLY = "只能在您和我的私聊里用"


@pytest.fixture
async def home(sim: Simulator, group: Chat) -> int:
    cid = await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, WANG_SON, "21-4-302", "小明")
    await register(sim, LIU, "5-2-101", "刘大爷")
    return cid


def _edits_in(reply: Reply, chat_id: int) -> list[Any]:
    return [c for c in reply.calls if c.method.startswith("edit") and c.chat_id == chat_id]


def _sent_to(reply: Reply, chat_id: int) -> list[Any]:
    return [c for c in reply.calls if c.method.startswith("send") and c.chat_id == chat_id]


# ---- 1. every button is pressed where it belongs ---------------------------------------------
async def test_private_buttons_on_a_group_post_change_nothing(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    post = sim.api.sent("sendMessage", group.id)[-1]
    await order(sim, WANG, rid, "车棚改造")
    hid = int(await sim.rt.db.fetchval("SELECT household_id FROM menu_orders"))
    item = int(await sim.rt.db.fetchval("SELECT min(id) FROM menu_items"))
    before = await snapshot(sim)
    text_before = sim.api.messages[(group.id, post.message_id)].get("text")
    forged = [
        f"1|mn|re|{rid}",  # the 修改点单 button of a private message
        f"1|mn|t|{rid}|{item}",
        f"1|mn|ok|{rid}",
        f"1|mn|cl|{rid}",
        f"1|mn|s|{rid}",
        f"1|mn|c|{rid}|{item}",
        f"1|mn|pt|{rid}|{hid}|{item}",
        f"1|mn|pok|{rid}|{hid}",
        f"1|mn|pv|{rid}|{hid}",
        f"1|mn|pnew|{rid}",
    ]
    for person in (WANG, LIU, GRID, STAFF):
        for data in forged:
            reply = await sim.press(person, post, data=data)
            assert any(PRIVATE_ONLY in a for a in reply.alerts()), (person.first_name, data)
            assert not _edits_in(reply, group.id) and not _sent_to(reply, group.id), data
    assert sim.api.messages[(group.id, post.message_id)].get("text") == text_before
    assert await snapshot(sim) == before


async def test_order_link_typed_in_a_group_shows_no_order(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    reply = await sim.send(WANG, group, f"/start menu-{rid}")
    assert reply.calls and "您家目前的点单" not in reply.text
    buttons = [b for c in reply.calls for row in c.buttons for b in row]
    assert not any("|mn|" in str(b.get("callback_data", "")) for b in buttons)
    # A refusal is in the presser's language.
    await say_hello(sim, ALICE)
    post = sim.api.sent("sendMessage", group.id)[0]
    reply = await sim.press(ALICE, post, data=f"1|mn|re|{rid}")
    assert any("only in your private chat" in a for a in reply.alerts())


async def test_someone_elses_private_screen_is_refused(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    reply = await sim.send(WANG, sim.private(WANG), f"/start menu-{rid}")
    screen = reply.last_with_buttons()
    before = await snapshot(sim)
    for label in ("车棚改造", "确认点单", "议一议"):
        data = sim.find_button(screen, label)["callback_data"]
        reply = await sim.press(LIU, screen, data=data)  # LIU on WANG's private message
        assert any(PRIVATE_ONLY in a for a in reply.alerts()), label
        assert not _edits_in(reply, WANG.id) and not _sent_to(reply, WANG.id)
    assert await snapshot(sim) == before


async def test_suggestion_for_another_communitys_round_is_refused(
    sim: Simulator, group: Chat, home: int
) -> None:
    other_group = sim.group(OTHER_GROUP_ID, "别的社区群")
    await say_hello(sim, OTHER_STAFF, STRANGER)
    await sim.send(ADMIN, other_group, "/setup 另一个社区")
    await sim.send(ADMIN, other_group, f"/grant @{OTHER_STAFF.username} 工作人员")
    theirs = await open_round(sim, other_group, staff=OTHER_STAFF)
    item = int(
        await sim.rt.db.fetchval("SELECT min(id) FROM menu_items WHERE round_id = ?", (theirs,))
    )
    before = await snapshot(sim)
    for person in (LIU, STRANGER, GRID):
        chat = sim.private(person)
        for data in (f"1|mn|s|{theirs}", f"1|mn|c|{theirs}|{item}", f"1|mn|cl|{theirs}"):
            reply = await sim.press(person, None, data=data, chat=chat)
            assert any("只有本社区登记的居民" in a for a in reply.alerts()), data
            await sim.send(person, chat, "健身器材少")
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_comments") == 0
    after = await snapshot(sim)
    assert {k: v for k, v in after.items() if k != "sorting_unknown"} == {
        k: v for k, v in before.items() if k != "sorting_unknown"
    }
    # Their own round is open to them.
    mine = await open_round(sim, group)
    chat = sim.private(LIU)
    await sim.press(LIU, None, data=f"1|mn|s|{mine}", chat=chat)
    assert "谢谢" in (await sim.send(LIU, chat, "健身器材少")).text


async def test_progress_and_opening_buttons_stay_in_their_community(
    sim: Simulator, group: Chat, home: int
) -> None:
    other_group = sim.group(OTHER_GROUP_ID, "别的社区群")
    await sim.send(ADMIN, other_group, "/setup 另一个社区")
    rid = await open_round(sim, group)
    await close_now(sim, group)
    item = int(await sim.rt.db.fetchval("SELECT min(id) FROM menu_items"))
    other_post = await sim.send(ADMIN, other_group, "/menu")
    before = await snapshot(sim)
    for data in (f"1|mn|pi|{rid}|{item}", f"1|mn|pg|{rid}|{item}|done"):
        reply = await sim.press(STAFF, other_post.calls[-1], data=data)
        assert any("属于别的社区" in a for a in reply.alerts()), data
        assert not _edits_in(reply, other_group.id)
    # Staff's draft buttons belong in their own private chat, not in a group.
    draft = await sim.send(STAFF, sim.private(STAFF), "/menu_open")
    draft_id = int(await sim.rt.db.fetchval("SELECT max(id) FROM menu_rounds"))
    reply = await sim.press(STAFF, other_post.calls[-1], data=f"1|mo|go|{draft_id}")
    assert any("只能在您和我的私聊里用" in a for a in reply.alerts())
    reply = await sim.press(STAFF, None, data=f"1|mo|go|{draft_id}", chat=group)
    assert any("只能在您和我的私聊里用" in a for a in reply.alerts())
    assert draft.calls
    assert (
        await sim.rt.db.fetchval("SELECT status FROM menu_rounds WHERE id = ?", (draft_id,))
        == "draft"
    )
    assert before["menu_items"] == [
        row for row in (await snapshot(sim))["menu_items"] if row[1] == rid
    ]  # no progress set


# ---- 2. small buildings stay hidden outside staff's private views ----------------------------
async def test_small_buildings_hidden_from_residents_after_close(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, LIU, rid, "整修围墙和大门")  # the only household of building 5
    await close_now(sim, group)
    hidden = "5号楼：参与1/1户（户数少，不公布明细）"
    for person in (WANG, LIU, GRID, STRANGER):
        text = (await sim.send(person, sim.private(person), "/menu")).text
        assert "整修围墙和大门1" not in text and "5号楼：参与1/1户；" not in text, person
        if person is not STRANGER:
            assert hidden in text, person
    assert hidden in (await sim.send(WANG, group, "/menu")).text
    staff_view = (await sim.send(STAFF, sim.private(STAFF), "/menu")).text
    assert "5号楼：参与1/1户；整修围墙和大门1" in staff_view


# ---- 3. the export never carries a formula -----------------------------------------------
async def test_export_neutralises_formulas(sim: Simulator, group: Chat, home: int) -> None:
    rid = await open_round(sim, group)
    await order(sim, LIU, rid, "车棚改造")
    chat = sim.private(LIU)
    evil = ['=HYPERLINK("http://x","点我")', "+1+1", "-2", "@SUM(A1)", "正常的建议 =1"]
    for text in evil:
        await sim.press(LIU, None, data=f"1|mn|s|{rid}", chat=chat)
        assert "谢谢" in (await sim.send(LIU, chat, text)).text
    await close_now(sim, group)
    await sim.send(STAFF, sim.private(STAFF), "/menu_export")
    docs = [data for c in sim.api.sent("sendDocument", STAFF.id) for data in c.files.values()]
    book = load_workbook(io.BytesIO(docs[0]))
    written = [row[3] for row in book["意见和建议"].iter_rows(min_row=3, values_only=True)]
    assert written == ["'" + t if t[0] in "=+-@" else t for t in evil]
    assert export.safe_cell("\tx") == "'\tx" and export.safe_cell("\rx") == "'\rx"
    assert export.safe_cell(-3) == -3  # numbers stay numbers


# ---- 4. paper orders ---------------------------------------------------------------------------
async def paper_screen(sim: Simulator, who: Person, address: str) -> Reply:
    return await sim.send(who, sim.private(who), f"/menu_paper {address}")


async def test_paper_over_an_online_order_asks_first_and_tells_the_household(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    reply = await paper_screen(sim, GRID, "21-4-302")
    assert "这户已经在网上点单：车棚改造" in reply.text
    screen = reply.last_with_buttons()
    await sim.press(GRID, screen, "楼梯维修")
    before = await snapshot(sim)
    reply = await sim.press(GRID, sim.current(screen), "确认录入")
    question = reply.last_with_buttons()
    assert "已经在网上点单：车棚改造" in question.text and "纸质单：楼梯维修" in question.text
    assert "替换" in question.text
    assert await snapshot(sim) == before  # nothing written before the confirmation
    assert not reply.to(WANG.id) and not reply.to(WANG_SON.id)
    # The son changes the order meanwhile: the old confirmation asks again.
    await order(sim, WANG_SON, rid, "小区楼顶防水")
    reply = await sim.press(GRID, question, "确认录入")
    assert "小区楼顶防水" in reply.last_with_buttons().text
    assert (await picks_of(sim, rid))["h1"] == {"车棚改造", "小区楼顶防水"}
    reply = await sim.press(GRID, reply.last_with_buttons(), "确认录入")
    assert "已录入 21号楼4单元302室" in reply.text and "替换" in reply.text
    assert (await picks_of(sim, rid))["h1"] == {"楼梯维修"}
    for member in (WANG, WANG_SON):
        told = reply.to(member.id)
        assert len(told) == 1 and "李网格替您家录入了一份纸质点单" in told[0].text
        assert "302" not in told[0].text
    row = await sim.rt.db.fetchone("SELECT paper, entered_by FROM menu_orders")
    assert (row["paper"], row["entered_by"]) == (1, GRID.id)


async def test_grid_worker_enters_paper_orders_only_in_their_buildings(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    await register(sim, ZHAO, "31-1-101", "赵奶奶")  # building 31: outside GRID's 1-30
    hid = int(await sim.rt.db.fetchval("SELECT id FROM households WHERE building = '31'"))
    item = int(await sim.rt.db.fetchval("SELECT min(id) FROM menu_items"))
    before = await snapshot(sim)
    reply = await paper_screen(sim, GRID, "31-1-101")
    assert "只能为自己网格里的楼录入纸质点单" in reply.text and not reply.last_with_buttons()
    reply = await paper_screen(sim, GRID, "32-1-101")  # not even asked to create it
    assert "只能为自己网格里的楼录入纸质点单" in reply.text
    chat = sim.private(GRID)
    for data in (f"1|mn|pt|{rid}|{hid}|{item}", f"1|mn|pok|{rid}|{hid}", f"1|mn|pv|{rid}|{hid}"):
        reply = await sim.press(GRID, None, data=data, chat=chat)
        assert any("只能为自己网格里的楼" in a for a in reply.alerts()), data
    assert await snapshot(sim) == before
    # Staff may enter any building of their community.
    reply = await paper_screen(sim, STAFF, "31-1-101")
    screen = reply.last_with_buttons()
    await sim.press(STAFF, screen, "车棚改造")
    reply = await sim.press(STAFF, sim.current(screen), "确认录入")
    assert "已录入 31号楼1单元101室" in reply.text
    assert "替您家录入" in reply.to(ZHAO.id)[0].text


async def test_paper_only_household_took_part_but_is_not_registered(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    reply = await paper_screen(sim, GRID, "3-1-101")
    assert "还没有人登记过" in reply.text
    reply = await sim.press(GRID, reply, "新建这一户")
    screen = reply.last_with_buttons()
    await sim.press(GRID, screen, "车棚改造")
    reply = await sim.press(GRID, sim.current(screen), "确认录入")
    assert "已录入 3号楼1单元101室" in reply.text and "告诉" not in reply.text
    # Editing it again needs no new confirmation: it is a household of this round now.
    assert "还没有人登记过" not in (await paper_screen(sim, GRID, "3-1-101")).text
    await close_now(sim, group)
    posted = sim.api.sent("sendMessage", group.id)[-1].text
    assert "参与 2 户（其中纸质点单 1 户），登记 2 户，参与率 50%" in posted
    assert "其中 1 户没有登记" in posted
    docs = [data for c in sim.api.sent("sendDocument", STAFF.id) for data in c.files.values()]
    assert not docs
    await sim.send(STAFF, sim.private(STAFF), "/menu_export")
    docs = [data for c in sim.api.sent("sendDocument", STAFF.id) for data in c.files.values()]
    book = load_workbook(io.BytesIO(docs[0]))
    totals = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert (totals["参与户数"], totals["登记户数"], totals["参与率（按登记户数，%）"]) == (2, 2, 50)
    assert totals["其中纸质点单户数"] == 1


# ---- 5. one person counts once per round ---------------------------------------------------------
async def test_one_person_orders_for_one_household_per_round(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, LIU, rid, "车棚改造")
    moves = [("6-1-101", "楼梯维修"), ("7-1-101", "小区楼顶防水"), ("8-1-101", "改造消防通道")]
    for address, item in moves:  # re-registers, tries again each time
        await register(sim, LIU, address, "刘大爷")
        before = await snapshot(sim)
        reply = await sim.send(LIU, sim.private(LIU), "/menu")
        assert "已经为另一户确认过点单" in reply.text
        reply = await order(sim, LIU, rid, item)
        alert = " ".join(reply.alerts())
        assert "已经为另一户确认过点单" in alert and "101" not in alert
        assert "点单成功" not in reply.text
        assert await snapshot(sim) == before
    await order(sim, WANG, rid, "车棚改造")
    await close_now(sim, group)
    posted = sim.api.sent("sendMessage", group.id)[-1].text
    # LIU's first household and WANG's: two households from two people.
    assert "参与 2 户" in posted and "第1名" not in posted  # too few for counts in a group
    assert (
        "第1名 车棚改造：2户" in (await sim.send(STAFF, sim.private(STAFF), "/menu_results")).text
    )


async def test_other_members_are_told_when_the_household_order_changes(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group)
    reply = await order(sim, WANG, rid, "车棚改造")
    told = reply.to(WANG_SON.id)
    assert len(told) == 1 and "王阿姨已经为您家点了改造点单" in told[0].text
    assert not reply.to(WANG.id)[1:] and not reply.to(LIU.id)
    reply = await order(sim, WANG_SON, rid, "楼梯维修")
    told = reply.to(WANG.id)
    assert len(told) == 1 and "小明修改了您家的改造点单" in told[0].text
    assert "302" not in told[0].text and "21" not in told[0].text
    # The same picks again (a double tap) tell nobody.
    reply = await sim.press(WANG_SON, None, data=f"1|mn|ok|{rid}", chat=sim.private(WANG_SON))
    assert not reply.to(WANG.id)


# ---- 6. CPU work runs off the event loop ---------------------------------------------------------
async def test_chart_and_export_are_built_in_a_worker_thread(
    sim: Simulator, group: Chat, home: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, int] = {}

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            threads[name] = threading.get_ident()
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(menu_delivery, "render_ranking", spy("chart", menu_delivery.render_ranking))
    monkeypatch.setattr(menu_export.export, "workbook", spy("xlsx", menu_export.export.workbook))
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    await neighbours_order(sim, rid, "车棚改造")
    await close_now(sim, group)
    photo = sim.api.sent("sendPhoto", group.id)[-1]
    assert next(iter(photo.files.values())).startswith(b"\x89PNG\r\n\x1a\n")
    await sim.send(STAFF, sim.private(STAFF), "/menu_export")
    assert len(sim.api.sent("sendDocument", STAFF.id)) == 1
    assert set(threads) == {"chart", "xlsx"}
    assert loop_thread not in threads.values()


async def test_per_person_round_paper_joins_online_orders(
    sim: Simulator, group: Chat, home: int
) -> None:
    rid = await open_round(sim, group, per_person=True)
    reply = await order(sim, WANG, rid, "车棚改造")
    assert not reply.to(WANG_SON.id)  # each person orders for themself: nobody to tell
    reply = await paper_screen(sim, GRID, "21-4-302")
    screen = reply.last_with_buttons()
    await sim.press(GRID, screen, "楼梯维修")
    reply = await sim.press(GRID, sim.current(screen), "确认录入")
    question = reply.last_with_buttons()
    assert "已经有居民在网上点单：车棚改造" in question.text and "一起计入" in question.text
    reply = await sim.press(GRID, question, "确认录入")
    assert "已录入" in reply.text and "替换" not in reply.text
    assert await picks_of(sim, rid) == {"u101": {"车棚改造"}, "p1": {"楼梯维修"}}
    assert "李网格替您家录入了一份纸质点单。" in reply.to(WANG.id)[0].text
    await close_now(sim, group)
    posted = sim.api.sent("sendMessage", group.id)[-1].text
    assert "参与 1 户，登记 2 户" in posted  # one household, whatever the number of orders
