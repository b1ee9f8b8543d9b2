"""Start compose.yaml for real against a fake Telegram and kill the active bot.

    python deploy/compose_smoke.py            # from the repository root, dockerd running
    python deploy/compose_smoke.py --down     # and remove the stack and its volumes after

Offline: the fake Bot API (benchmarks/failover.py's `Telegram`) listens on the host and the
overlay deploy/compose.fake-telegram.yaml points both bots at it, each under its own prefix
(bot-a, bot-b), so the fake sees which one polled and which one answered. It checks: PostgreSQL
healthy, every migration applied once, exactly one instance active (`community-bot status`),
the standby never calls getUpdates, a /start is answered; then `docker kill` of the active
container and the time until the other one answers a resident's /start. Needs POSTGRES_PASSWORD
(any value) and deploy/bot.env (the overlay replaces its token and API URL).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.failover import Telegram  # noqa: E402

COMPOSE = [
    *("docker", "compose", "--ansi", "never"),
    *("-f", "compose.yaml", "-f", "deploy/compose.fake-telegram.yaml"),
]
# What the bots log about leases and migrations (the rest is job chatter).
TOLD = ("bot.serve", "bot.leader", "storage.pg", "bot.app", "Error", "Traceback")
CONTAINER = {"bot-a": "bot", "bot-b": "bot-standby"}  # URL prefix -> compose service
GUARD = 180.0


def sh(*args: str, check: bool = True, only: tuple[str, ...] = ()) -> str:
    print("$", " ".join(args), flush=True)
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    out = (done.stdout + done.stderr).replace("\x1b[2K", "").strip()
    if only:
        out = "\n".join(line for line in out.splitlines() if any(w in line for w in only))
    if out:
        print("  " + out.replace("\n", "\n  "), flush=True)
    if check and done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(args)}")
    return out


def serve(telegram: Telegram, port: int) -> ThreadingHTTPServer:
    """The failover benchmark's fake on all addresses, so containers reach it."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            who, _, rest = self.path.lstrip("/").partition("/")
            method = rest.rsplit("/", 1)[-1]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Type", "").startswith("application/json"):
                params = json.loads(body or b"{}")
            else:
                params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            data = json.dumps({"ok": True, "result": telegram.answer(who, method, params)})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data.encode())))
            self.end_headers()
            self.wfile.write(data.encode())

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            return None  # a killed bot's connection breaks: expected

    server = Server(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def answered(telegram: Telegram, user: int, after: float) -> tuple[float, str] | None:
    with telegram.lock:
        for t, who, method, params in telegram.calls:
            if method == "sendMessage" and t > after and int(params.get("chat_id", 0)) == user:
                return t, who
    return None


def ask(telegram: Telegram, first_user: int, after: float) -> tuple[float, str, int]:
    """A new resident writes /start every 0.5 s until one is answered: (when, who, user)."""
    user = first_user
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        telegram.push_message(user, "/start")
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            for asked in range(first_user, user + 1):
                hit = answered(telegram, asked, after)
                if hit:
                    return hit[0], hit[1], asked
            time.sleep(0.02)
        user += 1
    raise SystemExit("no answer within the guard time")


def wait_healthy(service: str) -> None:
    deadline = time.monotonic() + GUARD
    cid = sh(*COMPOSE, "ps", "-q", service)
    while time.monotonic() < deadline:
        status = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Health.Status}}", cid],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if status == "healthy":
            print(f"  {service}: healthy", flush=True)
            return
        time.sleep(1)
    raise SystemExit(f"{service} not healthy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", action="store_true", help="remove the stack and volumes after")
    args = parser.parse_args()
    os.environ.setdefault("FAKE_TELEGRAM_PORT", "18081")
    if not os.environ.get("POSTGRES_PASSWORD"):
        raise SystemExit("set POSTGRES_PASSWORD (any value for this test)")
    telegram = Telegram()
    server = serve(telegram, int(os.environ["FAKE_TELEGRAM_PORT"]))
    try:
        sh(*COMPOSE, "build", "--quiet")
        sh(*COMPOSE, "up", "-d")
        wait_healthy("postgres")
        started = time.monotonic()
        t, active, user = ask(telegram, 1001, started)
        print(f"  /start from {user} answered by {active} {t - started:.1f} s after `up`")
        time.sleep(3)  # both have started; the standby has had time to (wrongly) poll
        sh(*COMPOSE, "exec", "-T", "bot", "community-bot", "status")
        sh(*COMPOSE, "logs", "bot", "bot-standby", check=False, only=TOLD)
        sh(
            *COMPOSE,
            "exec",
            "-T",
            "postgres",
            "psql",
            "-U",
            "bot",
            "-d",
            "community",
            "-Atc",
            "SELECT 'schema_version ' || version FROM schema_version",
        )
        standby = "bot-b" if active == "bot-a" else "bot-a"
        polled = {w: telegram.called(w, "getUpdates", 0, time.monotonic()) for w in CONTAINER}
        print(f"  getUpdates calls so far: {polled}")
        if polled[standby]:
            raise SystemExit(f"the standby {standby} polled Telegram")

        # 1. `docker kill` of the active container (a machine gone). Docker does not restart
        # a container killed by hand: start it again as a supervisor would, it must stand by.
        cid = sh(*COMPOSE, "ps", "-q", CONTAINER[active])
        killed = time.monotonic()
        sh("docker", "kill", cid)
        t, who, user = ask(telegram, 2001, killed)
        print(
            f"  ROUND 1 `docker kill` of {active}: /start from {user} answered by {who} "
            f"{t - killed:.1f} s after the kill"
        )
        ok = who == standby
        sh("docker", "start", cid)
        time.sleep(5)
        sh(*COMPOSE, "exec", "-T", CONTAINER[who], "community-bot", "status")
        sh(*COMPOSE, "logs", "--since", "30s", CONTAINER[active], check=False, only=TOLD)

        # 2. The bot process itself dies (SIGKILL inside the container): tini exits 137,
        # `restart: always` starts the container again at once; both wait for the dead
        # lease to end and either may take over (the restarted one often wins the race).
        active = who
        pid = sh(*COMPOSE, "exec", "-T", CONTAINER[active], "community-bot", "status")
        pid = pid.split(":")[2]  # "active: host:pid:random (…)"
        killed = time.monotonic()
        sh(*COMPOSE, "exec", "-T", CONTAINER[active], "sh", "-c", f"kill -KILL {pid}")
        t, who, user = ask(telegram, 3001, killed)
        print(
            f"  ROUND 2 SIGKILL of {active}'s bot process: /start from {user} answered by "
            f"{who} {t - killed:.1f} s after the kill"
        )
        time.sleep(5)
        sh(*COMPOSE, "exec", "-T", CONTAINER[who], "community-bot", "status")
        sh(*COMPOSE, "ps", "-a")
        sh(*COMPOSE, "logs", "--since", "40s", check=False, only=TOLD)
        polled = {w: telegram.called(w, "getUpdates", t, time.monotonic()) for w in CONTAINER}
        print(f"  getUpdates calls since that answer: {polled}")
        # Exactly one polls after the takeover.
        return 0 if ok and sum(1 for n in polled.values() if n) == 1 else 1
    finally:
        if args.down:
            sh(*COMPOSE, "down", "-v", check=False)
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
