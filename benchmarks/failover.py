"""Failover: how long people wait when the active instance dies.

Two real `community-bot run` processes share one database and one "Telegram" (a small Bot API
stand-in over HTTP on 127.0.0.1, below). Residents write to the bot all the time; the active
instance is SIGKILLed; the figure is the time from the kill to the first answer the standby
sends. The killed process is started again (as a supervisor would), becomes the new standby,
and the next round kills the other one.

The two act as if on different machines (STANDBY_SAME_MACHINE=0): the standby waits for the
dead one's lease to end (bot/leader.py: LEASE, renewed every RENEW_EVERY), so the figure is
what a two-machine deployment sees. Each process calls the stand-in under its own URL prefix,
which shows who polled: the standby must never call getUpdates.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
GUARD = 120.0  # seconds: a hang, not a measure


class Telegram:
    """Updates wait until an offset confirms them (as Telegram's getUpdates); every call is
    recorded with the name of the process that made it."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.updates: list[dict[str, Any]] = []
        self.next_id = 1
        self.calls: list[tuple[float, str, str, dict[str, Any]]] = []  # (t, who, method, params)

    def push_message(self, user_id: int, text: str) -> None:
        with self.lock:
            update_id = self.next_id
            self.next_id += 1
            person = {"id": user_id, "is_bot": False, "first_name": f"居民{user_id}"}
            self.updates.append(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": update_id,
                        "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private", "first_name": "居民"},
                        "from": person,
                        "text": text,
                        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
                    },
                }
            )
            self.lock.notify_all()

    def answer(self, who: str, method: str, params: dict[str, Any]) -> Any:
        with self.lock:
            self.calls.append((time.monotonic(), who, method, params))
            self.lock.notify_all()
        if method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "社区助手", "username": "ha_bot"}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            timeout = float(params.get("timeout") or 0)
            with self.lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                self.lock.wait_for(lambda: bool(self.updates), min(timeout, 1.0))
                return list(self.updates[:100])
        if method == "sendMessage":
            chat_id = int(params.get("chat_id", 0))
            return {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": params.get("text", ""),
            }
        return True

    def sent_by(self, who: str, after: float = 0.0) -> list[float]:
        with self.lock:
            return [t for t, w, m, _ in self.calls if w == who and m == "sendMessage" and t > after]

    def called(self, who: str, method: str, after: float, before: float) -> int:
        with self.lock:
            return sum(
                1 for t, w, m, _ in self.calls if w == who and m == method and after < t < before
            )

    def serve(self) -> ThreadingHTTPServer:
        telegram = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                # /<who>/bot<token>/<method>
                who, _, rest = self.path.lstrip("/").partition("/")
                method = rest.rsplit("/", 1)[-1]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(body or b"{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                payload = json.dumps({"ok": True, "result": telegram.answer(who, method, params)})
                data = payload.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                return None  # a killed bot's connection breaks: expected here

        server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def start(who: str, port: int, db: str, log: Path) -> subprocess.Popen[bytes]:
    """`db`: an SQLite file or a postgresql:// URL (the real multi-machine setup)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BOT_") and k not in ("DATABASE_URL", "DATABASE_PATH")
    }
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=f"http://127.0.0.1:{port}/{who}/bot",
        STANDBY_SAME_MACHINE="0",
        PYTHONUNBUFFERED="1",
    )
    env["DATABASE_URL" if db.startswith(("postgresql://", "postgres://")) else "DATABASE_PATH"] = db
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _until(telegram: Telegram, ready: Any) -> None:
    with telegram.lock:
        if not telegram.lock.wait_for(ready, GUARD):
            raise AssertionError("the bot did not get there in time (a hang)")


def run(rounds: int, workdir: str | None = None) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(workdir or tmp)
        from benchmarks import target

        db, log = target.database(str(base / "failover.db")), base / "failover.log"
        telegram = Telegram()
        server = telegram.serve()
        port = server.server_address[1]
        stop = threading.Event()

        def residents() -> None:  # someone writes every 50 ms
            n = 0
            while not stop.is_set():
                telegram.push_message(1000 + n % 50, "/start")
                n += 1
                stop.wait(0.05)

        procs: dict[str, subprocess.Popen[bytes]] = {}
        figures: list[float] = []
        standby_polled = 0
        try:
            threading.Thread(target=residents, daemon=True).start()
            procs["a"] = start("a", port, db, log)
            _until(telegram, lambda: any(m == "sendMessage" for _t, _w, m, _p in telegram.calls))
            # The first is active before the second starts (one migrates a new database).
            procs["b"] = start("b", port, db, log)
            since = {"b": time.monotonic()}  # when each became a standby
            active = "a"
            for _round in range(rounds):
                standby = "b" if active == "a" else "a"
                time.sleep(1.0)  # load flowing, the standby waiting
                procs[active].send_signal(signal.SIGKILL)
                killed = time.monotonic()
                # While it stood by, the standby never asked Telegram for updates.
                standby_polled += telegram.called(standby, "getUpdates", since[standby], killed)
                procs[active].wait(timeout=GUARD)
                _until(telegram, lambda s=standby, k=killed: bool(telegram.sent_by(s, k)))
                figures.append(telegram.sent_by(standby, killed)[0] - killed)
                # The supervisor starts the dead one again: the next standby.
                since[active] = time.monotonic()
                procs[active] = start(active, port, db, log)
                active = standby
            time.sleep(1.0)
            last = "b" if active == "a" else "a"
            standby_polled += telegram.called(last, "getUpdates", since[last], time.monotonic())
        finally:
            stop.set()
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            server.shutdown()
        return {
            "rounds": rounds,
            "first_answer_after_kill_s": [round(f, 2) for f in figures],
            "median_s": round(median(figures), 2),
            "max_s": round(max(figures), 2),
            "standby_getupdates_calls": standby_polled,
            "lease_s": _lease(),
            "database": "postgresql" if db.startswith("postgresql://") else "sqlite",
        }


def _lease() -> float:
    from bot.leader import LEASE

    return LEASE
