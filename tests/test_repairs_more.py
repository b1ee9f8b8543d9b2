"""Repairs, second round: neutral duplicate suggestions, /merge hand-over, huge numbers."""

from __future__ import annotations

from bot.offline.simulator import Chat, Simulator
from tests.conftest import LIU, STAFF, STRANGER, VOLUNTEER, WANG, WANG_SON, errors_logged, register
from tests.test_repairs import V2, community, file_repair, last_to


async def test_duplicate_suggestion_is_a_neutral_summary(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    words = "王阿姨家门口楼道灯坏了，电话13812345678"
    tid, _ = await file_repair(
        sim, WANG, category="楼道与楼梯", text=words, place="21号楼4单元楼道302门口"
    )
    chat = sim.private(LIU)
    reply = await sim.send(LIU, chat, "/repair")
    reply = await sim.press(LIU, reply, "楼道与楼梯")
    reply = await sim.press(LIU, reply, "我家这个单元")
    assert f"#{tid}" in reply.text and "21号楼" in reply.text and "楼道" in reply.text
    assert "1户遇到" in reply.text
    for secret in ("王阿姨", "13812345678", "302", "灯坏了"):
        assert secret not in reply.text, secret


async def test_merge_hands_the_assignment_over(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    keep, _ = await file_repair(sim, WANG, category="水管", text="主水管漏水")
    dup, reply = await file_repair(sim, LIU, category="水管", text="楼下水管漏")
    await sim.press(VOLUNTEER, reply.to(VOLUNTEER.id)[0], "接单")
    reply = await sim.send(STAFF, sim.private(STAFF), f"/merge {dup} {keep}")
    assert f"已把 #{dup} 合并到 #{keep}" in reply.text
    row = await sim.rt.db.fetchone("SELECT * FROM repair_tickets WHERE id = ?", (keep,))
    assert (row["status"], row["assignee_id"]) == ("assigned", VOLUNTEER.id)
    assert any(f"#{keep}" in c.text and "由您处理" in c.text for c in reply.to(VOLUNTEER.id))
    assert any("已派单" in c.text for c in reply.to(WANG.id))  # the kept one's reporter
    assert any("同一个问题" in c.text for c in reply.to(LIU.id))
    # Accept reminders of the kept ticket stopped, its resolve deadline runs.
    keys = {
        r["key"] for r in await sim.rt.db.fetchall("SELECT key FROM jobs WHERE status = 'pending'")
    }
    assert f"repair_accept:{keep}" not in keys and f"repair_resolve:{keep}" in keys
    # Its other offers now say "taken".
    assert "已被接单" in sim.current(last_to(sim, V2, f"#{keep}")).text


async def test_merge_keeps_the_kept_tickets_assignee(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    keep, reply = await file_repair(sim, WANG, category="水管", text="主水管漏水")
    await sim.press(V2, reply.to(V2.id)[0], "接单")
    dup, reply = await file_repair(sim, LIU, category="水管", text="楼下水管漏")
    await sim.press(VOLUNTEER, reply.to(VOLUNTEER.id)[0], "接单")
    await register(sim, WANG_SON, "21-6-601", "小明")
    reply = await sim.send(WANG_SON, sim.private(WANG_SON), "/repair")
    reply = await sim.press(WANG_SON, reply, "水管")
    reply = await sim.press(WANG_SON, reply, "我家这个单元")
    reply = await sim.press(WANG_SON, reply, f"我也遇到了 #{dup}")
    reply = await sim.send(STAFF, sim.private(STAFF), f"/merge #{dup} #{keep}")
    row = await sim.rt.db.fetchone("SELECT * FROM repair_tickets WHERE id = ?", (keep,))
    assert row["assignee_id"] == V2.id
    assert any("不用再处理" in c.text and "赵志愿" in c.text for c in reply.to(VOLUNTEER.id))
    assert any("合并了重复的" in c.text for c in reply.to(V2.id))
    # The duplicate's follower hears it too, not only its reporter.
    assert any("同一个问题" in c.text for c in reply.to(WANG_SON.id))
    assert any("同一个问题" in c.text for c in reply.to(LIU.id))


async def test_huge_numbers_are_refused_politely(sim: Simulator, group: Chat) -> None:
    await community(sim, group)
    tid, _ = await file_repair(sim, WANG, category="水管", text="水管爆了")
    huge = str(2**63)
    with errors_logged() as errors:
        for text in (f"/merge {huge} {tid}", f"/merge {tid} 99999999999999999999", "/merge -1 2"):
            reply = await sim.send(STAFF, sim.private(STAFF), text)
            assert "用法" in reply.text, text
        for person, data in [
            (STAFF, f"1|rq|v|{huge}"),
            (STAFF, f"1|rq|go|{huge}"),
            (STAFF, f"1|rq|asgu|{tid}|{huge}"),
            (STAFF, f"1|rq|pg|{huge}|x|x|x|0|0"),
            (STAFF, f"1|rq|pg|1|x|x|x|0|{huge}"),
            (STAFF, f"1|rn|n|{huge}|0"),
            (WANG, f"1|rq|plus|{huge}"),
            (STRANGER, f"1|rq|rate|{huge}|5"),
        ]:
            reply = await sim.press(person, None, data=data, chat=sim.private(person))
            assert reply.alerts(), data
    assert not errors, errors
    assert (
        await sim.rt.db.fetchval("SELECT status FROM repair_tickets WHERE id = ?", (tid,)) == "new"
    )
