"""The staff's side of a menu round (#18) through the real Application and the fake Bot API:
drafting in private and posting to the group, bulk paste, K within the items, confirming an
early close, extending and reopening, the publication setting, progress notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import menu as rules
from bot.offline.simulator import Chat, Reply, Simulator
from tests.conftest import (
    ADMIN,
    CHEN,
    LIU,
    OTHER_GROUP_ID,
    STAFF,
    WANG,
    WANG_SON,
    assert_no_personal_data_in_groups,
    register,
    setup_community,
)
from tests.test_menu import close_now, neighbours_order, open_round, order

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def ready(sim: Simulator, group: Chat) -> int:
    cid = await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, WANG_SON, "21-4-302", "小明")
    await register(sim, LIU, "5-2-101", "刘大爷")
    return cid


async def _round(sim: Simulator) -> dict:
    row = await sim.rt.db.fetchone("SELECT * FROM menu_rounds ORDER BY id DESC LIMIT 1")
    assert row is not None
    return dict(row)


def _local(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(TZ).strftime("%Y-%m-%d %H:%M")


# ---- 1. the draft is made in private and survives --------------------------------------------
async def test_draft_in_private_survives_timeout_and_restart(
    sim: Simulator, group: Chat, ready: int
) -> None:
    in_group = len(sim.api.sent(chat_id=group.id))
    pm = sim.private(STAFF)
    reply = await sim.send(STAFF, pm, "/menu_open")
    assert "居民还看不到" in reply.text
    reply = await sim.press(STAFF, reply, "下一步")
    reply = await sim.press(STAFF, reply, data=sim.find_button(reply, "2")["callback_data"])
    reply = await sim.press(STAFF, reply, "随时公布")
    reply = await sim.press(STAFF, reply, "截止时间")
    reply = await sim.send(STAFF, pm, "5月31日 18:00")
    assert "请核对" in reply.text and "最多选 2 项" in reply.text
    # Left for an hour: the form times out, the draft and its settings stay.
    reply = await sim.advance(timedelta(hours=1))
    assert any("草稿已经保存" in c.text for c in reply.to(pm.id))
    await sim.restart()
    rnd = await _round(sim)
    assert rnd["status"] == "draft" and rnd["max_picks"] == 2 and rnd["live"] == 1
    assert _local(rnd["deadline"]) == "2026-05-31 18:00"
    reply = await sim.send(STAFF, pm, "/menu_open")
    assert "继续上次保存的草稿" in reply.text
    reply = await sim.press(STAFF, reply, "下一步")
    assert "现在是 2 项" in reply.text
    assert len(sim.api.sent(chat_id=group.id)) == in_group  # the group saw nothing of it
    reply = await sim.press(STAFF, reply, "截止时间")
    reply = await sim.send(STAFF, pm, "5月31日 18:00")
    reply = await sim.press(STAFF, reply, "发布到群")
    post = reply.to(group.id)[-1]
    assert "最多选 2 项" in post.text and "5月31日 18:00" in post.text
    assert (await _round(sim))["status"] == "open"


async def test_staff_of_several_communities_choose_one(
    sim: Simulator, group: Chat, ready: int
) -> None:
    other = sim.group(OTHER_GROUP_ID, "别的社区群")
    await sim.send(ADMIN, other, "/setup 另一个社区")
    pm = sim.private(ADMIN)
    reply = await sim.send(ADMIN, pm, "/menu_open")
    assert "为哪个社区" in reply.text
    reply = await sim.press(ADMIN, reply, "另一个社区")
    assert "居民还看不到" in reply.text
    other_id = await sim.rt.db.fetchval("SELECT id FROM communities WHERE name = '另一个社区'")
    assert (await _round(sim))["community_id"] == other_id
    # A staff member of one community cannot pick the other one with forged data.
    reply = await sim.press(STAFF, None, data=f"1|mo|cm|{other_id}", chat=sim.private(STAFF))
    assert reply.alerts()
    reply = await sim.send(STAFF, sim.private(STAFF), f"/start menuopen-{other_id}")
    assert "只有社区工作人员" in reply.text


# ---- 2. bulk paste, 3. K within the items ----------------------------------------------------
async def test_bulk_paste_duplicates_limit_and_k(sim: Simulator, group: Chat, ready: int) -> None:
    pm = sim.private(STAFF)
    reply = await sim.send(STAFF, pm, "/menu_open")
    reply = await sim.press(STAFF, reply, "添加")
    reply = await sim.send(STAFF, pm, "加装电梯、充电桩、增设停车位、车棚改造")
    assert "已添加 3 项：加装电梯、充电桩、增设停车位" in reply.text
    assert "重复的没有再加：车棚改造" in reply.text
    reply = await sim.press(STAFF, reply, "添加")
    reply = await sim.send(
        STAFF, pm, "1. 增设健身器材 2. 加装电梯\n3、" + "长" * 40 + "\n4. 楼道灯"
    )
    assert "已添加 2 项：增设健身器材、楼道灯" in reply.text
    assert "重复的没有再加：加装电梯" in reply.text and "名称太长" in reply.text
    reply = await sim.press(STAFF, reply, "添加")
    reply = await sim.send(STAFF, pm, "，".join(f"项目{n}" for n in range(10)))
    assert "已添加 4 项" in reply.text and "菜单最多 20 项，这些没有添加：项目4" in reply.text
    rid = int((await _round(sim))["id"])
    assert (
        await sim.rt.db.fetchval(
            "SELECT count(*) FROM menu_items WHERE round_id = ? AND removed = 0", (rid,)
        )
        == rules.MAX_ITEMS
    )
    # Down to two items: K offers 1 and 2 only, and a K of 3 saved before is cut to 2.
    keep = {"加装电梯", "充电桩"}
    for row in await sim.rt.db.fetchall(
        "SELECT id, name FROM menu_items WHERE round_id = ?", (rid,)
    ):
        if row["name"] not in keep:
            await sim.rt.db.execute("UPDATE menu_items SET removed = 1 WHERE id = ?", (row["id"],))
    reply = await sim.send(STAFF, pm, "/menu_open")
    reply = await sim.press(STAFF, reply, "下一步")
    labels = [b["text"] for row in reply.last_with_buttons().buttons for b in row]
    assert "3" not in labels and "● 2" in labels and "最多能选 2 项" in reply.text
    # A forged K of 3, or no items at all: nothing opens.
    reply = await sim.press(STAFF, reply, data=f"1|mo|k|{rid}|3")
    assert (await _round(sim))["max_picks"] == 2
    await sim.rt.db.execute("UPDATE menu_items SET removed = 1 WHERE round_id = ?", (rid,))
    reply = await sim.press(STAFF, reply, "截止时间")
    reply = await sim.press(STAFF, reply, "不设截止")
    reply = await sim.press(STAFF, reply, "发布到群")
    assert "菜单还是空的" in reply.text and not reply.to(group.id)
    assert (await _round(sim))["status"] == "draft"


# ---- 4. /menu_close asks first -----------------------------------------------------------------
async def test_close_before_deadline_asks_with_count(
    sim: Simulator, group: Chat, ready: int
) -> None:
    rid = await open_round(sim, group, deadline="3天后")
    await order(sim, WANG, rid, "车棚改造")
    await order(sim, LIU, rid, "楼梯维修")
    question = await sim.send(STAFF, group, "/menu_close")
    assert "提前结束" in question.text and "已有 2 户点单" in question.text
    reply = await sim.press(WANG, question, "现在结束")  # a resident: refused
    assert reply.alerts() and (await _round(sim))["status"] == "open"
    reply = await sim.press(STAFF, question, "先不结束")
    assert "继续进行" in reply.text and (await _round(sim))["status"] == "open"
    reply = await close_now(sim, sim.private(STAFF))
    assert (await _round(sim))["status"] == "closed"
    assert any("改造点单结果" in c.text for c in reply.to(group.id))
    # A button of this round pressed in another community's group changes nothing.
    other = sim.group(OTHER_GROUP_ID, "别的社区群")
    await sim.send(ADMIN, other, "/setup 另一个社区")
    reply = await sim.press(STAFF, None, data=f"1|mn|cx|{rid}", chat=other)
    assert any("属于别的社区" in a for a in reply.alerts())


# ---- 5. extend and reopen ----------------------------------------------------------------------
async def test_extend_moves_the_close_job_and_tells_the_group(
    sim: Simulator, group: Chat, ready: int
) -> None:
    rid = await open_round(sim, group, deadline="5月20日 20:00")
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_extend 再延长三天")
    assert "已延长到 5月23日 20:00" in reply.text
    assert any("延长到 5月23日 20:00 截止" in c.text for c in reply.to(group.id))
    rnd = await _round(sim)
    assert _local(rnd["deadline"]) == "2026-05-23 20:00"
    job = await sim.rt.db.fetchone(
        "SELECT * FROM jobs WHERE key = ? AND status = 'pending'", (f"menu_close:{rid}",)
    )
    assert job is not None
    reply = await sim.send(STAFF, group, "/menu_extend 5月21日")  # earlier: refused
    assert "要晚于现在的截止时间" in reply.text
    await sim.restart()  # the moved job is durable
    await sim.advance(timedelta(days=5, hours=20))  # past 5月20日 20:00: still open
    assert (await _round(sim))["status"] == "open"
    reply = await sim.advance(timedelta(days=4))
    assert (await _round(sim))["status"] == "closed"
    assert any("改造点单结果" in c.text for c in reply.to(group.id))


async def test_reopen_a_closed_round_posts_results_again(
    sim: Simulator, group: Chat, ready: int
) -> None:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    await close_now(sim, group)
    reply = await sim.send(WANG, group, "/menu_extend 再延长三天")
    assert "只有社区工作人员" in reply.text
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_extend 延长到3天后")
    assert "已重新开放" in reply.text
    assert any("重新开放" in c.text for c in reply.to(group.id))
    assert (await _round(sim))["status"] == "open"
    reply = await order(sim, LIU, rid, "楼梯维修")
    assert "点单成功" in reply.text
    reply = await sim.advance(timedelta(days=3, minutes=1))
    results = [c.text for c in reply.to(group.id) if "改造点单结果" in c.text]
    assert results and "参与 2 户" in results[-1]


# ---- 6. 截止后公布 holds everywhere -------------------------------------------------------------
async def test_tally_hidden_in_group_until_close(sim: Simulator, group: Chat, ready: int) -> None:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    reply = await sim.send(STAFF, group, "/menu_results")
    assert "截止后公布" in reply.text and "车棚改造" not in reply.text
    assert "车棚改造：1" not in (await sim.send(WANG, group, "/menu")).text
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_results")
    assert "未公布" in reply.text and "车棚改造" in reply.text
    await close_now(sim, group)
    reply = await sim.send(STAFF, group, "/menu_results")
    assert "少于 3 户" in reply.text and "未公布" not in reply.text


async def test_live_round_shows_tally_in_group(sim: Simulator, group: Chat, ready: int) -> None:
    rid = await open_round(sim, group, live=True)
    await order(sim, WANG, rid, "车棚改造")
    reply = await sim.send(STAFF, group, "/menu_results")
    assert "实时统计" in reply.text and "少于 3 户" in reply.text and "车棚改造：" not in reply.text
    assert "还有 1 户的点单稍后计入" in reply.text
    await neighbours_order(sim, rid, "车棚改造")
    reply = await sim.send(STAFF, group, "/menu_results")
    assert (
        "实时统计" in reply.text and "车棚改造：3户" in reply.text and "稍后计入" not in reply.text
    )
    # A fourth household: the group's tally waits for two more, so nobody can compare two
    # tallies and read one household's order off the difference.
    await order(sim, LIU, rid, "楼梯维修")
    for person, command in ((STAFF, "/menu_results"), (WANG, "/menu")):
        text = (await sim.send(person, group, command)).text
        assert "楼梯维修：1户" not in text and "还有 1 户的点单稍后计入" in text, text
    staff_view = (await sim.send(STAFF, sim.private(STAFF), "/menu_results")).text
    assert "楼梯维修：1户" in staff_view  # staff in private see every order at once


# ---- 7. progress with a note, 暂不实施, told to the households that ordered ------------------------
async def _closed_with_orders(sim: Simulator, group: Chat) -> int:
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    await order(sim, LIU, rid, "楼梯维修")
    await close_now(sim, group)
    return rid


async def _set(sim: Simulator, group: Chat, chat: Chat, item: str, state: str) -> Reply:
    reply = await sim.send(STAFF, chat, "/menu_progress")
    reply = await sim.press(STAFF, reply, item)
    return await sim.press(STAFF, reply, state)


async def test_progress_note_announced_to_group_and_households(
    sim: Simulator, group: Chat, ready: int
) -> None:
    await _closed_with_orders(sim, group)
    pm = sim.private(STAFF)
    reply = await _set(sim, group, pm, "车棚改造", "施工中")
    assert "请写一句说明" in reply.text
    reply = await sim.send(STAFF, pm, "预计12月完工")
    # A preview first: the news exactly as the group will read it, nothing sent yet.
    assert (
        "请核对" in reply.text and "车棚改造：施工中" in reply.text and "预计12月完工" in reply.text
    )
    assert "2 位住户" in reply.text and not reply.to(group.id)
    reply = await sim.press(STAFF, reply, "确认发布")
    assert "已保存" in reply.text
    group_news = [c.text for c in reply.to(group.id)]
    assert any("车棚改造：施工中" in t and "说明：预计12月完工" in t for t in group_news)
    assert all("王" not in t and "302" not in t for t in group_news)  # never who ordered
    for person in (WANG, WANG_SON):  # the household that ordered it
        texts = [c.text for c in reply.to(person.id)]
        assert any("您家点过的改造项目" in t and "车棚改造" in t for t in texts), person
    assert not reply.to(LIU.id)  # ordered something else
    shown = (await sim.send(LIU, group, "/progress")).text
    assert "车棚改造：施工中" in shown and "预计12月完工" in shown
    assert "户点单" not in shown  # two households: counts would tell who chose what
    # Picking the item again shows where it stands, marked on its button.
    reply = await sim.send(STAFF, pm, "/menu_progress")
    reply = await sim.press(STAFF, reply, "车棚改造")
    assert "施工中。要改成" in reply.text
    marked = [
        b["text"] for row in reply.last_with_buttons().buttons for b in row if "● " in b["text"]
    ]
    assert len(marked) == 1 and "施工中" in marked[0]
    await assert_no_personal_data_in_groups(sim)


async def test_paused_needs_a_reason(sim: Simulator, group: Chat, ready: int) -> None:
    await _closed_with_orders(sim, group)
    reply = await _set(sim, group, group, "楼梯维修", "暂不实施")
    assert "请写一句原因" in reply.text and not reply.last_with_buttons()
    rid = int((await _round(sim))["id"])
    item = await sim.rt.db.fetchval("SELECT id FROM menu_items WHERE name = '楼梯维修'")
    reply = await sim.press(STAFF, None, data=f"1|mn|pn|{rid}|{item}", chat=group)
    assert any("需要写一句原因" in a for a in reply.alerts())
    reply = await sim.send(STAFF, group, "资金没到")
    assert "请核对" in reply.text and "原因：资金没到" in reply.text
    # A new sentence under the preview replaces the reason; nothing went out meanwhile.
    reply = await sim.send(STAFF, group, "资金未落实，明年再议")
    assert "原因：资金未落实，明年再议" in reply.text
    first = sim.api.sent("sendMessage", group.id)[-2]  # the first preview: a stale button now
    reply = await sim.press(STAFF, reply, "确认发布")
    assert any(
        "楼梯维修：暂不实施" in c.text and "原因：资金未落实" in c.text for c in reply.to(group.id)
    )
    assert any("楼梯维修" in c.text for c in reply.to(LIU.id))
    assert "⏸ 楼梯维修：暂不实施" in (await sim.send(WANG, group, "/progress")).text
    assert not any("资金没到" in c.text for c in sim.api.sent("sendMessage", LIU.id))
    reply = await sim.press(STAFF, first, "确认发布")  # the form is over: published once only
    assert not reply.to(group.id) and not reply.to(LIU.id)
    assert (
        await sim.rt.db.fetchval("SELECT state FROM menu_progress_notes ORDER BY id DESC LIMIT 1")
        == "paused"
    )


async def test_a_notice_started_meanwhile_ends_the_open_progress_note(
    sim: Simulator, group: Chat, ready: int
) -> None:
    """The reason asked for 暂不实施 was never written; staff went on to /remind. Her notice
    text must not become the reason announced to the group."""
    await _closed_with_orders(sim, group)
    pm = sim.private(STAFF)
    reply = await _set(sim, group, pm, "楼梯维修", "暂不实施")
    assert "请写一句原因" in reply.text
    reply = await sim.send(STAFF, pm, "/remind")
    assert "进度说明没有写完" in reply.text
    reply = await sim.press(STAFF, reply, "锡林社区居民群")
    reply = await sim.press(STAFF, reply, "普通通知")
    reply = await sim.send(STAFF, pm, "本周六上午9点小区大扫除")
    assert "楼梯维修" not in reply.text and "请核对，居民群里会看到" not in reply.text
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_progress_notes") == 0


async def test_resident_cannot_set_progress(sim: Simulator, group: Chat, ready: int) -> None:
    rid = await _closed_with_orders(sim, group)
    item = await sim.rt.db.fetchval("SELECT id FROM menu_items WHERE name = '车棚改造'")
    for data in (f"1|mn|pi|{rid}|{item}", f"1|mn|pg|{rid}|{item}|paused"):
        reply = await sim.press(WANG, None, data=data, chat=sim.private(WANG))
        assert reply.alerts(), data
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_progress_notes") == 0


async def test_extend_buttons_on_the_staff_results_view(
    sim: Simulator, group: Chat, ready: int
) -> None:
    rid = await open_round(sim, group, deadline="5月20日 20:00")
    view = await sim.send(STAFF, sim.private(STAFF), "/menu_results")
    data = sim.find_button(view, "延长3天")["callback_data"]
    reply = await sim.press(WANG, None, data=data, chat=sim.private(WANG))  # not staff: refused
    assert reply.alerts() and _local((await _round(sim))["deadline"]) == "2026-05-20 20:00"
    reply = await sim.press(STAFF, view, "延长3天")
    assert "已延长到 5月23日 20:00" in reply.text
    assert any("延长到 5月23日 20:00 截止" in c.text for c in reply.to(group.id))
    await close_now(sim, group)
    view = await sim.send(STAFF, sim.private(STAFF), "/menu_results")
    reply = await sim.press(STAFF, view, "重新开放3天")
    assert "已重新开放" in reply.text and (await _round(sim))["status"] == "open"
    assert rid == (await _round(sim))["id"]


async def test_staff_typed_items_read_in_traditional(
    sim: Simulator, group: Chat, ready: int
) -> None:
    """A name staff typed in Simplified is data, not a catalogue message: a zh_Hant resident
    still reads it in Traditional, on the ballot and on the confirmation."""
    pm = sim.private(STAFF)
    reply = await sim.send(STAFF, pm, "/menu_open")
    reply = await sim.press(STAFF, reply, "添加")
    reply = await sim.send(STAFF, pm, "楼道灯、单元门禁")
    assert "已添加 2 项：楼道灯、单元门禁" in reply.text  # staff read what they typed
    rid = await open_round(sim, group)
    await register(sim, CHEN, "3号楼1单元101")
    reply = await sim.send(CHEN, sim.private(CHEN), f"/start menu-{rid}")
    labels = [b["text"] for row in reply.last_with_buttons().buttons for b in row]
    assert any("樓道燈" in label for label in labels), labels
    assert any("單元門禁" in label for label in labels), labels
    assert not any("楼道灯" in label for label in labels)
    reply = await sim.press(CHEN, reply.last_with_buttons(), "樓道燈")
    reply = await sim.press(CHEN, sim.current(reply.last_with_buttons()), "確認點單")
    assert "樓道燈" in reply.text and "楼道灯" not in reply.text
    # The progress news he gets privately names it in Traditional too.
    await close_now(sim, pm)
    reply = await _set(sim, group, pm, "楼道灯", "施工中")
    reply = await sim.press(STAFF, await sim.send(STAFF, pm, "本周更换"), "确认发布")
    news = [c.text for c in reply.to(CHEN.id)]
    assert news and "樓道燈" in news[0] and "楼道灯" not in news[0], news


async def test_next_round_starts_with_what_is_not_being_done(
    sim: Simulator, group: Chat, ready: int
) -> None:
    """After a round, /menu_open offers its items again except those planned, being built or
    done (named to staff), in the same order; not the default list again."""
    from storage import menu as mstore

    rid = await open_round(sim, group)
    await close_now(sim, sim.private(STAFF))
    items = {r["name"]: r["id"] for r in await mstore.items(sim.rt.db, rid)}
    now = sim.clock.now().timestamp()
    async with sim.rt.db.transaction() as tx:
        for name, state in (("整修围墙和大门", "done"), ("改造消防通道", "planned")):
            await mstore.set_progress(tx, rid, items[name], state, note="", at=now, by=STAFF.id)
        await mstore.set_progress(
            tx, rid, items["车棚改造"], "paused", note="资金不够", at=now, by=STAFF.id
        )
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_open")
    assert f"沿用第 {rid} 轮" in reply.text
    assert "已经计划、在施工或完成的没有放进来：整修围墙和大门、改造消防通道" in reply.text
    draft = await _round(sim)
    names = [r["name"] for r in await mstore.items(sim.rt.db, draft["id"])]
    expected = [n for n in rules.DEFAULT_ITEMS if n not in ("整修围墙和大门", "改造消防通道")]
    assert names == expected  # 暂不实施 (车棚改造) is asked again, and staff are told so
    assert "上一轮定为暂不实施、又放进来的：车棚改造" in reply.text


def test_next_menu_rules() -> None:
    assert rules.next_menu([]) == (list(rules.DEFAULT_ITEMS), [])
    assert rules.next_menu([("加装电梯", "none"), ("楼道灯", "done")]) == (["加装电梯"], ["楼道灯"])
    # Everything underway: the defaults that are not.
    carried, underway = rules.next_menu([("车棚改造", "building")])
    assert "车棚改造" not in carried and len(carried) == len(rules.DEFAULT_ITEMS) - 1
    assert underway == ["车棚改造"]


async def test_households_of_an_earlier_round_hear_of_the_carried_items_progress(
    sim: Simulator, group: Chat, ready: int
) -> None:
    """车棚改造 was ordered in round 1 (王家) and, carried over, in round 2 (刘): when it is
    built, both households hear it, once each."""
    await _closed_with_orders(sim, group)  # 王家 车棚改造, 刘 楼梯维修
    rid2 = await open_round(sim, group)
    await order(sim, LIU, rid2, "车棚改造")
    await close_now(sim, group)
    pm = sim.private(STAFF)
    reply = await _set(sim, group, pm, "车棚改造", "施工中")
    reply = await sim.send(STAFF, pm, "下月开工")
    assert "3 位住户" in reply.text  # 王阿姨, 小明 (round 1) and 刘大爷 (round 2)
    reply = await sim.press(STAFF, reply, "确认发布")
    for person in (WANG, WANG_SON, LIU):
        texts = [c.text for c in reply.to(person.id) if "您家点过的改造项目" in c.text]
        assert len(texts) == 1 and "车棚改造" in texts[0], person


async def test_progress_lives_on_across_rounds(sim: Simulator, group: Chat, ready: int) -> None:
    """Progress follows an item's name through the community's rounds: a later round closing
    neither resets an item carried over (暂不实施 keeps its reason) nor hides one left out
    because it is being built, and staff can still move that one on to 已完成."""
    await _closed_with_orders(sim, group)  # 王家 车棚改造, 刘 楼梯维修
    pm = sim.private(STAFF)
    reply = await _set(sim, group, pm, "车棚改造", "施工中")
    reply = await sim.press(STAFF, await sim.send(STAFF, pm, "下月完工"), "确认发布")
    reply = await _set(sim, group, pm, "楼梯维修", "暂不实施")
    reply = await sim.press(STAFF, await sim.send(STAFF, pm, "资金未落实"), "确认发布")
    rid2 = await open_round(sim, group)  # without 车棚改造 (being built), with 楼梯维修
    await order(sim, LIU, rid2, "楼梯维修")
    await close_now(sim, group)
    shown = (await sim.send(WANG, sim.private(WANG), "/progress")).text
    assert "⏸ 楼梯维修：暂不实施" in shown and "原因：资金未落实" in shown
    assert "以前各轮点过的项目" in shown and "🚧 车棚改造：施工中" in shown
    reply = await sim.send(STAFF, pm, "/menu_progress")
    labels = [b["text"] for row in reply.last_with_buttons().buttons for b in row]
    assert any("车棚改造 · 施工中" in label for label in labels)
    reply = await _set(sim, group, pm, "车棚改造", "已完成")
    reply = await sim.press(STAFF, await sim.send(STAFF, pm, "已验收"), "确认发布")
    assert any("车棚改造" in c.text for c in reply.to(WANG.id))  # ordered it in round 1
    shown = (await sim.send(WANG, sim.private(WANG), "/progress")).text
    assert "✅ 车棚改造：已完成" in shown
    # A third round leaves out what is done and keeps what is still 暂不实施.
    from storage import menu as mstore

    reply = await sim.send(STAFF, pm, "/menu_open")
    assert "上一轮定为暂不实施、又放进来的：楼梯维修" in reply.text
    names = [r["name"] for r in await mstore.items(sim.rt.db, int((await _round(sim))["id"]))]
    assert "楼梯维修" in names and "车棚改造" not in names


async def test_a_name_typed_again_is_a_new_item(sim: Simulator, group: Chat, ready: int) -> None:
    """Progress goes with the item carried over, not with its name: staff asking again for
    something already done (a second 整修围墙和大门) start it afresh, 未安排."""
    from storage import menu as mstore

    rid = await open_round(sim, group)
    await close_now(sim, sim.private(STAFF))
    items = {r["name"]: r["id"] for r in await mstore.items(sim.rt.db, rid)}
    now = sim.clock.now().timestamp()
    async with sim.rt.db.transaction() as tx:
        await mstore.set_progress(
            tx, rid, items["整修围墙和大门"], "done", note="", at=now, by=STAFF.id
        )
    pm = sim.private(STAFF)
    reply = await sim.send(STAFF, pm, "/menu_open")
    reply = await sim.press(STAFF, reply, "添加")
    reply = await sim.send(STAFF, pm, "整修围墙和大门")
    assert "已添加 1 项" in reply.text
    draft = await _round(sim)
    again = [r for r in await mstore.items(sim.rt.db, draft["id"]) if r["name"] == "整修围墙和大门"]
    assert len(again) == 1 and again[0]["progress"] == "none"
    carried = [r for r in await mstore.items(sim.rt.db, draft["id"]) if r["name"] == "车棚改造"]
    assert carried[0]["origin_id"] == items["车棚改造"]  # the same item, its history goes on
