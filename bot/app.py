"""Application wiring: the same build for `run`, `demo`, `chat`, the tests and the benchmark."""

from __future__ import annotations

import gc
import importlib
import logging
import warnings
from collections.abc import Callable

from telegram import Update
from telegram.ext import Application, BaseRateLimiter, Defaults
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot import i18n
from bot.clock import Clock
from bot.collector import hold_full_collections
from bot.config import Config
from bot.context import CONTEXT_TYPES
from bot.polling import Bot
from bot.ratelimit import ChatRateLimiter
from bot.request import DELAYS, RetryingRequest
from bot.runtime import KEY, Runtime, get_runtime
from bot.saving import BotApplication
from bot.scheduler import Scheduler
from bot.throttle import Throttle
from bot.updates import OrderedUpdateProcessor
from handlers.command_menu import set_default_menus
from storage.db import Database
from storage.persistence import SQLitePersistence

log = logging.getLogger(__name__)

# Our conversations are deliberately per chat and user, not per message.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

# Each feature module has `register(app)`; order matters only for overlapping filters.
FEATURES = (
    "handlers.common",
    "handlers.community",
    "handlers.menu",
    "handlers.repairs",
    "handlers.reminders",
    "handlers.care",
    "handlers.care_manage",
    "handlers.care_export",
    "handlers.reminders_announce",
    "handlers.sorting",
    "handlers.sorting_city",
    "handlers.quiz",
    "handlers.menu_suggestions",
    # Last: private text no conversation took is read as a sentence (handlers/intents.py).
    "handlers.intents",
    # Forms that let go (time-outs, "stop the form first?"); its catch-all button is last.
    "handlers.forms",
)


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    rate_limiter: BaseRateLimiter | None = None,
    freeze_gc: bool = False,
    throttle: Throttle | None = None,
    retry_delays: tuple[float, ...] = DELAYS,
) -> Application:
    if request is None:  # PTB's own defaults, wrapped; polling has its own retries
        api: BaseRequest = RetryingRequest(HTTPXRequest(connection_pool_size=256), retry_delays)
        polling: BaseRequest = HTTPXRequest(connection_pool_size=1)
    else:
        api, polling = RetryingRequest(request, retry_delays), request
    # Our Bot: unreadable updates are skipped, drafts are saved before every reply.
    bot = Bot(
        token=config.token,
        base_url=config.api_url,
        base_file_url=config.file_api_url,
        # Telegram's limits: ~30 msg/s overall, 20/min per group; RetryAfter is honoured,
        # for the chat it concerns only (bot/ratelimit.py).
        rate_limiter=rate_limiter or ChatRateLimiter(max_retries=3),
        defaults=Defaults(tzinfo=config.tz),
        request=api,
        get_updates_request=polling,
    )
    db = Database(config.database_path)
    # Different chats at the same time; one chat's (and one person's) updates in order.
    processor = OrderedUpdateProcessor(config.concurrency)
    builder = (
        Application.builder()
        .application_class(BotApplication)
        .bot(bot)
        .context_types(CONTEXT_TYPES)
        .post_init(start_runtime)
        .post_shutdown(shutdown_runtime)
        .persistence(SQLitePersistence(db))
        .concurrent_updates(processor)
    )
    app = builder.build()
    processor.bind(app)
    clock = clock or Clock()
    app.bot_data[FREEZE_GC] = freeze_gc
    runtime = app.bot_data[KEY] = Runtime(
        config=config,
        db=db,
        clock=clock,
        scheduler=Scheduler(db, clock),
        throttle=throttle if throttle is not None else Throttle(),
    )
    processor.screen = not_flooding(runtime)
    for name in FEATURES:
        importlib.import_module(name).register(app)
    importlib.import_module("handlers.common").register_fallbacks(app)
    return app


FREEZE_GC = "freeze_gc"
COLLECTOR = "gc_collector"


def not_flooding(rt: Runtime) -> Callable[[object], bool]:
    """The processor's screen: an update flood control would drop without a word (the person
    was told a moment ago) is dropped on arrival; the rest meet the throttle handler as usual
    (handlers/common.py), which counts, warns and drops."""

    def admit(update: object) -> bool:
        user = update.effective_user if isinstance(update, Update) else None
        return (
            user is None or user.is_bot or not rt.throttle.silent_drop(user.id, rt.clock.seconds())
        )

    return admit


def freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, catalogues, the garbage knowledge base,
    plotting libraries) out of the garbage collector's sight.

    A full (generation 2) collection walks every tracked object; with them it paused the bot
    for 50-130 ms a few times a minute under load, the worst latencies of the benchmark.
    Done once per process (`community-bot run`); tests, which start many bots in one
    process, leave it off.
    """
    gc.collect()
    gc.freeze()


async def start_runtime(app: Application) -> None:
    """Open the database (migrating it), warm caches, re-schedule every pending job."""
    rt = get_runtime(app)
    if rt.cache.get("started"):
        return
    await rt.db.open()
    i18n.preload()
    rt.bot_username = app.bot.username
    pending = await rt.scheduler.start(app)
    rt.cache["started"] = True
    if app.bot_data.get(FREEZE_GC):
        freeze_startup_heap()
        if isinstance(app.update_processor, OrderedUpdateProcessor):
            # Full collections only when quiet or overdue (bot/collector.py).
            app.bot_data[COLLECTOR] = hold_full_collections(app, app.update_processor)
    log.info("ready as @%s, %d scheduled jobs pending", rt.bot_username, pending)
    await set_default_menus(app)  # Telegram's command menu: handlers/command_menu.py


async def shutdown_runtime(app: Application) -> None:
    rt = get_runtime(app)
    rt.cache.clear()
    collector = app.bot_data.pop(COLLECTOR, None)
    if collector is not None:
        collector.release()
    await rt.db.close()
