"""Crash anywhere: SIGKILL the bot at random moments under load, restart it, check invariants.

The load and the invariants are in tests/crashload.py. The default suite kills the bot a few
times; `python -m pytest -m slow` runs the long version with 60 kill points.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.crashload import Journal, check, prepare

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
FINAL_STEPS = 40


def run_child(
    db: str | Path,
    plan_path: Path,
    plan: dict,
    journal: Journal,
    *,
    kill_after: tuple[int, float] | None,
    log: Path,
) -> int:
    """One life of the bot: start it, let it work, SIGKILL it (or let it finish).

    `kill_after` = (steps, seconds): the kill comes that long after the child acknowledged
    that many steps, so every life makes progress however slow the machine is, and the
    moment of the kill within the work is still random.
    """
    start = journal.next_step()
    stop = len(plan["steps"]) if kill_after is not None else start + FINAL_STEPS
    now = max(journal.clock, plan["now"])
    args = [
        sys.executable,
        "-m",
        "tests.crashload",
        str(db),
        str(plan_path),
        str(start),
        repr(now),
        str(stop),
    ]
    if kill_after is None:
        args.append("--finish")
    screen = journal.resume_screen()
    if screen is not None:
        resume = plan_path.with_name("resume.json")
        resume.write_text(json.dumps(screen, ensure_ascii=False), encoding="utf-8")
        args.append(f"--resume={resume}")
        journal.resumed += 1
    with log.open("ab") as err:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        ready = threading.Event()
        lines: list[str] = []
        acked = threading.Semaphore(0)

        def pump() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                if '"e": "ready"' in line:
                    ready.set()
                elif '"e": "ack"' in line:
                    acked.release()

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        if kill_after is not None:
            if not ready.wait(READY_TIMEOUT):
                proc.kill()
                raise AssertionError(f"the bot did not start; see {log}")
            steps, seconds = kill_after
            for _ in range(steps):
                if not acked.acquire(timeout=READY_TIMEOUT):
                    break  # it died or hangs: the checks below will say
            time.sleep(seconds)
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=600)
        reader.join(timeout=30)
    for line in lines:
        journal.read(line)
    return code


def crash_many_times(tmp_path: Path, db: str, kills: int, seed: int, steps: int) -> Journal:
    """`db`: the SQLite file or (TEST_DATABASE_URL) a fresh PostgreSQL schema's URL."""
    plan_path, log = tmp_path / "plan.json", tmp_path / "child.log"
    plan = asyncio.run(prepare(str(db), seed, steps))
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    rng = random.Random(seed)
    journal = Journal()
    for n in range(kills):
        # Often right after start-up (re-queueing, overdue jobs), else mid-load.
        after = (0 if rng.random() < 0.2 else rng.randint(1, 12), rng.uniform(0.0, 0.05))
        code = run_child(db, plan_path, plan, journal, kill_after=after, log=log)
        problems = check(str(db), plan, journal)
        assert not problems, (
            f"after kill {n + 1} (exit {code}):\n" + "\n".join(problems) + f"\nchild log: {log}"
        )
    code = run_child(db, plan_path, plan, journal, kill_after=None, log=log)
    assert code == 0 and journal.done, f"final run exited {code}; see {log}: {journal.failures}"
    problems = check(str(db), plan, journal, final=True)
    assert not problems, "after the final restart:\n" + "\n".join(problems)
    # The kills really landed in the middle of work, not before or after it.
    assert len(journal.acks) >= kills, journal.acks
    return journal


def test_kill_a_few_times_and_nothing_is_lost(tmp_path: Path, db_path: str) -> None:
    journal = crash_many_times(tmp_path, db_path, kills=3, seed=7, steps=400)
    kinds = {ack["do"] for ack in journal.acks.values()}
    assert {"order", "file", "game"} <= kinds, kinds


@pytest.mark.slow
def test_kill_sixty_times_at_random_points(tmp_path: Path, db_path: str) -> None:
    journal = crash_many_times(tmp_path, db_path, kills=60, seed=2026, steps=4000)
    kinds = {ack["do"] for ack in journal.acks.values()}
    assert {"order", "file", "take", "game", "tick"} <= kinds, kinds
    sent = sum(n for (_chat, text), n in journal.sent.items() if text.startswith("📢"))
    assert sent >= 20, sent
    # People went on with the screens they had when the bot died (the checks above cover it).
    assert journal.resumed >= 1, journal.resumed
    print(f"{journal.resumed} of 60 restarts began on a screen from before the kill")
