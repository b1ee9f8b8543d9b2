"""Demo scene: a meeting notice with 参加/不参加 and its reminder, an announcement (停水通知)
sent privately to every household with its delivery report and 已知晓 counts, a care-visit
ping and a "needs help" alert taken with 我来处理.

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
GRID = Person(20, "李网格", "li_grid")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")
WANG = Person(101, "王阿姨", "wang_ayi")
LIU = Person(102, "刘大爷", "liu_dy")
CHEN = Person(104, "陳先生", "chen_hk", language_code="zh-hant")


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

    out("\n=== 停水通知：工作人员私聊发给每一户，附送达报告和“已知晓”人数 ===")
    sim.api.blocked.add(CHEN.id)  # one resident has blocked the bot: the report counts it
    reply = await sim.send(STAFF, staff_chat, "/announce")
    reply = await sim.send(STAFF, staff_chat, "本周六上午8点到12点停水，请提前储水")
    reply = await sim.press(STAFF, reply, "全部楼栋")
    reply = await sim.press(STAFF, reply, "现在发送")
    reply = await sim.press(STAFF, reply, "已知晓")
    reply = await sim.press(STAFF, reply, "发送")
    copies, reports = reply.to(WANG.id), [c for c in reply.to(STAFF.id) if "发送完毕" in c.text]
    if copies:
        await sim.press(WANG, copies[0], "已知晓")
    if reports:
        await sim.press(STAFF, reports[0], "已知晓人数")
    sim.api.blocked.discard(CHEN.id)

    out("\n=== 关爱走访：志愿者收到提醒，发现老人需要帮助，网格员点“我来处理” ===")
    await sim.send(STAFF, staff_chat, f"/care_add 张奶奶 21-4-302 每周两次 @{VOLUNTEER.username}")
    reply = await sim.advance(timedelta(days=2))
    pings = reply.to(VOLUNTEER.id)
    if pings:
        reply = await sim.press(VOLUNTEER, pings[-1], "需要帮助")
        alerts = reply.to(GRID.id)
        await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "老人说胸口闷，已打120")
        if alerts:
            await sim.press(GRID, alerts[0], "我来处理")

    out("\n=== 随后 · 工作人员导出本月的关爱走访记录 ===")
    await sim.send(STAFF, staff_chat, "/care_export 本月")
