"""Demo scene: a meeting notice with 参加/不参加 and its reminder, a care-visit ping and a
"needs help" alert.

Assumptions (as after tests/conftest.setup_community): a group chat is linked to
锡林社区; STAFF (id 10, @sun_staff) is staff, GRID (id 20) is grid worker for buildings 1-30,
VOLUNTEER (id 30, @zhang_vol) is a volunteer; residents 王阿姨 (101) and 刘大爷 (102) exist.
All of them have said hello to the bot in private. The clock is the simulator's FakeClock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.offline.simulator import Person, Simulator
from storage import community as cstore

STAFF = Person(10, "孙晓军", "sun_staff")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")
WANG = Person(101, "王阿姨", "wang_ayi")
LIU = Person(102, "刘大爷", "liu_dy")


async def scene(sim: Simulator, out: Callable[[str], Any]) -> None:
    db = sim.rt.db
    groups = [
        g for c in await cstore.list_communities(db) for g in await cstore.groups_of(db, c["id"])
    ]
    assert groups, "the scene needs a linked group"
    row = min(groups, key=lambda g: g["chat_id"])
    group = sim.group(row["chat_id"], row["title"] or "居民群")
    staff_chat = sim.private(STAFF)
    out("\n=== 工作人员发会议通知，居民报名，会前一小时自动提醒 ===")
    reply = await sim.send(STAFF, staff_chat, "/remind")
    reply = await sim.press(STAFF, reply, group.title)
    reply = await sim.press(STAFF, reply, "会议通知")
    reply = await sim.send(STAFF, staff_chat, "居民代表会议：商量改造菜单，地点社区活动室")
    reply = await sim.send(STAFF, staff_chat, "明天 19:00")
    reply = await sim.press(STAFF, reply, "确认")
    reply = await sim.advance(timedelta(seconds=1))
    announce = reply.to(group.id)
    if announce:
        await sim.press(WANG, announce[0], "参加")
        await sim.press(LIU, announce[0], "不参加")
    await sim.advance(timedelta(hours=33))  # to an hour before the meeting

    out("\n=== 关爱走访：志愿者收到提醒，发现老人需要帮助 ===")
    await sim.send(STAFF, staff_chat, f"/care_add 张奶奶 21-4-302 每周两次 @{VOLUNTEER.username}")
    reply = await sim.advance(timedelta(days=2))
    pings = reply.to(VOLUNTEER.id)
    if pings:
        await sim.press(VOLUNTEER, pings[-1], "需要帮助")
        await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "老人说胸口闷，已打120")
