"""Telegram failing mid-flow keeps the state; the token never reaches a log; SQL injection is inert."""

from __future__ import annotations

import logging

import pytest

from bot.offline.simulator import FAKE_TOKEN, Chat, Simulator
from tests.conftest import (
    LIU,
    STAFF,
    VOLUNTEER,
    WANG,
    errors_logged,
    register,
    setup_community,
    table_names,
)
from tests.test_menu import open_round, order
from tests.test_reminders import make_notice
from tests.test_repairs import file_repair

FAILURES = [
    pytest.param({"status": 502, "description": "Bad Gateway"}, id="5xx"),
    pytest.param({"status": 500, "timeout": True}, id="timeout"),
    pytest.param(
        {"status": 429, "description": "Too Many Requests: retry after 1", "retry_after": 1},
        id="retry-after",
    ),
]
INJECTIONS = ["'; DROP TABLE residents; --", '" OR 1=1 --', "Robert'); DROP TABLE users;--"]


@pytest.mark.parametrize("failure", FAILURES)
async def test_repair_status_kept_when_notification_fails(
    sim: Simulator, group: Chat, failure: dict, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    tid, reply = await file_repair(sim, WANG, category="水管", text="水管爆了")
    offer = reply.to(VOLUNTEER.id)[0]
    sim.api.fail("sendMessage", chat_id=WANG.id, times=10, **failure)
    reply = await sim.press(VOLUNTEER, offer, "接单")
    assert any(c.method == "answerCallbackQuery" for c in reply.calls)
    assert (
        await sim.rt.db.fetchval("SELECT status FROM repair_tickets WHERE id = ?", (tid,))
        == "assigned"
    )
    assert (
        await sim.rt.db.fetchval("SELECT assignee_id FROM repair_tickets WHERE id = ?", (tid,))
        == VOLUNTEER.id
    )
    sim.api.failures.clear()
    # The flow goes on: the volunteer can start work and the resident hears about it.
    reply = await sim.press(VOLUNTEER, sim.current(offer), "开始处理")
    assert "处理中" in reply.to(WANG.id)[0].text
    assert FAKE_TOKEN not in caplog.text and FAKE_TOKEN.split(":")[1] not in caplog.text


@pytest.mark.parametrize("failure", FAILURES)
async def test_menu_close_kept_when_result_post_fails(
    sim: Simulator, group: Chat, failure: dict, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    rid = await open_round(sim, group)
    await order(sim, WANG, rid, "车棚改造")
    question = await sim.send(STAFF, group, "/menu_close")  # 提前结束吗？
    for method in ("sendMessage", "sendPhoto"):
        sim.api.fail(method, chat_id=group.id, times=10, **failure)
    await sim.press(STAFF, question, "现在结束")
    assert (
        await sim.rt.db.fetchval("SELECT status FROM menu_rounds WHERE id = ?", (rid,)) == "closed"
    )
    assert (
        await sim.rt.db.fetchval("SELECT count(*) FROM menu_orders WHERE round_id = ?", (rid,)) == 1
    )
    sim.api.failures.clear()
    reply = await sim.send(STAFF, sim.private(STAFF), "/menu_results")
    assert "车棚改造" in reply.text
    assert FAKE_TOKEN not in caplog.text and FAKE_TOKEN.split(":")[1] not in caplog.text


async def test_token_never_logged_even_by_the_error_handler(
    sim: Simulator, group: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await setup_community(sim, group)
    sim.api.fail(None, 401, "Unauthorized", times=3)
    await sim.send(STAFF, group, "/help")
    sim.api.fail(None, 500, timeout=True, times=3)
    await sim.send(STAFF, group, "/grid")
    assert caplog.text  # something was logged at all
    assert FAKE_TOKEN not in caplog.text and FAKE_TOKEN.split(":")[1] not in caplog.text


@pytest.mark.parametrize("evil", INJECTIONS)
async def test_sql_injection_strings_are_inert(sim: Simulator, group: Chat, evil: str) -> None:
    db = sim.rt.db
    tables = set(await table_names(db))
    with errors_logged() as errors:
        await setup_community(sim, group)
        other = sim.group(-7007, "注入群")
        await sim.send(STAFF, other, f"/setup {evil}")  # a name nobody owns: refused or stored
        try:
            await register(sim, WANG, "21-4-302", evil)
            name_kept = True
        except AssertionError:  # the name check refused it (asked again): also fine
            await sim.send(WANG, sim.private(WANG), "/cancel")
            await register(sim, WANG, "21-4-302", "王阿姨")
            name_kept = False
        await register(sim, LIU, "21-5-101", "刘大爷")
        tid, _ = await file_repair(sim, WANG, text=evil)
        rid = await open_round(sim, group)
        reply = await sim.press(LIU, await sim.send(LIU, sim.private(LIU), "/menu"), "提建议")
        await sim.send(LIU, sim.private(LIU), evil)
        notice = await make_notice(sim, evil, "明天 9:00")
        from bot.sorting import lookup

        lookup(evil)
        await sim.send(WANG, group, evil)
        await sim.send(WANG, sim.private(WANG), evil)
    assert not errors, errors
    after = set(await table_names(db))
    assert tables <= after
    assert await db.fetchval("SELECT count(*) FROM users") > 0
    assert await db.fetchval(
        "SELECT display_name FROM residents WHERE user_id = ?", (WANG.id,)
    ) == (evil if name_kept else "王阿姨")
    assert await db.fetchval("SELECT description FROM repair_tickets WHERE id = ?", (tid,)) == evil
    assert await db.fetchval("SELECT text FROM notices WHERE id = ?", (notice,)) == evil
    assert await db.fetchval("SELECT count(*) FROM menu_comments WHERE text = ?", (evil,)) == 1
    assert rid and reply
    if db.kind == "sqlite":
        assert await db.fetchval("PRAGMA integrity_check") == "ok"
