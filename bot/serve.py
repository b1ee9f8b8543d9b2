"""`community-bot run`: wait to be the active instance, then poll (or serve a webhook).

Every process first waits for the leader lease (bot/leader.py); a single instance gets it at
once. Only then does it start the bot: migrations' follow-up (re-queued jobs), the command
menus, getUpdates or setWebhook and the webhook server. A standby does none of that, so it
never competes for updates and never runs a job.

When the active instance loses the lease (it could not renew, or another took it) it fences
itself: the scheduler runs nothing more, the update processor starts nothing more, and no
getUpdates is sent again (bot/polling.py). PTB's Updater confirms a polled batch to Telegram
with the next request's offset (and once more in its cleanup at stop), so updates fetched but
not yet handled are already confirmed: the fenced instance hands those none of whose handlers
began to the next active one through the database (storage/handover.py), which handles them
once (the processor skips an update_id it has seen, should Telegram send it too). A batch that
arrives after fencing is dropped unconfirmed, so Telegram sends it to the next instance. Then
the process exits with EXIT_LOST; the supervisor (systemd, compose) starts it again, as a
standby. Updates being handled at that moment are cut short as by a crash (their person got
no answer and does it again).

The standby's lease connection does not migrate: a new version waiting beside an old active
one changes no schema until it holds the lease (the main database opens, migrating, after).

Per-process caches (`rt.cache`: languages, users seen, game locks) need no invalidation: a
standby's are empty until it becomes active and fills them from the database, only the active
instance writes, and an instance that lost the lease exits instead of becoming active again
with what it cached before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import Update

from bot.app import shutdown_runtime, start_runtime
from bot.context import App
from bot.leader import Leadership
from bot.polling import ALLOWED_UPDATES
from bot.polling import Bot as PollingBot
from bot.runtime import get_runtime
from bot.updates import OrderedUpdateProcessor
from storage import handover
from storage import leader as lease_store
from storage.db import Database, connect

log = logging.getLogger(__name__)

EXIT_LOST = 75  # EX_TEMPFAIL: the lease was lost; start again (as a standby)
HAND_OVER_FOR = 30.0  # seconds a fenced instance keeps trying to store its unstarted updates


@dataclass(frozen=True)
class Webhook:
    """Telegram posts updates to `url`; PTB's server listens on listen:port at url's path
    and refuses (403) a request without X-Telegram-Bot-Api-Secret-Token = secret_token."""

    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.lstrip("/")


def lease_database(app: App) -> Database:
    """The lease gets a connection of its own, so a busy bot cannot starve its renewals.
    It never migrates: a standby leaves the schema to the active instance."""
    return connect(get_runtime(app).config.database, migrate=False)


def _hard_exit() -> None:
    logging.shutdown()
    os._exit(EXIT_LOST)


async def serve(
    app: App,
    *,
    webhook: Webhook | None = None,
    leadership: Leadership | None = None,
    stop: asyncio.Event | None = None,
    on_lost: Callable[[], None] = _hard_exit,
) -> int:
    """Run until SIGINT/SIGTERM (or `stop`); returns the process exit code."""
    rt = get_runtime(app)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    # STANDBY_SAME_MACHINE=0: wait for a dead local holder's lease to end, as a standby on
    # another machine must (the failover benchmark measures that case).
    same_machine = os.environ.get("STANDBY_SAME_MACHINE", "1") != "0"
    leader = leadership or Leadership(lease_database(app), same_machine=same_machine)
    await leader.db.open()
    keeper: asyncio.Task[str] | None = None
    taker: asyncio.Task[None] | None = None
    try:
        if not await lease_store.ready(leader.db):
            # No lease-aware version ever ran here, so none holds the lease: the first
            # instance creates the schema (concurrent migrations are serialised).
            await leader.db.apply_migrations()
        log.info("standby: waiting to become the active instance (as %s)", leader.holder)
        if not await leader.wait(stop):
            return 0
        log.info("active: this instance (%s) holds the lease; starting", leader.holder)
        # Job claims name the same holder as the lease, so the database says who runs what.
        rt.scheduler.holder = leader.holder
        processor = app.update_processor
        if isinstance(processor, OrderedUpdateProcessor):
            processor.dedup = True  # a handed-over update that Telegram sends too
        taken: set[int] = set()  # update_ids taken from the hand-over table

        keeper = asyncio.create_task(leader.hold(on_renewed=rt.scheduler.renew_claims))
        await app.initialize()
        await start_runtime(app)  # opens (and migrates) the main database
        assert app.updater is not None
        # What a fenced predecessor handed over goes into the queue before anything polled or
        # posted: it is older than those, and bot/updates.py keeps each chat's order.
        await take_handed_over_safely(app, leader.db, taken)
        if keeper.done():  # the lease is lost already: fence below, nothing polled
            why = keeper.result()
            log.error("active → fenced: %s; stopping at once", why)
            await hand_over(app, leader.db, fence(app), polling=False, taken=taken)
            await _close_quietly(rt.db)
            on_lost()
            return EXIT_LOST
        if webhook is not None:
            await app.updater.start_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.path,
                webhook_url=webhook.url,
                secret_token=webhook.secret_token,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            log.info("active: serving the webhook on %s:%d", webhook.listen, webhook.port)
        else:
            await app.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
            log.info("active: polling for updates")
        await app.start()
        # The predecessor may store its updates after this instance took the lease: look
        # again at each renewal until it must have given up (HAND_OVER_FOR after its fence),
        # then now and then while active (a stalled predecessor).
        taker = asyncio.create_task(
            _keep_taking(
                app,
                leader.db,
                taken,
                keeper,
                every=leader.renew_every,
                for_seconds=HAND_OVER_FOR + leader.lease,
            )
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({keeper, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        # A take in progress completes and queues what it took (never lost in between).
        await _stopped(taker)
        if not keeper.done():
            # A clean stop: keep the lease (and the job leases) until the application has
            # stopped and its running jobs have finished; only then let it go.
            log.info("stopping")
            closing = asyncio.create_task(_stop_app(app))
            await asyncio.wait({keeper, closing}, return_when=asyncio.FIRST_COMPLETED)
            if closing.done():
                closing.result()
                return 0
            closing.cancel()
        why = keeper.result()
        log.error("active → fenced: %s; stopping at once", why)
        await hand_over(app, leader.db, fence(app), polling=webhook is None, taken=taken)
        await _close_quietly(rt.db)
        on_lost()
        return EXIT_LOST
    finally:
        if taker is not None:
            await _stopped(taker)
        if keeper is not None and not keeper.done():
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await leader.release()
        await leader.db.close()


async def _stopped(task: asyncio.Task[None]) -> None:
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_quietly(db: Database) -> None:
    """The fenced instance's main database: closed, bounded (a statement may hang there)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(db.close(), timeout=5)


async def _stop_app(app: App) -> None:
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    await shutdown_runtime(app)


def fence(app: App) -> list[object]:
    """Stop taking work at once: no job starts, no update handler begins, no getUpdates is
    sent. Returns the fetched updates none of whose handlers began, in arrival order."""
    rt = get_runtime(app)
    rt.scheduler.fence()
    rt.db.fence()  # the lease has its own connection: the hand-over still gets through
    if isinstance(app.bot, PollingBot):
        app.bot.fence()
    processor = app.update_processor
    unstarted: list[object] = []
    if isinstance(processor, OrderedUpdateProcessor):
        unstarted = processor.fence()
    while not app.update_queue.empty():
        unstarted.append(app.update_queue.get_nowait())
    return unstarted


async def hand_over(
    app: App,
    db: Database,
    unstarted: list[object],
    *,
    polling: bool,
    taken: set[int] | frozenset[int] = frozenset(),
) -> int:
    """Store the fenced instance's unstarted updates for the next active one; returns how
    many. Only those Telegram has confirmed: it sends the others to the next one itself.
    Those this instance took from the hand-over table (`taken`) always go back: Telegram
    will not send them again, and they are no longer in the table."""
    processor = app.update_processor
    if app.updater is not None and app.updater.running:
        # No more webhook requests answered (a polling Bot is fenced: its cleanup sends
        # nothing). Bounded: a stuck server must not keep the process alive.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(app.updater.stop(), timeout=5)
    if isinstance(processor, OrderedUpdateProcessor):
        unstarted += processor.held_back  # PTB's fetcher had one in hand, or a webhook's
        processor.held_back.clear()
    while not app.update_queue.empty():
        unstarted.append(app.update_queue.get_nowait())
    below = app.bot.confirmed_below if polling and isinstance(app.bot, PollingBot) else None
    rows = sorted(
        {
            (u.update_id, u.to_json())
            for u in unstarted
            if isinstance(u, Update)
            and (below is None or u.update_id < below or u.update_id in taken)
        }
    )
    if not rows:
        return 0
    deadline = time.monotonic() + HAND_OVER_FOR
    while True:
        try:
            await handover.put(db, rows, time.time())
            log.warning("fenced: handed %d unstarted updates to the next instance", len(rows))
            return len(rows)
        except Exception as exc:
            if time.monotonic() >= deadline:
                log.error("fenced: could not hand over %d updates: %s", len(rows), exc)
                return 0
            await asyncio.sleep(1.0)


async def take_handed_over(app: App, db: Database, taken: set[int] | None = None) -> int:
    """Queue the updates a fenced predecessor handed over (taken from the table at once).

    The take is one DELETE … RETURNING whose rows exist nowhere else once it ran: it is never
    cancelled half way (a cancelled wait does not stop the database, which would delete rows
    nobody queues). A cancellation waits for it, queues what it took, then goes on."""
    taking = asyncio.ensure_future(handover.take(db))
    try:
        rows = await asyncio.shield(taking)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            _queue(app, await taking, taken)
        raise
    return _queue(app, rows, taken)


def _queue(app: App, rows: list[tuple[int, str]], taken: set[int] | None) -> int:
    for update_id, payload in rows:
        update = Update.de_json(json.loads(payload), app.bot)
        if update is not None:
            app.update_queue.put_nowait(update)
            if taken is not None:
                taken.add(update_id)
    if rows:
        log.info("active: handling %d updates a fenced instance handed over", len(rows))
    return len(rows)


async def take_handed_over_safely(app: App, db: Database, taken: set[int]) -> int:
    """A failed take (the database briefly away) is logged; the next one finds the rows."""
    try:
        return await take_handed_over(app, db, taken)
    except Exception as exc:
        log.warning("active: could not take the handed-over updates: %r", exc)
        return 0


async def _keep_taking(
    app: App,
    db: Database,
    taken: set[int],
    keeper: asyncio.Task[str],
    *,
    every: float,
    for_seconds: float,
) -> None:
    """Take handed-over updates again every `every` s for `for_seconds` after taking over (a
    fenced predecessor stops trying to store them HAND_OVER_FOR after its fence), then ten
    times less often for as long as this instance is active: a predecessor that stalled
    (a paused VM) may still store some later. An empty look is one indexed read."""
    until = time.monotonic() + for_seconds
    while True:
        await asyncio.sleep(every if time.monotonic() < until else every * 10)
        if keeper.done():  # the lease is lost: what is taken now would be handled fenced
            return
        await take_handed_over_safely(app, db, taken)
