"""The console script: clear one-line errors, and `run` against any Bot API server."""

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

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def test_missing_and_malformed_token_give_one_clear_line() -> None:
    result = run_cli("run")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "BOT_TOKEN is not set" in result.stderr
    result = run_cli("run", env={"BOT_TOKEN": "not-a-token"})
    assert result.returncode == 2 and "malformed" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_and_reads_like_a_chat() -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[锡林社区居民群] 街道管理员: /setup 锡林社区" in out
    assert "🤖 社区助手" in out and "按下 ⟦✅ 确认⟧" in out
    assert "演示结束" in out


class FakeServer(BaseHTTPRequestHandler):
    """A minimal Bot API over HTTP: getMe, one update, records what the bot sends."""

    sent: list[dict[str, Any]] = []  # noqa: RUF012 - shared on purpose, one server per test
    delivered = False

    def log_message(self, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            params = json.loads(body)
        else:  # PTB posts url-encoded forms when there are no files
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        result: Any = True
        if method == "getMe":
            result = {
                "id": 42,
                "is_bot": True,
                "first_name": "社区助手",
                "username": "community_helper_bot",
            }
        elif method == "getUpdates":
            result = []
            if not FakeServer.delivered:
                FakeServer.delivered = True
                result = [
                    {
                        "update_id": 1,
                        "message": {
                            "message_id": 1,
                            "date": int(time.time()),
                            "chat": {"id": 101, "type": "private", "first_name": "王阿姨"},
                            "from": {"id": 101, "is_bot": False, "first_name": "王阿姨"},
                            "text": "/help",
                            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                        },
                    }
                ]
            else:
                time.sleep(0.2)
        elif method == "sendMessage":
            FakeServer.sent.append(params)
            result = {
                "message_id": 2,
                "date": int(time.time()),
                "chat": {"id": 101, "type": "private"},
                "text": params.get("text", ""),
            }
        payload = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_run_talks_to_any_bot_api_server_at_bot_api_url(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=f"http://127.0.0.1:{port}/bot",
        DATABASE_PATH=str(tmp_path / "run.db"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not FakeServer.sent and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
        server.shutdown()
    assert FakeServer.sent, stderr
    assert "/register" in FakeServer.sent[0]["text"]
    assert TOKEN not in stderr  # the token never reaches the logs


def test_demo_covers_every_feature_scene() -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "改造点单结果" in out  # menu: round to published chart
    assert "〔图片" in out
    assert "谢谢您的评分" in out  # repairs: filing to rating
    assert "会议通知" in out and "需要帮助" in out  # reminders and care visits
    # #18: an announcement with its delivery report and 已知晓 counts, a help alert taken.
    assert "公告 #1 发送完毕：共 4 人。" in out
    assert "送达 3 人；屏蔽了机器人 1 人；失败或不确定是否送达 0 人" in out
    assert "公告 #1：已知晓 1 人，送达 3 人。" in out
    assert "李网格 按下 ⟦🙋 我来处理⟧" in out and "✅ 李网格 已接手处理 张奶奶" in out
    assert "锡林社区 报修统计（本月）" in out and "走访记录共 1 条" in out  # staff exports
