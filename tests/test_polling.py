"""Long polling: an update PTB cannot parse is skipped with one log line, never jams polling;
the bot asks only for the update types it handles."""

from __future__ import annotations

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

from bot.polling import ALLOWED_UPDATES
from tests.test_cli import TOKEN

WANG = {"id": 101, "is_bot": False, "first_name": "王阿姨"}


def _help(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": 101, "type": "private", "first_name": "王阿姨"},
            "from": WANG,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


def _old_poll_answer(update_id: int) -> dict[str, Any]:
    # As older Bot API servers send it: no option_persistent_ids, which PTB 22 requires.
    return {
        "update_id": update_id,
        "poll_answer": {"poll_id": "77", "user": WANG, "option_ids": [0]},
    }


class OffsetServer(BaseHTTPRequestHandler):
    """A Bot API that keeps every update until the offset confirms it, as Telegram does: a
    bot that never moves its offset past an update gets it again on every getUpdates."""

    updates: list[dict[str, Any]] = []  # noqa: RUF012 - one server per test
    polls: list[dict[str, Any]] = []  # noqa: RUF012
    sent: list[dict[str, Any]] = []  # noqa: RUF012

    def log_message(self, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(body)
        else:
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        result: Any = True
        if method == "getMe":
            result = {"id": 42, "is_bot": True, "first_name": "社区助手", "username": "helper_bot"}
        elif method == "getUpdates":
            OffsetServer.polls.append(params)
            offset = int(params.get("offset") or 0)
            result = [u for u in OffsetServer.updates if u["update_id"] >= offset]
            if not result:
                time.sleep(0.1)
        elif method == "sendMessage":
            OffsetServer.sent.append(params)
            result = {
                "message_id": 1000 + len(OffsetServer.sent),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        payload = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_unreadable_update_is_skipped_and_the_next_one_answered(tmp_path: Path) -> None:
    # A bad one first, a good one, and a bad one last in the batch (the Updater alone would
    # never move its offset past that one).
    OffsetServer.updates = [_old_poll_answer(1), _help(2), _old_poll_answer(3)]
    OffsetServer.polls, OffsetServer.sent = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), OffsetServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=f"http://127.0.0.1:{server.server_address[1]}/bot",
        DATABASE_PATH=str(tmp_path / "poll.db"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        # Answered, and polling went on past every update (offset 4) a few times.
        while time.monotonic() < deadline and not (
            OffsetServer.sent
            and sum(int(p.get("offset") or 0) >= 4 for p in OffsetServer.polls) >= 3
        ):
            time.sleep(0.1)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
        server.shutdown()
    assert OffsetServer.sent, stderr
    assert "/register" in OffsetServer.sent[0]["text"]
    offsets = [int(p.get("offset") or 0) for p in OffsetServer.polls]
    assert max(offsets) == 4, offsets
    # One line per skipped update, with its update_id; no traceback, no payload.
    skipped = [line for line in stderr.splitlines() if "skipped update" in line]
    assert len(skipped) == 2, stderr
    assert "skipped update 1 " in skipped[0] and "skipped update 3 " in skipped[1]
    assert "Traceback" not in stderr and "option_ids" not in stderr
    # Only the update types the handlers read are asked for.
    for poll in OffsetServer.polls:
        assert json.loads(poll["allowed_updates"]) == list(ALLOWED_UPDATES), poll
    assert set(ALLOWED_UPDATES) == {"message", "edited_message", "callback_query"}
