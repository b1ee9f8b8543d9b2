"""The `community-bot` console script: run, demo, chat, sort, backup, migrate-db."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import sys

from bot import logfilter
from bot.config import ConfigError, load_config


class _TokenFilter(logging.Filter):
    """Keep the bot token out of every log line (httpx logs request URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<BOT_TOKEN>")
            record.args = ()
        return True


def _setup_logging(level: str, token: str = "") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # No single fault may fill the disk: repeated records are dropped and counted.
    logfilter.install()
    if token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_TokenFilter(token))


def cmd_run(args: argparse.Namespace) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application
    from bot.serve import Webhook, serve
    from storage.db import DatabaseError

    try:
        config = load_config()
    except ConfigError as exc:
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2
    _setup_logging(args.log_level, config.token)
    app = build_application(config, freeze_gc=True)
    webhook = None
    if args.webhook:
        webhook = Webhook(
            url=args.webhook,
            listen=args.listen,
            port=args.port,
            # Never without a secret: otherwise anyone reaching the port could post updates
            # "from" any person. The active instance sets the webhook itself, so a random
            # per-process secret works when none is configured.
            secret_token=args.secret_token
            or os.environ.get("WEBHOOK_SECRET_TOKEN")
            or secrets.token_urlsafe(32),
        )
    try:
        return asyncio.run(serve(app, webhook=webhook))
    except InvalidToken:
        print(
            f"community-bot: the Bot API at {config.api_url} rejected BOT_TOKEN; "
            "check it with @BotFather",
            file=sys.stderr,
        )
        return 2
    except DatabaseError as exc:  # read-only, permission, full, corrupt: one line each
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2
    except NetworkError as exc:
        message = str(exc).replace(config.token, "<BOT_TOKEN>")
        print(
            f"community-bot: cannot reach the Bot API at {config.api_url}: {message}",
            file=sys.stderr,
        )
        return 3


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.offline import demo

    return demo.main(args.db)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.offline import playground

    return playground.main(args.db)


def cmd_dashboard_demo(args: argparse.Namespace) -> int:
    from bot.offline import dashboard_playground

    return dashboard_playground.main(args.port, args.db)


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.db import DatabaseError, connect

    try:
        config = load_config(require_token=False)
    except ConfigError as exc:
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2

    async def backup() -> None:
        db = connect(config.database)
        await db.open()
        try:
            await db.backup_to(args.path)
        finally:
            await db.close()

    try:
        asyncio.run(backup())
    except DatabaseError as exc:
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2
    print(f"backed up {config.database_path} to {args.path}")
    return 0


def cmd_migrate_db(args: argparse.Namespace) -> int:
    from storage.db import DatabaseError
    from storage.dialect import is_postgres_url

    try:
        config = load_config(require_token=False)
    except ConfigError as exc:
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2
    if not is_postgres_url(args.to):
        print("community-bot: --to must be a postgresql://… URL", file=sys.stderr)
        return 2
    source = args.source or config.database_path
    from storage.copydb import copy_sqlite_to_postgres

    try:
        counts = asyncio.run(copy_sqlite_to_postgres(source, args.to))
    except DatabaseError as exc:
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2
    print(
        f"copied {sum(counts.values())} rows in {len(counts)} tables from {source}; "
        "row counts match. Set DATABASE_URL to use it."
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Which instance is active (the leader lease); exit 1 when none is (a health check)."""
    import time

    from storage import leader
    from storage.db import DatabaseError, connect

    try:
        config = load_config(require_token=False)
    except ConfigError as exc:
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2

    async def read() -> tuple[str, float] | None:
        db = connect(config.database)
        await db.open()
        try:
            row = await leader.current(db, "bot")
        finally:
            await db.close()
        return None if row is None else (str(row["holder"]), float(row["expires_at"]))

    try:
        lease = asyncio.run(read())
    except DatabaseError as exc:
        print(f"community-bot: {exc}", file=sys.stderr)
        return 2
    left = lease[1] - time.time() if lease is not None else -1.0
    if lease is None or left < 0:
        print("no instance is active")
        return 1
    print(f"active: {lease[0]} (lease renewed, {left:.0f} s left)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="community-bot",
        description="Telegram bot for residents of old residential communities (老旧小区改造).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="start the bot (needs BOT_TOKEN): long polling, or a webhook; with other "
        "instances on the same database, one is active and the rest stand by",
    )
    run.add_argument("--log-level", default="INFO")
    run.add_argument("--webhook", metavar="URL", help="receive updates at this https URL")
    run.add_argument(
        "--listen", default="127.0.0.1", help="webhook server address (behind a TLS proxy)"
    )
    run.add_argument("--port", type=int, default=8443, help="webhook server port")
    run.add_argument(
        "--secret-token",
        help="Telegram sends it with every update (default: env WEBHOOK_SECRET_TOKEN)",
    )
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="play a scripted day offline and print the transcript")
    demo.add_argument("--db", help="keep the demo database at this path")
    demo.set_defaults(func=cmd_demo)
    chat = sub.add_parser("chat", help="interactive offline playground")
    chat.add_argument("--db", help="keep the playground database at this path")
    chat.set_defaults(func=cmd_chat)
    dash = sub.add_parser(
        "dashboard-demo", help="the web dashboard offline on seeded data, with sign-in links"
    )
    dash.add_argument("--port", type=int, default=8099)
    dash.add_argument("--db", help="keep the demo database at this path")
    dash.set_defaults(func=cmd_dashboard_demo)
    backup = sub.add_parser("backup", help="consistent online copy of DATABASE_PATH")
    backup.add_argument("path")
    backup.set_defaults(func=cmd_backup)
    migrate = sub.add_parser(
        "migrate-db", help="copy the SQLite database (DATABASE_PATH) into an empty PostgreSQL one"
    )
    migrate.add_argument("--to", required=True, metavar="postgresql://…")
    migrate.add_argument("--from", dest="source", help="SQLite file (default: DATABASE_PATH)")
    migrate.set_defaults(func=cmd_migrate_db)
    status = sub.add_parser("status", help="which instance is active; exit 1 if none")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "sort":
        # The look-up has its own argument parser (items, --json).
        from bot.sorting_cli import main as sort_main

        return sort_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
