"""The menu at its documented maximums, when Telegram fails, and with stale screens.

Through the real Application and the fake Bot API: what the bot actually sent, and the
database. Long posts arrive whole in parts; a group post that fails is retried (only when it
provably did not leave) or told to staff, never marked posted; an old screen's 确认 saves
nothing it did not show.
"""

from __future__ import annotations

from datetime import timedelta

from bot import menu as rules
from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Reply, Simulator
from bot.workflows import menu as wf
from bot.workflows import menu_posts as pwf
from storage import community as cstore
from storage import menu as store
from tests.conftest import GRID, STAFF, WANG, register, setup_community
from tests.test_menu import close_now, neighbours_order, open_round, order

LIMIT = 4096
NAMES = [f"第{n:02d}项" + "改" * (rules.MAX_NAME - 4) for n in range(1, rules.MAX_ITEMS + 1)]


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def texts_to(calls: list[ApiCall], chat_id: int) -> list[ApiCall]:
    return [c for c in calls if c.method == "sendMessage" and c.chat_id == chat_id]


def assert_parts(parts: list[ApiCall], *, buttons_on_last: bool) -> str:
    """Every part fits, nothing is cut, and only the last one carries the buttons."""
    assert len(parts) > 1
    for part in parts:
        assert 0 < units(part.text) <= LIMIT
        assert "…" not in part.text
    assert all(not p.buttons for p in parts[:-1])
    assert bool(parts[-1].buttons) is buttons_on_last
    return "\n".join(p.text for p in parts)


async def full_menu(sim: Simulator, group: Chat) -> tuple[int, Reply]:
    """/menu_open with the documented maximum: 20 items, 30-character names, 200-character
    descriptions (the 21st is refused); returns the draft's round and its screen."""
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_open")
    rid = int(await sim.rt.db.fetchval("SELECT id FROM menu_rounds WHERE status = 'draft'"))
    for item in await store.items(sim.rt.db, rid):
        assert await wf.edit_item(sim.rt, rid, wf.ItemEdit.REMOVE, item_id=item["id"])
    for n, name in enumerate(NAMES):
        assert await wf.edit_item(sim.rt, rid, wf.ItemEdit.ADD, value=name)
        item_id = int(await sim.rt.db.fetchval("SELECT max(id) FROM menu_items"))
        text = f"{n:02d}说明" + "明" * (rules.MAX_DESCRIPTION - 5) + "完"
        assert await wf.edit_item(sim.rt, rid, wf.ItemEdit.DESCRIBE, item_id=item_id, value=text)
    # The 21st item: refused at the button, and by the workflow.
    reply = await sim.press(STAFF, reply, "添加")
    assert "菜单最多 20 项" in reply.text
    assert not await wf.edit_item(sim.rt, rid, wf.ItemEdit.ADD, value="多一项")
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_open")
    return rid, reply


async def test_a_full_menu_reaches_the_group_whole(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    rid, reply = await full_menu(sim, group)
    draft = assert_parts(reply.to(STAFF.id), buttons_on_last=True)
    assert all(name in draft for name in NAMES) and draft.count("完）") == rules.MAX_ITEMS
    reply = await sim.press(STAFF, reply, "下一步")
    reply = await sim.press(STAFF, reply, data=sim.find_button(reply, "6")["callback_data"])
    reply = await sim.press(STAFF, reply, "截止时间")
    reply = await sim.press(STAFF, reply, "不设截止")
    reply = await sim.press(STAFF, reply, "发布到群")
    post = assert_parts(texts_to(reply.calls, group.id), buttons_on_last=True)
    assert all(name in post for name in NAMES) and post.count("完）") == rules.MAX_ITEMS
    assert "请点下面的按钮" in post  # the tail of the post
    assert "去私聊点单" in texts_to(reply.calls, group.id)[-1].buttons[0][0]["text"]
    # /menu in the group shows it whole too; the private order screen fits one message.
    reply = await sim.send(WANG, group, "/menu")
    assert_parts(reply.to(group.id), buttons_on_last=True)
    await register(sim, WANG, "21-4-302", "王阿姨")
    reply = await sim.send(WANG, sim.private(WANG), f"/start menu-{rid}")
    screen = reply.last_with_buttons()
    assert screen is not None and units(screen.text) <= LIMIT
    assert sum(len(row) for row in screen.buttons) == rules.MAX_ITEMS + 3
    for name in NAMES[:6]:
        await sim.press(WANG, sim.current(screen), name)
    reply = await sim.press(WANG, sim.current(screen), "确认点单")
    assert "点单成功" in reply.text


async def crowd(sim: Simulator, cid: int, rid: int, buildings: int = 160) -> None:
    """Three paper orders in each of `buildings` buildings (public detail: ≥ 3 households)."""
    items = [i["id"] for i in await store.items(sim.rt.db, rid)]
    async with sim.rt.db.transaction() as tx:
        for b in range(1, buildings + 1):
            for n in range(3):
                hid = await cstore.get_or_create_household(tx, cid, str(b), "1", str(101 + n))
                picks = [items[(b + n + j) % len(items)] for j in range(3)]
                placed = await store.place_order(
                    tx,
                    rid,
                    household_id=hid,
                    user_id=None,
                    picks=picks,
                    now=sim.clock.now().timestamp(),
                    paper=True,
                    entered_by=GRID.id,
                )
                assert placed.ok


async def test_results_of_160_buildings_arrive_whole(sim: Simulator, group: Chat) -> None:
    cid = await setup_community(sim, group)
    rid = await open_round(sim, group, k=3)
    await crowd(sim, cid, rid)
    for n in range(30):  # many long comments for staff's private /menu_results
        await wf.add_comment(sim.rt, rid, None, STAFF.id, f"意见{n:02d}" + "长" * 290)
    reply = await close_now(sim, sim.private(STAFF))
    post = assert_parts(texts_to(reply.calls, group.id), buttons_on_last=False)
    missing = [b for b in range(1, 161) if f"\n{b}号楼：参与3/3户；" not in post]
    assert not missing, (missing, post[:600])
    assert "谢谢大家" in post  # the last line
    assert len(sim.api.sent("sendPhoto", group.id)) == 1
    assert "结果已发到居民群" in reply.to(STAFF.id)[-1].text
    assert await sim.rt.db.fetchval("SELECT results_posted FROM menu_rounds") == pwf.POSTED
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_results")
    texts = [c for c in reply.to(STAFF.id) if c.method == "sendMessage"]  # then the chart
    private = assert_parts(texts, buttons_on_last=True)  # 重新开放3天 under the last part
    assert all(f"意见{n:02d}" in private for n in range(30)) and "160号楼" in private
    reply = await sim.send(WANG, group, "/progress")
    assert reply.text.count("户点单") == 11


# ---- failed posts ---------------------------------------------------------------------------
async def closed_with_order(sim: Simulator, group: Chat) -> int:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    await neighbours_order(sim, rid, "车棚改造")  # enough households for a public chart
    return rid


async def posted(sim: Simulator, rid: int) -> int:
    return int(
        await sim.rt.db.fetchval("SELECT results_posted FROM menu_rounds WHERE id = ?", (rid,))
    )


async def test_a_500_on_the_results_post_is_told_to_staff_not_repeated(
    sim: Simulator, group: Chat
) -> None:
    rid = await closed_with_order(sim, group)
    sim.api.fail("sendMessage", 500, "Internal Server Error", chat_id=group.id)
    reply = await close_now(sim, sim.private(STAFF))
    assert texts_to(reply.calls, group.id) == []  # one try: it may have arrived
    told = reply.to(STAFF.id)
    assert [c.text for c in told][-1] == "本轮点单已结束。"
    assert any("可能没能发到居民群" in c.text and "/menu_results" in c.text for c in told)
    assert not any("结果已发到居民群" in c.text for c in told)
    assert await posted(sim, rid) == pwf.REPORTED
    assert await sim.rt.db.fetchval("SELECT count(*) FROM jobs WHERE kind = 'menu_post'") == 0
    # Staff do what they were told: the results appear in the group.
    reply = await sim.send(STAFF, group, "/menu_results")
    assert "改造点单结果" in reply.to(group.id)[0].text


async def test_a_group_that_removed_the_bot_is_reported_after_the_deadline(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    rid = await open_round(sim, group, deadline="3天后")
    await order(sim, WANG, rid, "车棚改造")
    sim.api.fail(
        None, 403, "Forbidden: bot was kicked from the supergroup chat", chat_id=group.id, times=9
    )
    reply = await sim.advance(timedelta(days=4))
    assert not any(c.chat_id == group.id and c.method.startswith("send") for c in reply.calls)
    told = [c.text for c in reply.to(STAFF.id)]  # no one closed it: every staff member
    assert any("没能发到居民群" in t and "/menu_results" in t and "加回群" in t for t in told)
    assert await posted(sim, rid) == pwf.REPORTED


async def test_a_refused_connection_is_retried_from_the_message_that_failed(
    sim: Simulator, group: Chat
) -> None:
    rid = await closed_with_order(sim, group)
    # The text goes; the chart's connection is refused (bot/request.py's own tries too).
    sim.api.fail("sendPhoto", chat_id=group.id, refuse_connection=True, times=4)
    reply = await close_now(sim, group)
    assert len(texts_to(reply.calls, group.id)) == 1
    assert not sim.api.sent("sendPhoto", group.id)
    assert any("我会自动再发" in c.text for c in reply.to(STAFF.id))
    assert await posted(sim, rid) == 0  # not yet
    reply = await sim.advance(timedelta(seconds=30))
    assert reply.calls == []  # the back-off: not before a minute
    reply = await sim.advance(timedelta(minutes=1))
    assert [c.method for c in reply.to(group.id)] == ["sendPhoto"]  # the text is not repeated
    assert any("结果已经发到居民群" in c.text for c in reply.to(STAFF.id))
    assert await posted(sim, rid) == pwf.POSTED
    # A later close attempt (the deadline job running late, say) posts nothing again.
    assert (await wf.close_round(sim.rt, rid)).publish is None


async def test_retries_that_never_get_through_end_with_staff_told(
    sim: Simulator, group: Chat
) -> None:
    rid = await closed_with_order(sim, group)
    sim.api.fail("sendMessage", chat_id=group.id, refuse_connection=True, times=1000)
    await close_now(sim, sim.private(STAFF))
    for wait in pwf.BACKOFF[:-1]:
        reply = await sim.advance(wait)
        assert reply.to(STAFF.id) == [] and await posted(sim, rid) == 0
    reply = await sim.advance(pwf.BACKOFF[-1])
    assert any("没能发到居民群" in c.text for c in reply.to(STAFF.id))
    assert await posted(sim, rid) == pwf.REPORTED
    sim.api.failures.clear()
    assert await sim.rt.db.fetchval("SELECT count(*) FROM jobs WHERE status = 'pending'") == 0


async def test_a_menu_post_held_back_by_flood_control_is_posted_later(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_open")
    reply = await sim.press(STAFF, reply, "下一步")
    reply = await sim.press(STAFF, reply, "截止时间")
    reply = await sim.press(STAFF, reply, "不设截止")
    sim.api.fail(
        "sendMessage",
        429,
        "Too Many Requests: retry after 1",
        chat_id=group.id,
        retry_after=1,
        times=4,  # the rate limiter's own three tries too
    )
    reply = await sim.press(STAFF, reply, "发布到群")
    assert texts_to(reply.calls, group.id) == []
    assert any("改造菜单暂时没能发到居民群" in c.text for c in reply.to(STAFF.id))
    reply = await sim.advance(timedelta(minutes=1))
    post = texts_to(reply.calls, group.id)
    assert len(post) == 1 and "改造点单" in post[0].text and post[0].buttons
    assert any("改造菜单已经发到居民群" in c.text for c in reply.to(STAFF.id))


# ---- stale screens --------------------------------------------------------------------------
async def test_an_old_order_screen_cannot_confirm_other_ticks(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    rid = await open_round(sim, group)
    chat = sim.private(WANG)
    old = (await sim.send(WANG, chat, f"/start menu-{rid}")).last_with_buttons()
    assert old is not None
    await sim.press(WANG, old, "车棚改造")
    shown = sim.current(old)  # ☑ 车棚改造
    # Another screen (or a crash that lost a tick) moves the draft on.
    new = (await sim.send(WANG, chat, "/menu")).last_with_buttons()
    assert new is not None
    await sim.press(WANG, new, "楼梯维修")
    reply = await sim.press(WANG, shown, "确认点单")
    assert any("这个页面已经过期了，请重新打开 /menu" in a for a in reply.alerts())
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == 0
    await sim.restart()
    reply = await sim.press(WANG, sim.current(new), "确认点单")  # the screen that is current
    assert "点单成功：车棚改造、楼梯维修" in reply.text
    # An old button without the ticks (before this version) is refused as well.
    reply = await sim.press(WANG, None, data=f"1|mn|ok|{rid}", chat=chat)
    assert reply.alerts()


async def test_an_old_paper_screen_cannot_confirm_other_ticks(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await open_round(sim, group)
    chat = sim.private(GRID)
    old = (await sim.send(GRID, chat, "/menu_paper 21-4-302")).last_with_buttons()
    assert old is not None
    await sim.press(GRID, old, "车棚改造")
    shown = sim.current(old)
    new = (await sim.send(GRID, chat, "/menu_paper 21-4-302")).last_with_buttons()
    assert new is not None  # a fresh keyboard starts from what is saved: nothing ticked
    reply = await sim.press(GRID, shown, "确认录入")
    assert any("这个页面已经过期了" in a for a in reply.alerts())
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == 0
    await sim.press(GRID, sim.current(new), "楼梯维修")
    reply = await sim.press(GRID, sim.current(new), "确认录入")
    assert "已录入 21号楼4单元302室 的纸质点单（1项）" in reply.text
    names = await sim.rt.db.fetchall(
        "SELECT i.name FROM menu_picks p JOIN menu_items i ON i.id = p.item_id"
    )
    assert [r["name"] for r in names] == ["楼梯维修"]


# ---- numbers on buttons ---------------------------------------------------------------------
async def test_button_numbers_out_of_range_are_refused(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    rid = await open_round(sim, group)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, f"/start menu-{rid}")
    for data in (
        f"1|mn|t|{rid}|0",
        f"1|mn|t|{rid}|-5",
        f"1|mn|t|{rid}|99999999999999999999",
        f"1|mn|t|{rid}",
        "1|mn|t|0|1",
        f"1|mn|pt|{rid}|0|1",
        f"1|mn|pi|{rid}|-1",
        f"1|mn|c|{rid}|0",
    ):
        reply = await sim.press(WANG, None, data=data, chat=chat)
        assert reply.alerts(), data
    reply = await sim.send(STAFF, group, "/menu_open")  # a round is open: nothing to prepare
    for data in (f"1|mo|k|{rid}|0", f"1|mo|k|{rid}|{rules.MAX_K + 1}", "1|mo|next|0"):
        reply = await sim.press(STAFF, None, data=data, chat=group)
        assert reply.alerts(), data
    assert await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders") == 0
