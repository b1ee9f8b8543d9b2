"""`community-bot dashboard-demo`: the dashboard served offline on seeded data, with one-time
sign-in links per role that a browser can open."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.offline import dashboard_playground


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_links_sign_in_once_and_residents_get_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed: list[str] = []
    opened: list[tuple[int, str]] = []
    monkeypatch.setattr(dashboard_playground, "print", printed.append, raising=False)

    def browse(_prompt: str) -> str:
        """Runs in the input thread: open the staff link twice and send its sign-in form, as a
        browser would (opening the link alone redeems nothing)."""
        text = "\n".join(printed)
        staff = re.search(r"孙晓军.*?\n\s+(http\S+)", text)
        assert staff is not None, text
        for _ in range(2):
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
            url = staff.group(1)
            try:
                with browser.open(url) as page:
                    assert 'action="/login"' in page.read().decode()
                form = urlencode({"t": url.split("t=", 1)[1]}).encode()
                with browser.open(url.split("/login", 1)[0] + "/login", form) as page:
                    opened.append((page.status, page.read().decode()))
            except urllib.error.HTTPError as exc:
                opened.append((exc.code, exc.read().decode()))
        return "q"

    monkeypatch.setattr("builtins.input", browse)
    await dashboard_playground.run(free_port(), str(tmp_path / "dash.db"))
    text = "\n".join(printed)
    assert "resident" in text and "refused" in text
    first, again = opened
    assert first[0] == 200 and "锡林社区" in first[1]
    assert "锡林社区" not in again[1]  # a link works once
