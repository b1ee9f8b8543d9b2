from bot.offline.simulator import Simulator
from tests.conftest import WANG


async def test_help_in_private(sim: Simulator) -> None:
    reply = await sim.send(WANG, sim.private(WANG), "/help")
    assert "/register" in reply.text
    assert "/grant" not in reply.text
