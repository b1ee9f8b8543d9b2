"""Crash anywhere: a scripted load in a child process that the test kills with SIGKILL.

The parent (tests/test_crash.py) sets the scene in-process (`prepare`), then over and over
starts a child on the same database file, lets it run for a random moment and kills it. The
child restarts the bot as after a crash, checks that every pending job is queued again and
plays the plan from the first step that was not acknowledged: residents order from the menu,
file repair requests, volunteers race to accept them, children play the dice game, and the
fake clock moves so scheduled notices go out. Every event is one JSON line on stdout, flushed
at once, so a kill loses nothing the parent was told. After each kill the parent checks the
database against what was acknowledged (`check`).

A user whose action got no answer does it again, as the bot's error message asks; the plan
is written so that doing a step again is what a careful person would do (look at the screen
first), so the invariants stay exact.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sqlite3
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import quiz as quiz_rules
from bot.clock import FakeClock
from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Person, Reply, Simulator
from bot.sorting import Category
from storage.dialect import is_postgres_url, postgres_sql

if TYPE_CHECKING:
    from bot.leader import Leadership

GROUP_ID = -1001
QUIZ_GROUP_ID = -1003
ADMIN_ID = 1
VOLUNTEERS = (Person(30, "张志愿", "zhang_vol"), Person(31, "赵志愿", "zhao_vol"))
KIDS = (Person(201, "小明", "xiaoming"), Person(202, "小红", "xiaohong"))
VOTERS = tuple(Person(300 + n, f"居民{n:02d}", f"res{n:02d}") for n in range(1, 13))
REPAIR_KINDS = ("屋顶漏水", "水管", "电路", "路面")  # all go to the 维修 volunteers
NOTICES = 30
NOTICE_PREFIX = "📢 社区通知\n"
TICK = timedelta(seconds=30)


def _notice_text(n: int) -> str:
    return f"第{n:02d}号通知：请按时参加"


# ---- the scene ---------------------------------------------------------------------------------
async def prepare(db_path: str, seed: int, n_steps: int) -> dict[str, Any]:
    """Community, residents, an open menu round, notices, a game group; returns the plan."""
    from tests.conftest import STAFF, register, say_hello, setup_community
    from tests.test_reminders import make_notice

    sim = Simulator(db_path, admins=(ADMIN_ID,))
    await sim.start()
    try:
        group = sim.group(GROUP_ID, "锡林社区居民群")
        await setup_community(sim, group)
        await say_hello(sim, VOLUNTEERS[1])
        await sim.send(STAFF, group, f"/grant @{VOLUNTEERS[1].username} 志愿者 维修")
        for n, person in enumerate(VOTERS):
            await register(sim, person, f"{1 + n % 3}-{1 + n % 2}-{101 + n}", person.first_name)
        pm = sim.private(STAFF)
        reply = await sim.send(STAFF, pm, "/menu_open")
        reply = await sim.press(STAFF, reply, "下一步")
        reply = await sim.press(STAFF, reply, "截止时间")
        reply = await sim.send(STAFF, pm, "3天后")
        reply = await sim.press(STAFF, reply, "发布到群")
        round_id = int(await sim.rt.db.fetchval("SELECT id FROM menu_rounds WHERE status='open'"))
        items = [
            r["name"]
            for r in await sim.rt.db.fetchall(
                "SELECT name FROM menu_items WHERE round_id = ? AND removed = 0 ORDER BY position",
                (round_id,),
            )
        ]
        k = int(
            await sim.rt.db.fetchval("SELECT max_picks FROM menu_rounds WHERE id = ?", (round_id,))
        )
        start = sim.clock.now().astimezone(sim.config.tz)
        for n in range(1, NOTICES + 1):
            at = start + timedelta(minutes=2 + 3 * n)
            await make_notice(sim, _notice_text(n), f"今天 {at.hour}:{at.minute:02d}")
        quiz_group = sim.group(QUIZ_GROUP_ID, "小小分类员")
        sim.make_group_admin(quiz_group, STAFF)
        await sim.send(STAFF, quiz_group, "/quiz_timeout 600")
        now = sim.clock.now().timestamp()
    finally:
        await sim.stop()
    return {
        "seed": seed,
        "round": round_id,
        "items": items,
        "k": k,
        "now": now,
        "steps": plan_steps(random.Random(seed), n_steps, len(items), k),
    }


def plan_steps(rng: random.Random, n: int, n_items: int, k: int) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    filed: list[str] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.35:
            picks = sorted(rng.sample(range(n_items), rng.randint(1, k)))
            steps.append({"do": "order", "who": rng.randrange(len(VOTERS)), "picks": picks})
        elif roll < 0.47:
            tag = f"T{i}"
            filed.append(tag)
            steps.append(
                {
                    "do": "file",
                    "who": rng.randrange(len(VOTERS)),
                    "tag": tag,
                    "kind": rng.choice(REPAIR_KINDS),
                }
            )
        elif roll < 0.57 and filed:
            tag = filed.pop(rng.randrange(len(filed)))
            steps.append({"do": "take", "tag": tag, "first": rng.randrange(2)})
        elif roll < 0.82:
            steps.append({"do": "game", "dice": rng.randint(1, 6), "wrong": rng.random() < 0.2})
        else:
            steps.append({"do": "tick"})
    return steps


# ---- the child ---------------------------------------------------------------------------------
def emit(event: str, **data: Any) -> None:
    sys.stdout.write(json.dumps({"e": event, **data}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class StepFailed(AssertionError):
    pass


class Child:
    def __init__(
        self, sim: Simulator, plan: dict[str, Any], resume: dict[str, Any] | None = None
    ) -> None:
        self.sim = sim
        self.plan = plan
        self.resume = resume  # the screen the first step's person still has from before
        self.step_no = -1
        self.group = sim.group(GROUP_ID, "锡林社区居民群")
        self.quiz_group = sim.group(QUIZ_GROUP_ID, "小小分类员")
        self.items: list[str] = plan["items"]

    async def advance(self, delta: timedelta) -> None:
        emit("clock", t=(self.sim.clock.now() + delta).timestamp())
        await self.sim.advance(delta)

    def show(self, call: ApiCall | None) -> None:
        """Tell the parent which screen this person now has (the next life may resume it)."""
        if call is None or call.chat_id is None or call.message_id is None:
            return
        message = self.sim.api.messages.get((call.chat_id, call.message_id))
        if message is not None and message.get("reply_markup"):
            emit("screen", i=self.step_no, message=message)

    def resumed(self) -> ApiCall | None:
        """The screen a person still has from before the crash, shown in this life's Telegram."""
        if self.resume is None:
            return None
        message, self.resume = dict(self.resume), None
        # A fresh id in this life's fake Telegram, so no new message overwrites it.
        message["message_id"] = self.sim.api.new_message_id()
        key = (message["chat"]["id"], message["message_id"])
        self.sim.api.messages[key] = message
        return self.sim.current(ApiCall("message", {"chat_id": key[0], "message_id": key[1]}))

    async def order(self, step: dict[str, Any]) -> dict[str, Any]:
        person = VOTERS[step["who"]]
        wanted = {self.items[n] for n in step["picks"]}
        # After a crash the person goes on with the screen they have, as people do.
        screen = self.resumed()
        if screen is None:
            reply = await self.sim.send(
                person, self.sim.private(person), f"/start menu-{self.plan['round']}"
            )
            screen = reply.last_with_buttons()
            if screen is None:
                raise StepFailed(f"no order screen: {reply.text!r}")
            self.show(screen)
        for _ in range(2 * len(self.items)):
            buttons = [b for row in self.sim.current(screen).buttons for b in row]
            # Look at the screen like a person: un-pick first, so the K limit never bites.
            wrong = sorted(
                (
                    b
                    for b in buttons
                    if b["text"][:1] in "☑☐"
                    and (b["text"].startswith("☑") != (b["text"][2:] in wanted))
                ),
                key=lambda b: not b["text"].startswith("☑"),
            )
            if not wrong:
                break
            await self.sim.press(person, screen, data=wrong[0]["callback_data"])
            self.show(screen)
        confirmed = self.sim.current(screen)
        ticks = sorted(
            b["text"][2:] for row in confirmed.buttons for b in row if b["text"].startswith("☑")
        )
        reply = await self.sim.press(person, confirmed, "确认点单")
        if not any(w in reply.text for w in ("点单成功", "点单已更新")):
            raise StepFailed(f"order not confirmed: {reply.text!r} {reply.alerts()}")
        saved = await self.sim.rt.db.fetchall(
            "SELECT i.name FROM menu_orders o JOIN menu_picks p ON p.order_id = o.id "
            "JOIN menu_items i ON i.id = p.item_id WHERE o.round_id = ? AND o.voter = "
            "(SELECT 'h' || household_id FROM residents WHERE user_id = ?)",
            (self.plan["round"], person.id),
        )
        return {
            "who": person.id,
            "picks": sorted(wanted),
            "ticks": ticks,
            "saved": sorted(r["name"] for r in saved),
        }

    async def file(self, step: dict[str, Any]) -> dict[str, Any]:
        person = VOTERS[step["who"]]
        chat = self.sim.private(person)
        text = f"楼里有问题，请来看看 [{step['tag']}]"
        # After a crash the person first goes on with the buttons they have; a screen the bot
        # no longer holds is refused and they start again.
        reply = await self.resume_filing(person)
        if reply is None:
            await self.sim.send(person, chat, "/cancel")  # whatever was half done before
            reply = await self.sim.send(person, chat, "/repair")
            reply = await self.sim.press(person, reply, step["kind"])
            reply = await self.sim.press(person, reply, "我家这个单元")
            if "我也遇到了" in reply.text:
                reply = await self.sim.press(person, reply, "继续报修")
            reply = await self.sim.send(person, chat, text)
            self.show(reply.last_with_buttons())
            for label in ("跳过", "不可以", "提交报修"):
                reply = await self.sim.press(person, reply, label)
                self.show(reply.last_with_buttons())
        found = re.search(r"#(\d+)", reply.text)
        if found is None or "已提交" not in reply.text:
            raise StepFailed(f"filing not confirmed: {reply.text!r}")
        return {"tag": step["tag"], "ticket": int(found.group(1)), "who": person.id, "text": text}

    async def resume_filing(self, person: Person) -> Reply | None:
        screen = self.resumed()
        if screen is None:
            return None
        labels = ("跳过", "不可以", "提交报修")
        texts = [b.get("text", "") for row in screen.buttons for b in row]
        start = next((n for n, label in enumerate(labels) if any(label in t for t in texts)), None)
        if start is None:
            return None
        source: ApiCall | Reply = screen
        for n, label in enumerate(labels[start:], start=start):
            try:
                reply = await self.sim.press(person, source, label)
            except AssertionError:  # the screen had moved on without this button
                return None
            self.show(reply.last_with_buttons())
            following = labels[n + 1] if n + 1 < len(labels) else None
            if following is None:
                # Refused ("这个按钮已失效"): not the bot's screen any more; start again.
                return reply if "已提交" in reply.text else None
            if not any(following in b.get("text", "") for b in self.buttons(reply)):
                return None
            source = reply
        return None

    @staticmethod
    def buttons(reply: Reply) -> list[dict[str, Any]]:
        call = reply.last_with_buttons()
        return [b for row in call.buttons for b in row] if call is not None else []

    async def take(self, step: dict[str, Any]) -> dict[str, Any]:
        # The volunteers press 接单 on the offer they were sent (rebuilt after a restart).
        tid = await self.sim.rt.db.fetchval(
            "SELECT min(id) FROM repair_tickets WHERE description LIKE ?", (f"%[{step['tag']}]%",)
        )
        if tid is None:
            raise StepFailed(f"no ticket for {step['tag']}")
        order = VOLUNTEERS if step["first"] == 0 else VOLUNTEERS[::-1]
        got: dict[str, bool] = {}
        said: list[str] = []
        for volunteer in order:
            reply = await self.sim.press(
                volunteer, None, data=f"1|rq|acc|{tid}", chat=self.sim.private(volunteer)
            )
            alerts = reply.alerts()
            if not alerts:
                raise StepFailed(f"accept not answered: {reply.text!r}")
            got[str(volunteer.id)] = alerts[0] == "好的"
            said.append(alerts[0])
        return {"ticket": int(tid), "ok": got, "said": said}

    async def game(self, step: dict[str, Any]) -> dict[str, Any]:
        sim, db, chat = self.sim, self.sim.rt.db, self.quiz_group
        row = await db.fetchone(
            "SELECT * FROM quiz_games WHERE chat_id = ? AND status = 'active'", (chat.id,)
        )
        if row is None:
            await sim.send(KIDS[0], chat, "/quiz")
            return {"opened": True}
        gid = row["id"]
        game = quiz_rules.Game.from_dict(json.loads(row["state"]))
        if game.phase == quiz_rules.LOBBY:
            for kid in KIDS:
                if game.player(kid.id) is None:
                    await sim.press(kid, None, data=f"1|qz|j|{gid}", chat=chat)
            await sim.press(KIDS[0], None, data=f"1|qz|s|{gid}", chat=chat)
            return {"started": gid}
        player = game.current_player
        if player is None:
            raise StepFailed(f"game {gid} in {game.phase} without a current player")
        kid = next(k for k in KIDS if k.id == player.user_id)
        turn = game.turn_no
        if game.phase == quiz_rules.AWAIT_ROLL:
            sim.api.dice_values.append(step["dice"])
            await sim.press(kid, None, data=f"1|qz|r|{gid}|{turn}", chat=chat)
            await self.advance(timedelta(seconds=4))
            row = await db.fetchone("SELECT * FROM quiz_games WHERE id = ?", (gid,))
            game = quiz_rules.Game.from_dict(json.loads(row["state"]))
        if game.phase != quiz_rules.AWAIT_ANSWER or game.turn_no != turn:
            raise StepFailed(f"game {gid} turn {turn}: no question after the roll ({game.phase})")
        item = game.item_at(game.current_player.position)  # type: ignore[union-attr]
        assert item is not None
        choice = item.category
        if step["wrong"]:
            choice = next(c for c in Category if c != item.category)
        emit("try", game=gid, turn=turn, player=kid.id)
        reply = await sim.press(kid, None, data=f"1|qz|a|{gid}|{turn}|{choice.value}", chat=chat)
        if not any(("✅" in t or "❌" in t) for t in reply.texts):
            raise StepFailed(f"answer not shown: {reply.text!r} {reply.alerts()}")
        return {"game": gid, "turn": turn, "player": kid.id}

    async def tick(self, step: dict[str, Any]) -> dict[str, Any]:
        await self.advance(TICK)
        return {}

    async def run(self, start: int, stop: int) -> None:
        steps = self.plan["steps"]
        for i in range(start, min(stop, len(steps))):
            step = steps[i]
            self.step_no = i
            emit("begin", i=i, do=step["do"])
            result = await getattr(self, step["do"])(step)
            emit("ack", i=i, do=step["do"], **result)
            # No explicit save: the bot writes conversation state and drafts itself, before
            # it replies and after each update (bot/saving.py).


async def pending_not_queued(sim: Simulator) -> list[int]:
    """Pending jobs due within the scheduler's window that are not in the JobQueue."""
    from bot.scheduler import WINDOW

    horizon = (sim.clock.now() + WINDOW).timestamp()
    rows = await sim.rt.db.fetchall(
        "SELECT id FROM jobs WHERE status = 'pending' AND run_at <= ?", (horizon,)
    )
    queued = set(sim.rt.scheduler._queued)
    return [r["id"] for r in rows if r["id"] not in queued]


async def child_main(
    db_path: str,
    plan: dict[str, Any],
    start: int,
    now: float,
    stop: int,
    finish: bool,
    resume: dict[str, Any] | None = None,
    standby: bool = False,
) -> int:
    leader = None
    if standby:
        # One of two processes on this database (tests/test_failover.py): wait for the lease,
        # then learn from the parent where the people are (what the dead one left undone).
        leader = await become_active(db_path)
        orders = json.loads(await asyncio.to_thread(sys.stdin.readline))
        start, now, resume = orders["start"], orders["now"], orders.get("resume")
    sim = Simulator(db_path, admins=(ADMIN_ID,), clock=FakeClock(datetime.fromtimestamp(now, UTC)))

    def record(call: ApiCall) -> None:  # what reached "Telegram", before the bot hears back
        if call.method == "sendMessage" and call.chat_id is not None and call.chat_id < 0:
            emit("sent", chat=call.chat_id, text=call.text)

    sim.api.listeners.append(record)
    # Restart on the same file, as a supervisor would after the crash.
    await sim.start()
    if leader is not None:
        sim.rt.scheduler.holder = leader.holder
        keep_active(leader, sim)
    emit("ready", missing=await pending_not_queued(sim))
    await sim.rt.scheduler.run_due()  # what the JobQueue does first: run what is overdue
    child = Child(sim, plan, resume)
    try:
        await child.run(start, stop)
        if finish:  # time passes: every notice, deadline and escalation comes due
            for _tick in range(int(timedelta(hours=2) / TICK)):
                await child.advance(TICK)
            for _hour in range(24 * 4):
                await child.advance(timedelta(hours=1))
    except StepFailed as exc:
        emit("failed", error=str(exc))
        return 1
    await sim.stop()
    if leader is not None:
        for task in _kept:
            task.cancel()
        await leader.release()
        await leader.db.close()  # its thread would keep the process from exiting
    emit("done")
    return 0


async def become_active(db_path: str) -> Leadership:
    from bot.leader import Leadership
    from storage.db import connect

    # The SQLite file or a PostgreSQL URL; as `run`, the lease connection never migrates.
    lease_db = connect(db_path, migrate=False)
    await lease_db.open()
    # As if on two machines: the standby cannot see the active one's process die.
    leader = Leadership(lease_db, same_machine=False)
    emit("standby", holder=leader.holder)
    await leader.wait()
    emit("active", holder=leader.holder)
    return leader


_kept: set[asyncio.Task[None]] = set()


def keep_active(leader: Leadership, sim: Simulator) -> None:
    """Renew the lease (and the job leases); fenced at once, as `run` is, when it is lost."""

    async def keep() -> None:
        why = await leader.hold(on_renewed=sim.rt.scheduler.renew_claims)
        emit("fenced", why=why)
        os._exit(75)

    task = asyncio.create_task(keep())
    _kept.add(task)


# ---- the parent's bookkeeping and checks -------------------------------------------------------
@dataclass
class Journal:
    """Everything the children said, across every run."""

    acks: dict[int, dict[str, Any]] = field(default_factory=dict)
    begins: Counter[int] = field(default_factory=Counter)
    tries: set[tuple[int, int, int]] = field(default_factory=set)
    sent: Counter[tuple[int, str]] = field(default_factory=Counter)
    clock: float = 0.0
    missing: list[list[int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # The last screen with buttons each step left its person (resumed after a kill).
    screens: dict[int, dict[str, Any]] = field(default_factory=dict)
    resumed: int = 0  # lives that began by pressing on a screen from before the kill
    done: bool = False

    def read(self, line: str) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return  # a line cut by the kill
        kind = event.pop("e")
        if kind == "begin":
            self.begins[event["i"]] += 1
        elif kind == "ack":
            self.acks[event["i"]] = event
        elif kind == "screen":
            self.screens[event["i"]] = event["message"]
        elif kind == "try":
            self.tries.add((event["game"], event["turn"], event["player"]))
        elif kind == "sent":
            # A notice is one message; a late one carries a note on its last line.
            self.sent[(event["chat"], "\n".join(event["text"].split("\n")[:2]))] += 1
        elif kind == "clock":
            self.clock = max(self.clock, event["t"])
        elif kind == "ready":
            self.missing.append(event["missing"])
        elif kind == "failed":
            self.failures.append(event["error"])
        elif kind == "done":
            self.done = True

    def next_step(self) -> int:
        return max(self.acks, default=-1) + 1

    def resume_screen(self) -> dict[str, Any] | None:
        """The screen of the step a kill cut short, which its person would press on."""
        step = self.next_step()
        return self.screens.get(step) if self.begins[step] else None


def _reader(db_path: str) -> tuple[Any, Callable[..., Any]]:
    """A read-only connection to the crash database and its `execute` (SQLite spelling)."""
    if is_postgres_url(db_path):
        import psycopg

        from storage.pg import _row_factory

        pg = psycopg.connect(db_path, autocommit=True, row_factory=_row_factory)

        def run(sql: str, params: Any = ()) -> Any:
            return pg.execute(postgres_sql(sql), list(params))

        return pg, run
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn, conn.execute


def check(
    db_path: str, plan: dict[str, Any], journal: Journal, *, final: bool = False
) -> list[str]:
    """Every invariant the issue names; returns the violations (empty when all hold)."""
    problems: list[str] = list(journal.failures)
    steps = plan["steps"]
    conn, q = _reader(db_path)
    try:
        if (
            not is_postgres_url(db_path)
            and (ok := q("PRAGMA integrity_check").fetchone()[0]) != "ok"
        ):
            problems.append(f"integrity_check: {ok}")
        for n, missing in enumerate(journal.missing):
            if missing:
                problems.append(f"run {n}: pending jobs not queued again: {missing}")

        # Menu: one order per household, holding what its last acknowledged order said.
        household = {
            r["user_id"]: f"h{r['household_id']}"
            for r in q("SELECT user_id, household_id FROM residents")
        }
        picks: dict[str, set[str]] = defaultdict(set)
        for r in q(
            "SELECT o.voter, i.name FROM menu_orders o JOIN menu_picks p "
            "ON p.order_id = o.id JOIN menu_items i ON i.id = p.item_id "
            "WHERE o.round_id = ?",
            (plan["round"],),
        ):
            picks[r["voter"]].add(r["name"])
        for r in q(
            "SELECT voter, count(*) AS n FROM menu_orders WHERE round_id = ? "
            "GROUP BY voter HAVING count(*) > 1",
            (plan["round"],),
        ):
            problems.append(f"household {r['voter']} counted {r['n']} times")
        for who in range(len(VOTERS)):
            person = VOTERS[who]
            mine = [
                i
                for i, s in enumerate(steps)
                if s["do"] == "order" and s["who"] == who and journal.begins[i]
            ]
            acked = [i for i in mine if i in journal.acks]
            if not acked:
                continue
            last = acked[-1]
            allowed = [
                {plan["items"][n] for n in steps[i]["picks"]}
                for i in [last] + [i for i in mine if i > last]
            ]
            have = picks.get(household[person.id], set())
            if have not in allowed:
                problems.append(
                    f"{person.first_name}: order {sorted(have)} but acknowledged "
                    f"{sorted(allowed[0])} (step {last})"
                )

        # Every confirmed order is what the confirmed screen showed ticked, and those ticks are
        # what the database saved at that moment (not an older draft's).
        for i, ack in sorted(journal.acks.items()):
            if ack["do"] != "order" or "ticks" not in ack:
                continue
            if ack["ticks"] != ack["picks"]:
                problems.append(f"step {i}: confirmed a screen showing {ack['ticks']}")
            if ack["saved"] != ack["ticks"]:
                problems.append(
                    f"step {i}: confirmed the ticks {ack['ticks']} but {ack['saved']} were saved"
                )

        # Repairs: every acknowledged request is there; one attempt files at most one; every
        # "已提交 #N" names the request holding the text the resident sent in that form.
        for ack in journal.acks.values():
            if ack["do"] != "file":
                continue
            row = q(
                "SELECT reporter_id, description FROM repair_tickets WHERE id = ?",
                (ack["ticket"],),
            ).fetchone()
            if row is None or f"[{ack['tag']}]" not in row["description"]:
                problems.append(
                    f"acknowledged request #{ack['ticket']} ({ack['tag']}) lost; "
                    f"#{ack['ticket']} is {row and tuple(row)}"
                )
            elif "text" in ack and (
                row["description"] != ack["text"] or row["reporter_id"] != ack["who"]
            ):
                problems.append(
                    f"'已提交 #{ack['ticket']}' for {ack['text']!r} by {ack['who']}, "
                    f"but #{ack['ticket']} holds {row['description']!r} by {row['reporter_id']}"
                )
        for i, step in enumerate(steps):
            if step["do"] == "file" and journal.begins[i]:
                n = q(
                    "SELECT count(*) FROM repair_tickets WHERE description LIKE ?",
                    (f"%[{step['tag']}]%",),
                ).fetchone()[0]
                if n > journal.begins[i]:
                    problems.append(f"{step['tag']}: {n} requests from {journal.begins[i]} tries")
        # Exactly one assignee, and it is the volunteer who was told "好的".
        for r in q(
            "SELECT ticket_id, count(*) AS n FROM repair_history "
            "WHERE to_status = 'assigned' GROUP BY ticket_id HAVING count(*) > 1"
        ):
            problems.append(f"request #{r['ticket_id']} assigned {r['n']} times")
        winners: dict[int, set[int]] = defaultdict(set)
        for ack in journal.acks.values():
            if ack["do"] == "take":
                winners[ack["ticket"]].update(int(v) for v, ok in ack["ok"].items() if ok)
        for tid, who in winners.items():
            row = q("SELECT assignee_id FROM repair_tickets WHERE id = ?", (tid,)).fetchone()
            # No winner acknowledged: an attempt cut by a kill may have taken it unseen.
            expected = who or {v.id for v in VOLUNTEERS}
            if len(who) > 1 or row is None or row["assignee_id"] not in expected:
                said = [
                    a["said"]
                    for a in journal.acks.values()
                    if a["do"] == "take" and a["ticket"] == tid
                ]
                problems.append(
                    f"request #{tid}: told {sorted(who)} they took it, "
                    f"assignee is {row and row['assignee_id']}; said {said}"
                )

        # Game: every acknowledged move is in the game, none applied twice, no game stuck.
        games = {r["id"]: r for r in q("SELECT * FROM quiz_games")}
        done_moves: dict[tuple[int, int], int] = Counter()
        for ack in journal.acks.values():
            if ack["do"] != "game" or "turn" not in ack:
                continue
            done_moves[(ack["game"], ack["player"])] += 1
            state = json.loads(games[ack["game"]]["state"])
            if games[ack["game"]]["status"] == "active" and state["turn_no"] <= ack["turn"]:
                problems.append(f"game {ack['game']}: acknowledged turn {ack['turn']} undone")
        tried: Counter[tuple[int, int]] = Counter((g, p) for g, _t, p in journal.tries)
        for gid, row in games.items():
            state = json.loads(row["state"])
            for p in state["players"]:
                answered = p["right"] + p["wrong"]
                lo, hi = done_moves[(gid, p["user_id"])], tried[(gid, p["user_id"])]
                if not lo <= answered <= hi:
                    problems.append(
                        f"game {gid} player {p['user_id']}: {answered} answers, "
                        f"{lo} acknowledged, {hi} tried"
                    )
            if row["status"] != "active":
                continue
            keys = (
                {f"quiz_lobby:{gid}"}
                if state["phase"] == quiz_rules.LOBBY
                else {
                    f"quiz_turn:{gid}:{state['turn_no']}",
                    f"quiz_reveal:{gid}:{state['turn_no']}",
                }
            )
            live = q(
                "SELECT count(*) FROM jobs WHERE status IN ('pending', 'running') AND key IN "
                f"({','.join('?' * len(keys))})",
                tuple(keys),
            ).fetchone()[0]
            if not live:
                problems.append(f"game {gid} is stuck in {state['phase']}: no timer pending")

        # Notices: none sent twice; once everything is due, each went out (or its one send
        # was cut by a kill and is recorded as such).
        for (chat, text), n in journal.sent.items():
            if text.startswith(NOTICE_PREFIX) and n > 1:
                problems.append(f"notice sent {n} times to {chat}: {text!r}")
        if final:
            for n in range(1, NOTICES + 1):
                text = NOTICE_PREFIX + _notice_text(n)
                if journal.sent[(GROUP_ID, text)] == 1:
                    continue
                cut = q(
                    "SELECT count(*) FROM sends s JOIN notices n ON s.send_key LIKE "
                    "'n' || n.id || ':%' WHERE n.text = ? AND s.status = 'claimed'",
                    (_notice_text(n),),
                ).fetchone()[0]
                if not cut:
                    problems.append(f"notice {n} never sent")
            overdue = q(
                "SELECT id, kind, key FROM jobs WHERE status IN ('pending', 'running') "
                "AND run_at <= ?",
                (journal.clock,),
            ).fetchall()
            if overdue:
                problems.append(f"jobs left behind: {[tuple(r) for r in overdue]}")
            if (
                q("SELECT status FROM menu_rounds WHERE id = ?", (plan["round"],)).fetchone()[0]
                != "closed"
            ):
                problems.append("the menu round did not close at its deadline")
    finally:
        conn.close()
    return problems


def main(argv: list[str]) -> int:
    db_path, plan_path, start, now, stop = argv[:5]
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    resume = None
    for arg in argv[5:]:
        if arg.startswith("--resume="):
            resume = json.loads(Path(arg.split("=", 1)[1]).read_text(encoding="utf-8"))
    return asyncio.run(
        child_main(
            db_path,
            plan,
            int(start),
            float(now),
            int(stop),
            "--finish" in argv,
            resume,
            standby="--standby" in argv,
        )
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
