"""One durable scheduling mechanism for every feature.

Every pending job is a row in `jobs` (the source of truth); PTB's JobQueue (APScheduler) only
holds the ones due soon, as a cache. At start-up every pending row is scheduled again, so a
restart loses nothing. Each job kind chooses its guarantee:

* at-least-once (default): marked done after its callback succeeds; a crash mid-run runs it
  again at start-up. For idempotent work (closing a round, an escalation check).
* at-most-once: marked done before its callback runs; a crash mid-run never repeats it. For
  sends that must never be duplicated; the callback records its own progress if it needs to.

Several processes may share the database (a standby, bot/leader.py). A job is claimed with a
lease: `claimed_by` (this scheduler's holder id) and `lease_until`, renewed by the active
instance while it runs. A job is runnable when due and pending, or when it was left running
by a holder whose lease has ended; the claim is one conditional UPDATE, so no job runs in two
processes. A crashed holder's jobs are taken over only once their lease ends (JOB_LEASE
after its last renewal), never at start-up while the other process may still run them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.base import JobLookupError

from storage import jobs as store
from storage.db import Database, Executor

if TYPE_CHECKING:
    from telegram.ext import Application, ContextTypes, Job, JobQueue

    from bot.clock import Clock

log = logging.getLogger(__name__)

# Jobs due within this window are handed to the JobQueue; later ones wait in the database
# and are picked up by the hourly refill, so 10 000 far-future reminders cost no memory.
WINDOW = timedelta(hours=6)
REFILL_EVERY = timedelta(hours=1)
# At most this many rows are queued by one refill (each JobQueue entry costs ~1 KB in
# APScheduler): with more due within the window, the next refill runs when the last queued
# one is due, so the rest are queued in time, a batch at a time (issue #21).
REFILL_BATCH = 500
MAX_ATTEMPTS = 5
# How long a claimed job stays its holder's without renewal (the active instance renews its
# claims with its leader lease, every few seconds; bot/leader.py).
JOB_LEASE = timedelta(seconds=60)


def new_holder() -> str:
    """host:pid:random — unique per process life, readable in the database."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class ScheduledJob:
    id: int
    kind: str
    key: str | None
    run_at: datetime
    payload: dict[str, Any]
    attempts: int
    now: datetime

    @property
    def late_by(self) -> timedelta:
        return max(self.now - self.run_at, timedelta(0))


JobCallback = Callable[["Application", ScheduledJob], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    name: str
    callback: JobCallback
    at_least_once: bool


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("scheduler needs aware datetimes")
    return moment.timestamp()


def _when_committed(tx: Executor | None, change: Callable[[], None]) -> None:
    """The JobQueue mirrors the jobs table: inside a transaction, change it only once the
    transaction commits (a rolled-back job must not run; a kept one must stay queued)."""
    hooks = getattr(tx, "after_commit", None)
    if hooks is None:
        change()
    else:
        hooks.append(change)


class Scheduler:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.kinds: dict[str, JobKind] = {}
        self._app: Application | None = None
        # job id → its JobQueue entry, so (re)queueing and cancelling are O(1): looking a job
        # up by name scans every queued job, which made start-up quadratic in pending jobs.
        self._queued: dict[int, Job] = {}
        self.background: set[asyncio.Task[bool]] = set()  # run_key_soon's, until done
        self.holder = new_holder()
        # Jobs whose callback runs in this process now: never claimed again by ourselves.
        self._running: set[int] = set()
        # The task running each of them, cancelled at a fence (its lease passes on).
        self._running_tasks: dict[int, asyncio.Task[object]] = {}
        # Set when this process stopped being the active instance: it runs nothing any more.
        self.fenced = False

    def register(self, kind: str, callback: JobCallback, *, at_least_once: bool = True) -> None:
        self.kinds[kind] = JobKind(kind, callback, at_least_once)

    @property
    def _job_queue(self) -> JobQueue | None:
        return self._app.job_queue if self._app is not None else None

    async def schedule(
        self,
        kind: str,
        run_at: datetime,
        payload: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        tx: Executor | None = None,
    ) -> int:
        """Persist a job (replacing the one with the same key) and queue it if due soon."""
        if kind not in self.kinds:
            raise KeyError(f"unknown job kind {kind!r}")
        job_id = await store.upsert(tx or self.db, kind, _epoch(run_at), payload or {}, key)
        _when_committed(tx, lambda: self._enqueue(job_id, run_at))
        return job_id

    async def cancel(self, key: str, *, tx: Executor | None = None) -> bool:
        row = await store.get_by_key(tx or self.db, key)
        n = await store.cancel_key(tx or self.db, key)
        if row is not None:
            _when_committed(tx, lambda: self._dequeue(row["id"]))
        return n > 0

    async def cancel_prefix(self, prefix: str, *, tx: Executor | None = None) -> int:
        ids = await store.cancel_prefix(tx or self.db, prefix)

        def dequeue_all() -> None:
            for job_id in ids:
                self._dequeue(job_id)

        _when_committed(tx, dequeue_all)
        return len(ids)

    def _enqueue(self, job_id: int, run_at: datetime) -> None:
        self._dequeue(job_id)  # also when it moved out of the window
        jq = self._job_queue
        if jq is None or run_at - self.clock.now() > WINDOW:
            return
        when = max(run_at, self.clock.now())
        self._queued[job_id] = jq.run_once(
            self._fire, when=when, data=job_id, name=f"sched:{job_id}"
        )

    def _dequeue(self, job_id: int) -> None:
        job = self._queued.pop(job_id, None)
        if job is not None and not job.removed:
            with contextlib.suppress(JobLookupError):  # it ran (or went) meanwhile
                job.schedule_removal()

    async def _fire(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        job = context.job
        assert job is not None
        job_id = job.data
        assert isinstance(job_id, int)  # set by _enqueue
        self._queued.pop(job_id, None)
        await self.run_job(job_id)

    async def run_key(self, key: str) -> bool:
        """Run the pending job with this key now (it was just scheduled to make it durable);
        False when it is not pending any more, e.g. the JobQueue ran it already."""
        row = await store.get_by_key(self.db, key)
        return row is not None and await self.run_job(row["id"])

    def run_key_soon(self, key: str) -> None:
        """Run a job just scheduled due now in the background: the person who caused it is
        answered at once, and a long job (a broadcast) does not hold their update. Durable
        like run_key: if the process stops before it ran, start-up runs it. Through PTB's
        create_task when the Application runs, so its stop() waits for the job."""
        app = self._app
        task: asyncio.Task[bool]
        if app is not None and app.running:
            task = app.create_task(self.run_key(key), name=f"job:{key}")
        else:
            task = asyncio.create_task(self.run_key(key), name=f"job:{key}")
        self.background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[bool]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background job failed", exc_info=task.exception())

    async def settle(self) -> None:
        """Wait for the background jobs (shutdown, and tests that want their messages)."""
        while self.background:
            await asyncio.gather(*list(self.background), return_exceptions=True)

    async def run_job(self, job_id: int) -> bool:
        """Run one job if it is still pending (or its holder's lease ended); True when its
        callback ran."""
        if self.fenced or job_id in self._running:
            return False
        now = self.clock.now()
        got = await store.claim(self.db, job_id, self.holder, _epoch(now), _epoch(now + JOB_LEASE))
        if got is None:
            return False
        self._running.add(job_id)
        task = asyncio.current_task()
        if task is not None:
            self._running_tasks[job_id] = task
        try:
            return await self._run_claimed(job_id, got)
        finally:
            self._running.discard(job_id)
            self._running_tasks.pop(job_id, None)

    async def _run_claimed(self, job_id: int, got: str) -> bool:
        me = self.holder
        row = await store.get(self.db, job_id)
        if row is None:
            return False
        kind = self.kinds.get(row["kind"])
        if kind is None or self._app is None:
            log.error("job %s has unknown kind %r", job_id, row["kind"])
            await store.finish(self.db, job_id, "failed", "unknown kind", me)
            return False
        if got == "expired" and not kind.at_least_once:
            # An at-most-once job whose holder died mid-run is not repeated.
            await store.finish(self.db, job_id, "failed", "interrupted by a restart", me)
            return False
        if got == "expired":
            log.info("job %s (%s): its holder's lease ended; running it again", job_id, row["kind"])
        job = ScheduledJob(
            id=job_id,
            kind=row["kind"],
            key=row["key"],
            run_at=datetime.fromtimestamp(row["run_at"], UTC),
            payload=json.loads(row["payload"]),
            attempts=row["attempts"],
            now=self.clock.now(),
        )
        if not kind.at_least_once:
            await store.finish(self.db, job_id, "done", None, me)
        try:
            await kind.callback(self._app, job)
        except Exception as exc:
            log.exception("job %s (%s, key=%s) failed", job_id, job.kind, job.key)
            if kind.at_least_once and job.attempts < MAX_ATTEMPTS:
                retry = self.clock.now() + timedelta(seconds=30 * 2**job.attempts)
                await store.retry_later(self.db, job_id, _epoch(retry), repr(exc), me)
                self._enqueue(job_id, retry)
            else:
                await store.finish(self.db, job_id, "failed", repr(exc), me)
            return True
        if kind.at_least_once:
            # The callback may have re-scheduled the same key (a repeating job): keep that.
            current = await store.get(self.db, job_id)
            if current is not None and current["status"] == "running":
                await store.finish(self.db, job_id, "done", None, me)
        return True

    async def renew_claims(self) -> None:
        """Keep the leases of the jobs this process is running (called by the leader loop)."""
        until = self.clock.now() + JOB_LEASE
        await store.renew(self.db, self.holder, _epoch(until))

    def fence(self) -> None:
        """This process is no longer the active instance: run no job from now on."""
        self.fenced = True
        # Jobs already running are cut short, as by a crash: the next active instance runs
        # them again once their job lease ends (at-least-once kinds), and nothing here may
        # send or write under it meanwhile.
        for task in [*self.background, *self._running_tasks.values()]:
            if task is not asyncio.current_task():
                task.cancel()
        for job_id in list(self._queued):
            self._dequeue(job_id)
        jq = self._job_queue
        if jq is not None:
            for name in ("sched:refill", "sched:more"):
                for job in jq.get_jobs_by_name(name):
                    job.schedule_removal()

    async def start(self, app: Application) -> int:
        """Re-create the JobQueue entries for every pending row, and for every job whose
        holder's lease ends (it crashed mid-run); returns how many are pending."""
        self._app = app
        await self._refill()
        jq = self._job_queue
        if jq is not None:
            jq.run_repeating(self._refill_job, interval=REFILL_EVERY, name="sched:refill")
        return await store.count_pending(self.db)

    async def _refill_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._refill()

    async def _refill(self) -> None:
        if self.fenced:
            return
        horizon = _epoch(self.clock.now() + WINDOW)
        rows = await store.pending_before(self.db, horizon, limit=REFILL_BATCH)
        # And the jobs left running by a holder whose lease ends within the window (it died).
        expired = await store.expired_before(self.db, horizon, limit=REFILL_BATCH)
        added = 0
        for row in [*rows, *expired]:
            if row["id"] not in self._queued and row["id"] not in self._running:
                added += 1
                self._enqueue(row["id"], datetime.fromtimestamp(row["run_at"], UTC))
        jq = self._job_queue
        if len(rows) == REFILL_BATCH and jq is not None:
            # More may be due before the hourly refill: fetch them when this batch's last
            # one is due (rows due at that same moment come in the next batch, on time).
            # A full batch all queued already is still running: look again a second later.
            now = self.clock.now()
            last = datetime.fromtimestamp(rows[-1]["run_at"], UTC)
            when = max(last, now) if added else now + timedelta(seconds=1)
            jq.run_once(self._refill_job, when=when, name="sched:more")

    async def run_due(self, now: datetime | None = None) -> int:
        """Run every pending job due by `now` (tests and the demo move a fake clock), and every
        job left running by a holder whose lease ended by then."""
        until = _epoch(now or self.clock.now())
        ran = 0
        # Loop: a job may schedule another one that is already due.
        while True:
            rows = await store.pending_before(self.db, until, limit=1000)
            rows += await store.expired_before(self.db, until, limit=1000)
            # Our own jobs still running (the JobQueue fired them) are not ours to start again.
            rows = [r for r in rows if r["id"] not in self._running]
            if not rows or self.fenced:
                return ran
            progress = False
            for row in rows:
                self._dequeue(row["id"])
                if await self.run_job(row["id"]):
                    ran += 1
                    progress = True
            if not progress:  # claimed elsewhere meanwhile: nothing more for us now
                return ran
