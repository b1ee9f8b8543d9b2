"""Demo scene: the street office's web dashboard. Staff send /dashboard in private and get a
one-time sign-in link (and, on an https address, a button that opens it inside Telegram);
the scene then signs in with that link as a browser would and prints what the pages show.

Assumptions: as after the other scenes (a community with staff 孙晓军, id 10). The demo has no
web server: the scene calls the same workflows the pages call (bot/workflows/dashboard.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from bot import dashboard as rules
from bot.offline.simulator import Person, Simulator
from bot.workflows import dashboard as flow

STAFF = Person(10, "孙晓军", "sun_staff")
GRID = Person(20, "李网格", "li_grid")
DEMO_URL = "https://dash.example.org"


async def scene(sim: Simulator, out: Callable[[str], Any]) -> None:
    rt = sim.rt
    rt.config = dataclasses.replace(rt.config, dashboard_url=DEMO_URL)
    out("\n=== 傍晚 · 工作人员在手机上打开网页看板，准备明天的居民会议 ===")
    reply = await sim.send(STAFF, sim.private(STAFF), "/dashboard")
    links = [
        b.get("url", "")
        for call in reply.calls
        for row in call.buttons
        for b in row
        if b.get("url", "").startswith(DEMO_URL)
    ]
    if not links:
        return
    signed = await flow.redeem_link(rt, links[0].split("t=", 1)[1])
    again = await flow.redeem_link(rt, links[0].split("t=", 1)[1])
    out(
        f"（浏览器打开链接：{'已登录' if signed else '被拒绝'}；同一链接再打开一次：{'已登录' if again else '被拒绝，链接只能用一次'}）"
    )
    if signed is None:
        return
    for community, seen in await flow.communities(rt, signed.user_id):
        out(f"〔看板 · {community['name']}〕")
        for view in await flow.menu_page(rt, seen, None):
            top = "、".join(i.name for i in view.results.items[:3])
            out(f"  第 {view.round['id']} 轮点单 前三：{top}")
            for t in view.turnout:
                out(
                    f"  {t.building} 号楼：已点单 {t.ordered}/{t.households} 户（{rules.percent(t.share)}）"
                )
        repairs = await flow.repairs_page(rt, seen, rules.TicketFilter())
        out(
            f"  报修：未完成 {repairs.stats.open}，已超时 {repairs.stats.overdue}，共 {repairs.stats.total}"
        )
        care = await flow.care_page(rt, seen)
        out(f"  关爱走访：需要跟进 {len(care.alerts)} 次")
    refused = await flow.issue_link(rt, 999_999)
    out(f"（没有职务的人发 /dashboard：{'不给链接' if refused.refused else '给了链接'}）")
