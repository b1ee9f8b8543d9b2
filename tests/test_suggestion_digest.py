"""Suggestions and 议一议 comments reach staff: /suggestions, and a daily digest (durable, only
when something is new, each staff member can turn it off)."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.simulator import Chat, Simulator
from tests.conftest import (
    LIU,
    STAFF,
    WANG,
    assert_no_personal_data_in_groups,
    register,
    setup_community,
)
from tests.test_menu import open_round


async def suggest(sim: Simulator, person, round_id: int, text: str) -> None:
    chat = sim.private(person)
    await sim.press(person, None, data=f"1|mn|s|{round_id}", chat=chat)
    await sim.send(person, chat, text)


def digests(sim: Simulator) -> list:
    return [c for c in sim.api.sent("sendMessage", STAFF.id) if "今天有" in c.text]


async def test_daily_digest_once_when_new_and_staff_can_turn_it_off(
    sim: Simulator, group: Chat
) -> None:
    await setup_community(sim, group)
    round_id = await open_round(sim, group)
    await register(sim, WANG, "21-4-302", "王阿姨")
    await register(sim, LIU, "21-5-101", "刘大爷")
    await suggest(sim, WANG, round_id, "健身器材少")
    await suggest(sim, LIU, round_id, "楼道门槛低，雨水流进楼道")
    reply = await sim.send(STAFF, sim.private(STAFF), "/suggestions")
    assert "健身器材少" in reply.text and "21号楼" in reply.text and "302" not in reply.text
    assert "每日摘要（每天18:00" in reply.text

    await sim.restart()  # the digest is a durable job
    reply = await sim.advance(timedelta(days=1))
    got = digests(sim)
    assert len(got) == 1 and "2 条" in got[0].text and "健身器材少" in got[0].text
    assert "302" not in got[0].text and "王阿姨" not in got[0].text
    reply = await sim.advance(timedelta(days=2))  # nothing new: no digest
    assert len(digests(sim)) == 1

    # Turned off, nothing comes; on again, the next one comes.
    reply = await sim.press(STAFF, got[0], "不再接收每日摘要")
    assert "已关闭" in reply.alerts()[0]
    await suggest(sim, WANG, round_id, "希望增设停车位")
    await sim.advance(timedelta(days=1))
    assert len(digests(sim)) == 1
    reply = await sim.send(STAFF, sim.private(STAFF), "/suggestions")
    reply = await sim.press(STAFF, reply, "接收每日摘要")
    assert "已开启" in reply.alerts()[0]
    await suggest(sim, LIU, round_id, "车棚要有充电桩")
    await sim.advance(timedelta(days=1))
    assert len(digests(sim)) == 2 and "车棚要有充电桩" in digests(sim)[-1].text
    assert "希望增设停车位" not in digests(sim)[-1].text  # sent while off: not repeated

    # Only staff may switch it; a resident's forged press changes nothing.
    reply = await sim.press(WANG, None, data="1|sg|off|1", chat=sim.private(WANG))
    assert reply.alerts()
    await assert_no_personal_data_in_groups(sim)
