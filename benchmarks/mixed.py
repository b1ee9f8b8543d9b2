"""Part 2: a realistic mix of updates from a simulated street through the real Application.

Core traffic (help, /start, /grid, /me, registration steps, role commands, group chatter) is
always there. Feature traffic (menu, repairs, quiz, sorting) is added for every feature whose
handler module is wired on this tree; its buttons are discovered by sending the feature's
commands once through the Simulator and replaying the callback data the bot offered.
"""

from __future__ import annotations

import importlib.util
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import updates as U
from benchmarks.feeder import Feeder, set_concurrency, summary
from benchmarks.street import Street, street_simulator
from bot import app as wiring
from bot.simulator import Chat, Person, Reply, Simulator

Raw = dict[str, Any]
Session = list[Raw]

# What each feature module, when wired, contributes: commands sent by residents, and in which
# chat. Buttons found in the replies are pressed by other residents afterwards.
FEATURE_TRAFFIC: dict[str, list[tuple[str, str]]] = {
    "handlers.menu": [("private", "/menu"), ("group", "/menu")],
    "handlers.repairs": [("private", "/repair"), ("private", "/tickets")],
    "handlers.quiz": [("group", "/quiz"), ("group", "/game")],
    "handlers.sorting": [("private", "/sort 电池"), ("group", "/sort 塑料瓶"),
                         ("private", "/sort 过期药品"), ("group", "/sort 不存在的东西")],
    "handlers.reminders": [("private", "/reminders")],
}
TEXT_FOLLOW_UPS: dict[str, list[str]] = {
    "/repair": ["21号楼4单元楼顶漏水", "楼道灯坏了", "楼道门槛低，雨水流进楼道"],
}


class Mix:
    def __init__(self, street: Street, seed: int = 7) -> None:
        self.street = street
        self.rng = random.Random(seed)
        self.new_user = 9_000_000
        self.features: list[str] = []
        self.notes: list[str] = []
        self.feature_buttons: dict[str, list[tuple[str, str]]] = {}  # command → (chat, data)

    # ---- people ------------------------------------------------------------------------------
    def resident(self) -> tuple[dict[str, Any], int, int]:
        uid, community, _b = self.rng.choice(self.street.residents)
        return U.user(uid), community, self.street.groups[community]

    # ---- core sessions -----------------------------------------------------------------------
    def s_help(self) -> Session:
        u, _c, g = self.resident()
        chat = U.private_chat(u["id"]) if self.rng.random() < 0.7 else U.group_chat(g)
        return [U.message(u, chat, "/help", "help")]

    def s_start(self) -> Session:
        u, _c, g = self.resident()
        chat = U.private_chat(u["id"]) if self.rng.random() < 0.7 else U.group_chat(g)
        return [U.message(u, chat, "/start", "start")]

    def s_grid(self) -> Session:
        u, _c, g = self.resident()
        if self.rng.random() < 0.4:
            return [U.message(u, U.group_chat(g), "/grid", "grid_group")]
        return [U.message(u, U.private_chat(u["id"]), "/grid", "grid_private")]

    def s_me(self) -> Session:
        u, _c, _g = self.resident()
        return [U.message(u, U.private_chat(u["id"]), "/me", "me")]

    def s_register(self) -> Session:
        """A new neighbour follows the group's deep link and registers in four steps."""
        self.new_user += 1
        c = self.rng.choice(self.street.communities)
        u = U.user(self.new_user)
        chat = U.private_chat(self.new_user)
        address = f"{self.rng.randint(1, 20)}-{self.rng.randint(1, 4)}-{self.rng.randint(1, 6)}0{self.rng.randint(1, 2)}"
        return [
            U.message(u, chat, f"/start reg-{c}", "register_start"),
            U.message(u, chat, address, "register_address"),
            U.press(u, chat, "1|reg|samename", "register_name"),
            U.press(u, chat, "1|reg|ok", "register_confirm"),
        ]

    def s_roles(self) -> Session:
        c = self.rng.choice(self.street.communities)
        staff = U.user(self.street.staff[c], f"工作人员{c}", f"staff{c}")
        g = U.group_chat(self.street.groups[c])
        vol = self.rng.choice(self.street.volunteers[c])
        verb = self.rng.choice(["/grant", "/revoke"])
        text = f"{verb} @vol{vol} 志愿者" + (" 维修" if verb == "/grant" else "")
        return [U.message(staff, g, text, "roles")]

    def s_chatter(self) -> Session:
        u, _c, g = self.resident()
        return [U.message(u, U.group_chat(g), self.rng.choice(
            ["大家好", "今天停水吗？", "收到", "谢谢社区！", "👍"]), "group_chatter")]

    # ---- features ----------------------------------------------------------------------------
    def s_feature(self) -> Session:
        command = self.rng.choice(list(self.feature_buttons))
        where, _ = next((w, c) for f in self.features for w, c in FEATURE_TRAFFIC[f]
                        if c == command)
        u, _c, g = self.resident()
        chat = U.private_chat(u["id"]) if where == "private" else U.group_chat(g)
        kind = "feature:" + command.split()[0].lstrip("/")
        session = [U.message(u, chat, command, kind)]
        for text in TEXT_FOLLOW_UPS.get(command.split()[0], [])[:1]:
            session.append(U.message(u, chat, text, kind + ":text"))
        buttons = self.feature_buttons[command]
        for _i in range(self.rng.randint(1, 3) if buttons else 0):
            _w, data = self.rng.choice(buttons)
            session.append(U.press(u, chat, data, kind + ":press"))
        return session

    def weights(self) -> list[tuple[Callable[[], Session], float]]:
        out: list[tuple[Callable[[], Session], float]] = [
            (self.s_help, 10), (self.s_start, 6), (self.s_grid, 16), (self.s_me, 14),
            (self.s_register, 6), (self.s_roles, 3), (self.s_chatter, 10),
        ]
        if self.feature_buttons:
            out.append((self.s_feature, 35))
        return out

    def stream(self, n: int) -> list[Raw]:
        """`n` updates: sessions interleaved, each person's steps in order."""
        makers = self.weights()
        fns, weights = [m for m, _ in makers], [w for _, w in makers]
        active: list[list[Raw]] = []
        out: list[Raw] = []
        while len(out) < n:
            if len(active) < 20 or self.rng.random() < 0.3:
                active.append(list(self.rng.choices(fns, weights)[0]()))
            session = self.rng.choice(active)
            out.append(session.pop(0))
            if not session:
                active.remove(session)
        return out


async def discover(sim: Simulator, street: Street, mix: Mix) -> None:
    """Which features are wired here, and which buttons their commands offer."""
    wired = set(wiring.FEATURES)
    for module, traffic in FEATURE_TRAFFIC.items():
        if module not in wired or importlib.util.find_spec(module) is None:
            mix.notes.append(f"{module} not on this tree: its traffic is skipped")
            continue
        mix.features.append(module)
        uid, community, _b = street.residents[0]
        person = Person(uid, f"居民{uid}")
        group = Chat(street.groups[community], "supergroup", "group")
        for where, command in traffic:
            chat = sim.private(person) if where == "private" else group
            try:
                with sim.quiet():
                    reply: Reply = await sim.send(person, chat, command)
                    for text in TEXT_FOLLOW_UPS.get(command.split()[0], [])[:1]:
                        reply.calls += (await sim.send(person, chat, text)).calls
                    await sim.send(person, chat, "/cancel")
            except Exception as exc:  # a feature that breaks must not stop the benchmark
                mix.notes.append(f"{module}: {command} failed in discovery ({exc!r})")
                continue
            if not reply.calls:
                mix.notes.append(f"{module}: {command} gave no reply; skipped")
                continue
            data = [(where, b["callback_data"]) for call in reply.calls for row in call.buttons
                    for b in row if "callback_data" in b]
            mix.feature_buttons[command] = data


async def run(n_saturate: int, n_latency: int, rate: float, *, communities: int = 20,
              households: int = 10_000, concurrent: int = 1) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "street.db")
        sim, street = await street_simulator(path, communities, households)
        try:
            mix = Mix(street)
            await discover(sim, street, mix)
            app = sim.app
            assert app is not None
            set_concurrency(app, concurrent)
            await app.start()
            try:
                feeder = Feeder(app, sim.api)
                await feeder.saturate(mix.stream(min(300, n_saturate)))  # warm-up
                sat = summary(await feeder.saturate(mix.stream(n_saturate)))
                lat_run = await feeder.open_loop(mix.stream(n_latency), rate)
                lat = summary(lat_run)
                kinds: dict[str, int] = {}
                for t in lat_run.tracks:
                    kinds[t.kind] = kinds.get(t.kind, 0) + 1
            finally:
                await app.stop()
        finally:
            await sim.stop()
    return {
        "concurrent_updates": concurrent,
        "saturation_updates_per_s": sat["updates_per_s"],
        "offered_rate": rate,
        "achieved_rate": lat["updates_per_s"],
        "p50_ms": lat["p50_ms"], "p95_ms": lat["p95_ms"], "p99_ms": lat["p99_ms"],
        "max_ms": lat["max_ms"],
        "no_reply_updates": lat["unanswered"],
        "features": mix.features, "notes": mix.notes, "mix": kinds,
    }
