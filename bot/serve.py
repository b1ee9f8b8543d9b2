"""`community-bot run`: wait to be the active instance, then poll (or serve a webhook).

Every process first waits for the leader lease (bot/leader.py); a single instance gets it at
once. Only then does it start the bot: migrations' follow-up (re-queued jobs), the command
menus, getUpdates or setWebhook and the webhook server. A standby does none of that, so it
never competes for updates and never runs a job.

When the active instance loses the lease (it could not renew, or another took it) it fences
itself: the scheduler runs nothing more, the update processor takes nothing more, and the
process exits at once with EXIT_LOST. Updates it had fetched but not yet handled are lost:
PTB confirms a polled batch when it asks for the next one, and its webhook server answers 200
on arrival, so Telegram does not send them again (a known gap, a few seconds wide). The supervisor (systemd, compose) starts it again,
as a standby.

Per-process caches (`rt.cache`: languages, users seen, game locks) need no invalidation: a
standby's are empty until it becomes active and fills them from the database, only the active
instance writes, and an instance that lost the lease exits instead of becoming active again
with what it cached before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.app import shutdown_runtime, start_runtime
from bot.context import App
from bot.leader import Leadership
from bot.polling import ALLOWED_UPDATES
from bot.runtime import get_runtime
from bot.updates import OrderedUpdateProcessor
from storage.db import Database, connect

log = logging.getLogger(__name__)

EXIT_LOST = 75  # EX_TEMPFAIL: the lease was lost; start again (as a standby)


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
    """The lease gets a connection of its own, so a busy bot cannot starve its renewals."""
    return connect(get_runtime(app).config.database)


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
    try:
        log.info("standby: waiting to become the active instance (as %s)", leader.holder)
        if not await leader.wait(stop):
            return 0
        log.info("active: this instance (%s) holds the lease; starting", leader.holder)
        # Job claims name the same holder as the lease, so the database says who runs what.
        rt.scheduler.holder = leader.holder
        keeper = asyncio.create_task(leader.hold(on_renewed=rt.scheduler.renew_claims))
        await app.initialize()
        await start_runtime(app)
        assert app.updater is not None
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
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({keeper, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if keeper.done():
            why = keeper.result()
            log.error("active → fenced: %s; stopping at once", why)
            fence(app)
            on_lost()
            return EXIT_LOST
        keeper.cancel()
        stopping.cancel()
        log.info("stopping")
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await shutdown_runtime(app)
        return 0
    finally:
        await leader.release()
        await leader.db.close()


def fence(app: App) -> None:
    """Stop taking work at once: no job starts, no fetched update is handled."""
    get_runtime(app).scheduler.fence()
    processor = app.update_processor
    if isinstance(processor, OrderedUpdateProcessor):
        processor.screen = lambda _update: False
