"""A FakeBotAPI that enforces Telegram's flood limits in real time (benchmark only).

Modelled as token buckets, the shape Telegram documents: about 30 messages per second
overall (a burst of 30, refilled at 30/s) and 20 messages per minute per group (a burst of
20, refilled at 20/60 s). A send over a limit is answered like Telegram does: HTTP 429 with
`parameters.retry_after`, and is not delivered.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from typing import Any

from telegram.request import RequestData

from bot.offline.fakeapi import SEND_METHODS, FakeBotAPI


class Bucket:
    def __init__(self, capacity: float, per_second: float) -> None:
        self.capacity = capacity
        self.rate = per_second
        self.tokens = capacity
        self.at = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FloodLimitedBotAPI(FakeBotAPI):
    def __init__(self, overall_per_s: float = 30, group_per_min: float = 20, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.overall = Bucket(overall_per_s, overall_per_s)
        self.group_per_min = group_per_min
        self.groups: dict[int, Bucket] = {}
        self.too_many = 0
        self.delivered: Counter[int] = Counter()
        self.first_at: float | None = None
        self.last_at: float | None = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        if api_method in SEND_METHODS and request_data is not None:
            chat_id = int(str(request_data.parameters.get("chat_id", 0)))
            wait = self.overall.take()
            if wait == 0 and chat_id < 0:
                bucket = self.groups.setdefault(
                    chat_id, Bucket(self.group_per_min, self.group_per_min / 60)
                )
                wait = bucket.take()
                if wait:
                    self.overall.tokens += 1  # not delivered: give the overall token back
            if wait:
                self.too_many += 1
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {math.ceil(wait)}",
                    "parameters": {"retry_after": math.ceil(wait)},
                }
                return 429, json.dumps(body).encode()
            status, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            if status == 200:
                self.delivered[chat_id] += 1
                now = time.perf_counter()
                self.first_at = self.first_at or now
                self.last_at = now
            return status, payload
        return await super().do_request(url, method, request_data, *args, **kwargs)
