"""Numbers past SQLite's 64 bits typed into commands: a polite answer, never a traceback."""

from __future__ import annotations

from bot.offline.simulator import Chat, Simulator
from tests.conftest import STAFF, WANG, errors_logged, setup_community

HUGE = "99999999999999999999999"


async def test_huge_ids_in_community_commands(sim: Simulator, group: Chat) -> None:
    await setup_community(sim, group)
    await sim.send(STAFF, group, "/grant @sun_staff 工作人员")  # no-op refusal is fine
    with errors_logged() as errors:
        grant = await sim.send(STAFF, group, f"/grant {HUGE} 志愿者")
        revoke = await sim.send(STAFF, group, f"/revoke {HUGE} 志愿者")
        start = await sim.send(WANG, sim.private(WANG), f"/start reg-{HUGE}")
    assert errors == []
    for reply in (grant, revoke, start):
        assert reply.text  # answered, in words
        assert "Traceback" not in reply.text
