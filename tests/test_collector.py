"""bot/collector.py: full garbage collections wait for a quiet moment (or are overdue)."""

from __future__ import annotations

import gc
from types import SimpleNamespace

import pytest

from bot import collector as C


def test_collects_only_when_quiet_or_overdue(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(C.time, "monotonic", lambda: now[0])
    collected: list[int] = []
    monkeypatch.setattr(C.gc, "collect", lambda *a: collected.append(1) or 0)
    processor = SimpleNamespace(handled=0, admitted=0)
    quiet = C.QuietCollector(processor)  # type: ignore[arg-type]
    assert not quiet.tick()  # first look: nothing known yet
    assert quiet.tick()  # nothing handled since, nothing in flight
    processor.handled, processor.admitted = 5, 2
    assert not quiet.tick()
    processor.handled, processor.admitted = 7, 0
    assert not quiet.tick()  # updates finished since the last look: not quiet yet
    assert quiet.tick()
    for _ in range(3):  # busy all the time ...
        processor.handled += 10
        assert not quiet.tick()
    now[0] += C.AT_LEAST_EVERY
    processor.handled += 10
    assert quiet.tick()  # ... but overdue
    assert len(collected) == 3


def test_release_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    quiet = C.QuietCollector(SimpleNamespace(handled=0, admitted=0))  # type: ignore[arg-type]
    gc.set_threshold(before[0], before[1], C.NEVER)
    try:
        quiet.release()
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*before)
