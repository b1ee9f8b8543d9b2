"""Demo scene: a meeting notice with 参加/不参加 and its reminder, a care-visit ping and a
"needs help" alert.

Assumptions (as after tests/conftest.setup_community): a group chat -1001 is linked to
锡林社区; STAFF (id 10, @sun_staff) is staff, GRID (id 20) is grid worker for buildings 1-30,
VOLUNTEER (id 30, @zhang_vol) is a volunteer; residents 王阿姨 (101) and 刘大爷 (102) exist.
All of them have said hello to the bot in private. The clock is the simulator's FakeClock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.simulator import Person, Simulator

STAFF = Person(10, "孙晓军", "sun_staff")
VOLUNTEER = Person(30, "张志愿", "zhang_vol")
WANG = Person(101, "王阿姨", "wang_ayi")
LIU = Person(102, "刘大爷", "liu_dy")
GROUP_ID = -1001


async def scene(sim: Simulator, out: Callable[[str], Any]) -> None:
    group = sim.group(GROUP_ID, "锡林社区居民群")
    staff_chat = sim.private(STAFF)
    out("— 工作人员新建会议通知 —")
    reply = await sim.send(STAFF, staff_chat, "/remind")
    reply = await sim.press(STAFF, reply, "锡林社区居民群")
    reply = await sim.press(STAFF, reply, "会议通知")
    reply = await sim.send(STAFF, staff_chat, "居民代表会议：商量改造菜单，地点社区活动室")
    reply = await sim.send(STAFF, staff_chat, "明天 19:00")
    out(reply.text)
    reply = await sim.press(STAFF, reply, "确认")
    out(reply.text)
    reply = await sim.advance(timedelta(seconds=1))
    announce = reply.to(group.id)
    for call in announce:
        out(f"[群] {call.text}")
    if announce:
        out(f"王阿姨点“参加”：{(await sim.press(WANG, announce[0], '参加')).alerts()}")
        out(f"刘大爷点“不参加”：{(await sim.press(LIU, announce[0], '不参加')).alerts()}")
    reply = await sim.advance(timedelta(hours=33))  # to an hour before the meeting
    for call in reply.to(group.id):
        out(f"[群] {call.text}")
    out("— 关爱走访 —")
    reply = await sim.send(STAFF, staff_chat,
                           f"/care_add 张奶奶 21-4-302 每周两次 @{VOLUNTEER.username}")
    out(reply.text)
    reply = await sim.advance(timedelta(days=1, hours=15))  # Monday 09:00
    pings = reply.to(VOLUNTEER.id)
    for call in pings:
        out(f"[私聊 志愿者] {call.text}")
    if pings:
        reply = await sim.press(VOLUNTEER, pings[-1], "需要帮助")
        for call in reply.calls:
            if call.method == "sendMessage":
                out(f"[私聊 {call.chat_id}] {call.text}")
        reply = await sim.send(VOLUNTEER, sim.private(VOLUNTEER), "老人说胸口闷，已打120")
        for call in reply.calls:
            out(f"[私聊 {call.chat_id}] {call.text}")
