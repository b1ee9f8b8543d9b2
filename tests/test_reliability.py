"""Issue #14 infrastructure: acknowledgement means saved, range-checked numbers, long texts
split for Telegram, rate-limited logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot import callbacks
from bot.logfilter import RateLimitFilter
from bot.numbers import INT64_MAX, parse_id, parse_int
from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Simulator
from handlers.shared import reply_long, send_long, split_text
from storage.persistence import SQLitePersistence
from tests.conftest import WANG, errors_logged, register, setup_community
from tests.crashload import _reader
from tests.test_menu import open_round


def saved_state(db_path: str, user_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a restarted bot would read: drafts and conversation states, from another
    connection (committed data only), as after a SIGKILL."""
    conn, q = _reader(db_path)
    try:
        row = q("SELECT data FROM user_drafts WHERE user_id = ?", (user_id,)).fetchone()
        states = {
            name: json.loads(state)
            for name, key, state in q("SELECT name, key, state FROM conversations")
            if user_id in json.loads(key)
        }
    finally:
        conn.close()
    return (json.loads(row[0]) if row else {}), states


# ---- acknowledgement means saved -----------------------------------------------------------------
async def test_conversation_step_and_draft_are_saved_after_each_update(
    sim: Simulator, group: Chat, db_path: str
) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, "/repair")
    reply = await sim.press(WANG, reply, "屋顶漏水")
    reply = await sim.press(WANG, reply, "我家这个单元")
    if "我也遇到了" in reply.text:
        reply = await sim.press(WANG, reply, "继续报修")
    reply = await sim.send(WANG, chat, "楼顶漏水，墙上有水印")
    # No update_persistence(), no shutdown: what a SIGKILL now would leave.
    drafts, states = saved_state(db_path, WANG.id)
    assert drafts["repair_draft"]["description"] == "楼顶漏水，墙上有水印"
    before = states["repairs"]
    reply = await sim.press(WANG, reply, "跳过")
    drafts, states = saved_state(db_path, WANG.id)
    assert states["repairs"] != before  # the conversation moved on, on disk too

    # A new bot on the same file (the old one never shut down) continues at that step.
    other = Simulator(db_path)
    await other.start()
    try:
        reply = await other.press(WANG, reply, "不可以", chat=other.private(WANG))
        assert "请核对" in reply.text and "楼顶漏水" in reply.text
    finally:
        await other.stop()


async def test_drafts_are_saved_before_the_screen_shows_them(
    sim: Simulator, group: Chat, db_path: str
) -> None:
    await setup_community(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    round_id = await open_round(sim, group)
    seen: list[tuple[str, Any]] = []

    def look(call: ApiCall) -> None:  # the moment Telegram receives the edited screen
        if call.method == "editMessageText" and call.chat_id == WANG.id:
            drafts, _ = saved_state(db_path, WANG.id)
            ticked = [b["text"][2:] for row in call.buttons for b in row if b["text"][:1] == "☑"]
            seen.append((",".join(ticked), drafts["menu_picks"][str(round_id)]["picks"]))

    sim.api.listeners.append(look)
    chat = sim.private(WANG)
    reply = await sim.send(WANG, chat, f"/start menu-{round_id}")
    screen = reply.last_with_buttons()
    for name in ("整修围墙和大门", "车棚改造"):
        await sim.press(WANG, screen, name)
        screen = sim.current(screen)
    names = {
        r["id"]: r["name"]
        for r in await sim.rt.db.fetchall(
            "SELECT id, name FROM menu_items WHERE round_id = ?", (round_id,)
        )
    }
    # Each time Telegram got a screen with ticks, the database already held those ticks.
    assert [set(ticked.split(",")) for ticked, _ in seen] == [
        {"整修围墙和大门"},
        {"整修围墙和大门", "车棚改造"},
    ]
    for ticked, picks in seen:
        assert set(ticked.split(",")) == {names[p] for p in picks}


async def test_unchanged_state_costs_no_write(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    original = SQLitePersistence._write

    async def counting(self: SQLitePersistence) -> None:
        writes.append(len(self._pending))
        await original(self)

    monkeypatch.setattr(SQLitePersistence, "_write", counting)
    chat = sim.private(WANG)
    await sim.send(WANG, chat, "/help")
    await sim.send(WANG, chat, "/help")
    await sim.send(WANG, chat, "/help")
    assert writes == [], writes  # nothing changed: not one statement
    await sim.send(WANG, chat, "/repair")  # a conversation starts: a write
    assert writes


async def test_persistence_waits_for_a_write_under_way(db_path: str) -> None:
    from storage.db import connect

    db = connect(db_path)
    persistence = SQLitePersistence(db)
    await persistence.get_user_data()
    await persistence.update_user_data(5, {"a": 1})
    await persistence.update_user_data(5, {"a": 1})  # unchanged: returns at once
    await persistence.update_user_data(5, {})  # emptied: the row goes
    await persistence.update_conversation("repairs", (5, 5), 3)
    await persistence.update_conversation("repairs", (5, 5), None)
    assert await db.fetchval("SELECT count(*) FROM user_drafts") == 0
    assert await db.fetchval("SELECT count(*) FROM conversations") == 0
    await db.close()


# ---- numbers from people and buttons ---------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "number", "ident"),
    [
        ("12", 12, 12),
        ("１２", 12, 12),
        (" 7 ", 7, 7),
        ("#12", None, 12),
        ("＃12", None, 12),
        ("0", 0, None),
        ("-1", None, None),
        (str(INT64_MAX), INT64_MAX, INT64_MAX),
        (str(INT64_MAX + 1), None, None),
        ("99999999999999999999999", None, None),
        ("9" * 5000, None, None),
        ("1_000", None, None),
        ("1e3", None, None),
        ("²", None, None),
        ("٣", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_numbers_a_person_types(text: str | None, number: int | None, ident: int | None) -> None:
    assert parse_int(text) == number
    assert parse_id(text) == ident


def test_number_bounds() -> None:
    assert parse_int("600", lo=10, hi=600) == 600
    assert parse_int("601", lo=10, hi=600) is None
    assert parse_int("-5", lo=-10) == -5


@pytest.mark.parametrize(
    "data",
    [
        "1|rq|acc|99999999999999999999",
        f"1|rq|acc|{INT64_MAX + 1}",
        f"1|rq|acc|-{INT64_MAX + 2}",
        "1|rq|acc|1_0",
        "1|rq|acc|x",
        "1|rq|acc",
    ],
)
def test_callback_int_arg_refuses_what_sqlite_cannot_hold(data: str) -> None:
    with pytest.raises(callbacks.BadCallback):
        callbacks.unpack(data, "rq").int_arg(0)


def test_callback_int_arg_bounds() -> None:
    cb = callbacks.unpack(f"1|rq|acc|{INT64_MAX}|-1001", "rq")
    assert cb.int_arg(0) == INT64_MAX
    assert cb.int_arg(1) == -1001  # group chat ids are negative
    with pytest.raises(callbacks.BadCallback):
        cb.int_arg(1, lo=0)
    with pytest.raises(callbacks.BadCallback):
        cb.int_arg(0, hi=1000)


async def test_huge_number_in_a_button_is_refused_not_a_traceback(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    rid = await open_round(sim, group)
    forged = (
        "1|rq|acc|99999999999999999999",
        "1|mn|t|99999999999999999999|1",
        # A handler that does not catch BadCallback itself: the error handler refuses it.
        f"1|mn|t|{rid}|{INT64_MAX + 1}",
    )
    with errors_logged() as errors:
        for data in forged:
            reply = await sim.press(WANG, None, data=data, chat=sim.private(WANG))
            assert reply.alerts(), data
    assert errors == []


# ---- long texts ------------------------------------------------------------------------------
def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_split_text_at_line_breaks() -> None:
    line = "居民反映：楼道灯坏了，请尽快维修。"  # 17 characters
    text = "\n".join(f"{n:03d}{line}" for n in range(600))  # 600 x 21 = 12,600 characters
    parts = split_text(text)
    assert len(parts) == 4  # 195 whole lines fit in 4,096
    assert all(_units(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text  # cut only at line breaks, nothing lost
    assert all(p.startswith(tuple(f"{n:03d}" for n in range(600))) for p in parts)


def test_split_text_exactly_at_the_limit() -> None:
    assert split_text("改" * 4096) == ["改" * 4096]
    assert split_text("改" * 4097) == ["改" * 4096, "改"]
    two = "改" * 4096 + "\n" + "造" * 10
    assert split_text(two) == ["改" * 4096, "造" * 10]
    assert split_text("") == [] and split_text("\n\n") == []
    assert split_text("短") == ["短"]


def test_split_text_long_line_prefers_punctuation_never_halves_a_character() -> None:
    sentence = "老旧小区改造需要听取每一户居民的意见。"  # 19 characters, ends with 。
    text = sentence * 500
    parts = split_text(text)
    assert "".join(parts) == text
    assert all(_units(p) <= 4096 for p in parts)
    assert all(p.endswith("。") for p in parts)
    emoji = "🏠" * 3000  # two UTF-16 units each, as Telegram counts
    parts = split_text(emoji)
    assert "".join(parts) == emoji and all(_units(p) <= 4096 for p in parts)
    assert [len(p) for p in parts] == [2048, 952]


async def test_send_long_sends_every_part_buttons_on_the_last(sim: Simulator, group: Chat) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    text = "\n".join(f"第{n}项：更换老化的供水管道和阀门，解决水压低的问题。" for n in range(400))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("看看", callback_data="1|mn|x")]])
    assert sim.app is not None
    last = await send_long(sim.app.bot, group.id, text, reply_markup=markup)
    sent = sim.api.sent("sendMessage", group.id)
    assert len(sent) == len(split_text(text)) >= 3
    assert "\n".join(c.text for c in sent) == text
    assert [bool(c.buttons) for c in sent] == [False] * (len(sent) - 1) + [True]
    assert last is not None and last.message_id == sent[-1].result["message_id"]
    from telegram import Update

    update = Update.de_json(
        {"update_id": 1, "message": sim.message_payload(WANG, group, "x")}, sim.app.bot
    )
    await reply_long(update, "短消息")
    assert sim.api.sent("sendMessage", group.id)[-1].text == "短消息"


# ---- rate-limited logs -------------------------------------------------------------------------
def _record(msg: str, at: float, *args: object, name: str = "bot.x") -> logging.LogRecord:
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)
    record.created = at
    return record


def test_log_filter_lets_a_burst_through_then_counts() -> None:
    limiter = RateLimitFilter(burst=3, interval=60, total=1000)
    passed = [limiter.filter(_record("update %s failed", 100 + n / 100, n)) for n in range(500)]
    assert passed == [True] * 3 + [False] * 497
    other = _record("another fault %s", 101, 1)
    assert limiter.filter(other)  # a different fault still gets through
    later = _record("update %s failed", 161, 9)
    assert limiter.filter(later)
    assert "497 more like this were dropped" in later.getMessage()
    assert later.getMessage().startswith("update 9 failed")


def test_log_filter_ceiling_on_everything() -> None:
    limiter = RateLimitFilter(burst=5, interval=60, total=50)
    passed = sum(limiter.filter(_record(f"unique {n}", 100 + n / 1000)) for n in range(10_000))
    assert passed == 50
    assert len(limiter._kinds) <= 2001


def test_run_installs_the_log_filter() -> None:
    from bot import cli

    root = logging.getLogger()
    saved = list(root.handlers)
    root.handlers = [logging.StreamHandler()]
    try:
        cli._setup_logging("INFO", "123:abc")
        kinds = [type(f).__name__ for f in root.handlers[0].filters]
        assert kinds[0] == "RateLimitFilter" and "_TokenFilter" in kinds
    finally:
        root.handlers = saved
