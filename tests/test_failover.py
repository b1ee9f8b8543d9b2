"""A standby takes over: two bot processes on one database, SIGKILL the active one under load.

The processes are the crash test's children (tests/crashload.py) in `--standby` mode: each
waits for the leader lease (bot/leader.py) before it starts the bot. The parent kills the
active one mid-load; the standby must take the lease over (once it ends: the two act as if on
different machines), start, re-run what the dead one left running once its job leases end,
and serve the people from where they were. The same invariants as the crash test hold: every
acknowledged order, request, acceptance and move is there; nothing doubled; no notice twice.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.crashload import Journal, check, prepare

ROOT = Path(__file__).resolve().parent.parent
GUARD = 120.0  # seconds: only a guard against a hang, never a measure


@dataclass
class Instance:
    """One `tests.crashload --standby` process and the events it printed, with their times."""

    proc: subprocess.Popen[bytes]
    lines: list[tuple[float, str]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def start(cls, db: str, plan_path: Path, plan: dict[str, Any], log: Path) -> Instance:
        args = [sys.executable, "-m", "tests.crashload", db, str(plan_path), "0"]
        args += [repr(plan["now"]), str(len(plan["steps"])), "--finish", "--standby"]
        with log.open("ab") as err:
            proc = subprocess.Popen(
                args,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        me = cls(proc)
        threading.Thread(target=me._pump, daemon=True).start()
        return me

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self.changed:
                self.lines.append((time.monotonic(), raw.decode("utf-8", "replace")))
                self.changed.notify_all()
        with self.changed:
            self.lines.append((time.monotonic(), '{"e": "eof"}'))
            self.changed.notify_all()

    def events(self, kind: str) -> list[float]:
        return [t for t, line in self.lines if f'"e": "{kind}"' in line]

    def wait_for(self, kind: str, count: int = 1) -> float:
        """When the `count`-th event of this kind came (AssertionError if it never does)."""
        with self.changed:
            ok = self.changed.wait_for(
                lambda: len(self.events(kind)) >= count or bool(self.events("eof")), GUARD
            )
        got = self.events(kind)
        assert ok and len(got) >= count, f"no {kind!r} event #{count}: {self.lines[-5:]}"
        return got[count - 1]

    def tell(self, journal: Journal, plan: dict[str, Any]) -> None:
        """Where the people are: the first step not acknowledged, the clock, their screen."""
        orders = {
            "start": journal.next_step(),
            "now": max(journal.clock, plan["now"]),
            "resume": journal.resume_screen(),
        }
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(orders, ensure_ascii=False) + "\n").encode())
        self.proc.stdin.flush()


@dataclass(frozen=True)
class Failover:
    journal: Journal
    takeover_s: float  # SIGKILL → the standby holds the lease
    first_answer_s: float  # SIGKILL → the standby's first acknowledged step


def failover(tmp_path: Path, db: str, *, seed: int, steps: int, kill_after: int) -> Failover:
    """`db`: the SQLite file or (TEST_DATABASE_URL, the benchmark) a PostgreSQL URL."""
    plan_path, log = tmp_path / "plan.json", tmp_path / "children.log"
    plan = asyncio.run(prepare(db, seed, steps))
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    journal = Journal()
    first = Instance.start(db, plan_path, plan, log)
    first.wait_for("active")
    first.tell(journal, plan)
    second = Instance.start(db, plan_path, plan, log)
    try:
        second.wait_for("standby")
        first.wait_for("ack", kill_after)
        time.sleep(random.Random(seed).uniform(0.0, 0.05))
        first.proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        first.proc.wait(timeout=GUARD)
        first.wait_for("eof")
        for _t, line in first.lines:
            journal.read(line)
        problems = check(db, plan, journal)
        assert not problems, "after the kill:\n" + "\n".join(problems) + f"\nlog: {log}"
        # The standby did nothing while the other one was active: it only waited.
        active = second.wait_for("active")
        assert active > killed, "the standby became active while the other one was"
        assert not any(t < killed for t, line in second.lines if '"e": "standby"' not in line)
        second.tell(journal, plan)
        answered = second.wait_for("ack")
        code = second.proc.wait(timeout=900)
        second.wait_for("eof")
    finally:
        for instance in (first, second):
            if instance.proc.poll() is None:
                instance.proc.kill()
                instance.proc.wait()
    for _t, line in second.lines:
        journal.read(line)
    assert code == 0 and journal.done, f"the standby exited {code}; see {log}: {journal.failures}"
    problems = check(db, plan, journal, final=True)
    assert not problems, "after the takeover:\n" + "\n".join(problems) + f"\nlog: {log}"
    return Failover(journal, active - killed, answered - killed)


def test_standby_takes_over_when_the_active_one_is_killed(tmp_path: Path, db_path: str) -> None:
    result = failover(tmp_path, db_path, seed=19, steps=160, kill_after=10)
    kinds = {ack["do"] for ack in result.journal.acks.values()}
    assert {"order", "file", "game"} <= kinds, kinds
    # The standby answered people after the takeover (how fast is the benchmark's business).
    assert max(result.journal.acks) == 159
    print(
        f"takeover {result.takeover_s:.1f} s, first answer {result.first_answer_s:.1f} s "
        "after the SIGKILL"
    )
