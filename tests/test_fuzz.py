"""Property tests: forged callback data and arbitrary text never crash, always get an answer,
and never change the database where the input was not valid."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import community as addr
from bot.care import parse_rhythm
from bot.offline.simulator import Simulator
from bot.reminders import TimeParseError, parse_schedule
from bot.timeparse import parse_moment
from tests.conftest import ADMIN, STRANGER, WANG, errors_logged, say_hello
from tests.test_authorization import OTHER, build_world, snapshot

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 5, 15, 10, 0, tzinfo=UTC)
SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

FEATURES = ["reg", "help", "lang", "rq", "rn", "rp", "rm", "cv", "mn", "mo", "sort", "quiz", "qz"]
ACTIONS = [
    "go",
    "t",
    "c",
    "ok",
    "pok",
    "pi",
    "pg",
    "k",
    "d",
    "dd",
    "p",
    "et",
    "who",
    "y",
    "n",
    "no",
    "help",
    "done",
    "back",
    "acc",
    "asg",
    "asgu",
    "rate",
    "cl",
    "cls",
    "keep",
    "r",
    "re",
    "redo",
    "samename",
    "cancel",
    "v",
    "edit",
    "plus",
    "show",
    "rw",
    "stage",
    "zz",
]
# Texts of every shape a person can type or paste.
NASTY = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e21-4-302",
            "مرحبا بالعالم",
            "שלום",
            "😀😀😀",
            "🏠" * 50,
            "2" * 4096,
            "号" * 4096,
            "\n\t\r",
            "21号楼4单元302" + "\u200b" * 20,
            "١٢-٣-٤٥٦",
            "'; DROP TABLE residents; --",
            "%s %d {0} {name}",
            "<b>x</b>",
            "9" * 400 + "-1-1",
            "1-" * 2000,
            "每周" * 50,
            "99999999999999999999天后",
            "0天后",
            "2月30日",
            "9999年12月31日 25:61",
            "每周一三五 7:30",
            "明天 8:00",
            "-1小时后",
            "１２-４-３０２",
        ]
    ),
)


# ---- forged callback data -------------------------------------------------------------------
def ids(values: list[int]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([str(v) for v in values]),
        st.integers(-5, 10**12).map(str),
        st.text("abc_-", min_size=1, max_size=5),
    )


def callback_data(pool: list[int]) -> st.SearchStrategy[str]:
    well_formed = st.builds(
        lambda f, a, args: "|".join(["1", f, a, *args]),
        st.sampled_from(FEATURES),
        st.sampled_from(ACTIONS),
        st.lists(ids(pool), max_size=4),
    )
    return st.one_of(
        well_formed,
        well_formed,
        st.text(max_size=70),
        st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    )


def test_forged_callback_data_is_refused_politely(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    sim = Simulator(str(tmp_path / "fuzz.db"), admins=(ADMIN.id,))
    try:
        loop.run_until_complete(sim.start())
        w = loop.run_until_complete(
            build_world(sim, menu=True, repairs=True, notice=True, care=True)
        )
        loop.run_until_complete(say_hello(sim, WANG))
        pool = [
            w.round_id,
            w.ticket,
            w.taken,
            w.dup,
            w.notice,
            w.care,
            w.cid,
            w.other_cid,
            1,
            2,
            3,
            0,
        ]
        # Attackers: staff of another community and a stranger, in their own chats.
        who = st.sampled_from([OTHER, STRANGER])
        where = st.sampled_from(["private", "other_group"])
        before = loop.run_until_complete(snapshot(sim))

        @SETTINGS
        @given(presses=st.lists(st.tuples(callback_data(pool), who, where), min_size=1, max_size=5))
        def run(presses: list[tuple[str, object, str]]) -> None:
            for data, person, place in presses:
                chat = sim.private(person) if place == "private" else w.other_group  # type: ignore[arg-type]
                with errors_logged() as errors:
                    reply = loop.run_until_complete(sim.press(person, None, data=data, chat=chat))  # type: ignore[arg-type]
                assert not errors, (data, errors)
                answers = [c for c in reply.calls if c.method == "answerCallbackQuery"]
                assert answers, f"no answer to {data!r}"
            assert loop.run_until_complete(snapshot(sim)) == before

        run()
    finally:
        loop.run_until_complete(sim.stop())
        loop.close()


# ---- text parsing never raises and gives well-formed results ----------------------------------
@SETTINGS
@given(text=NASTY)
def test_address_parsing_total(text: str) -> None:
    full = addr.parse_full_address(text)
    if full is not None:
        for part in (full.building, full.unit, full.room):
            assert part and len(part) <= addr.MAX_ADDRESS_PART and "\n" not in part
    for suffixes in (addr.BUILDING_SUFFIXES, addr.UNIT_SUFFIXES, addr.ROOM_SUFFIXES):
        for named in (False, True):
            part = addr.clean_part(text, suffixes, named=named)
            assert part is None or (0 < len(part) <= addr.MAX_ADDRESS_PART and part.strip() == part)
    buildings = addr.parse_buildings(text)
    if buildings is not None:
        assert buildings and len(buildings) == len(set(buildings)) and all(buildings)
    name = addr.clean_community_name(text)
    assert name is None or 0 < len(name) <= 40


@SETTINGS
@given(text=NASTY)
def test_time_parsing_total(text: str) -> None:
    try:
        schedule = parse_schedule(text, NOW, TZ)
    except TimeParseError:
        schedule = None
    assert schedule is None or schedule is not None  # parsed or refused, never another error
    try:
        parse_rhythm(text, NOW, TZ)
    except TimeParseError:
        pass
    try:
        when = parse_moment(text, NOW, TZ)
    except TimeParseError:
        when = None
    if when is not None:
        assert when.tzinfo is not None and when > NOW


@SETTINGS
@given(text=NASTY)
def test_sorting_lookup_total(text: str) -> None:
    from bot.sorting import lookup

    result = lookup(text)
    assert result.status is not None and result.query == text


# ---- the conversations answer every text politely ----------------------------------------------
GENERATED = st.lists(NASTY, min_size=30, max_size=30)


def test_registration_and_repair_answer_every_text(tmp_path: Path) -> None:
    """30 generated texts, each typed as a home address and as a repair description."""
    loop = asyncio.new_event_loop()
    sim = Simulator(str(tmp_path / "conv.db"), admins=(ADMIN.id,))

    @settings(
        max_examples=1, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(batch=GENERATED)
    def run(batch: list[str]) -> None:
        w = loop.run_until_complete(build_world(sim, repairs=False))
        chat = sim.private(STRANGER)
        for text in batch:
            with errors_logged() as errors:
                loop.run_until_complete(sim.send(STRANGER, chat, f"/start reg-{w.cid}"))
                reply = loop.run_until_complete(sim.send(STRANGER, chat, text or "…"))
                assert reply.texts, f"no answer to registration text {text!r}"
                loop.run_until_complete(sim.send(STRANGER, chat, "/cancel"))
                reply = loop.run_until_complete(sim.send(WANG, sim.private(WANG), "/repair"))
                reply = loop.run_until_complete(sim.press(WANG, reply, "屋顶漏水"))
                reply = loop.run_until_complete(sim.press(WANG, reply, "我家这个单元"))
                if "我也遇到了" in reply.text:
                    reply = loop.run_until_complete(sim.press(WANG, reply, "继续报修"))
                assert "是什么问题" in reply.text, reply.text
                reply = loop.run_until_complete(sim.send(WANG, sim.private(WANG), text or "…"))
                assert reply.texts, f"no answer to repair description {text!r}"
                loop.run_until_complete(sim.send(WANG, sim.private(WANG), "/cancel"))
            assert not errors, (text, errors)

    try:
        loop.run_until_complete(sim.start())
        run()
    finally:
        loop.run_until_complete(sim.stop())
        loop.close()
