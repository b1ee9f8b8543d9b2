"""Signing in to the web dashboard: Telegram's Mini App signature and our own sign-in links.

Pure functions (no SQL, no web framework), tested directly in tests/test_dashboard_auth.py.

- Mini App (`verify_init_data`): Telegram signs `Telegram.WebApp.initData` with the bot's
  token exactly as "Validating data received via the Mini App" documents: the secret key is
  HMAC-SHA256 of the token under the key "WebAppData"; the data-check-string is every field
  but `hash`, as `key=value`, sorted by key, joined by "\\n"; the hash is the hex HMAC-SHA256
  of that string under the secret key. Compared in constant time; `auth_date` must be recent.
- Links (`new_link_token`, `check_link_token`): a random secret plus an HMAC tag bound to the
  person and the expiry, keyed by a key derived from the bot token. The tag refuses a forged
  or altered token before any database look-up; the database keeps only the token's SHA-256
  and a used flag, which makes the link single-use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

# A Mini App's initData older than this is refused (Telegram signs it when the app opens).
INIT_DATA_MAX_AGE = 24 * 3600
# initData a few seconds "in the future" is a clock difference, more is a forgery.
CLOCK_SKEW = 60
LINK_TTL = 10 * 60  # a /dashboard link works for ten minutes, once
SESSION_IDLE = 30 * 60  # a session ends after half an hour without a page
SESSION_MAX = 12 * 3600  # and after twelve hours in any case
# A Mini App session lives in a cookie the browser sends inside Telegram Web's frame; it is
# kept short: reopening the Mini App signs in again with fresh initData.
WEBAPP_SESSION_MAX = 2 * 3600
MAX_INIT_DATA = 4096


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    auth_date: int


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram would put in initData with these fields (tests, the demo stub)."""
    return hmac.new(
        _secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()


def verify_init_data(init_data: str, bot_token: str, now: float) -> WebAppUser | None:
    """The signed-in person of a Mini App's initData, or None for anything not exactly as
    Telegram signs it (forged, altered, stale, malformed, a field twice, no user)."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key: which one did Telegram sign?
        return None
    given = fields.get("hash", "")
    if len(given) != 64:
        return None
    expected = sign_init_data(fields, bot_token)
    if not hmac.compare_digest(expected, given.lower()):
        return None
    try:
        auth_date = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        return None
    if not now - INIT_DATA_MAX_AGE <= auth_date <= now + CLOCK_SKEW:
        return None
    if user_id <= 0:
        return None
    lang = user.get("language_code")
    return WebAppUser(
        user_id,
        str(user.get("first_name", "")),
        lang if isinstance(lang, str) else None,
        auth_date,
    )


# ---- sign-in links -------------------------------------------------------------------------
def _link_key(bot_token: str) -> bytes:
    return hmac.new(b"community-bot dashboard link", bot_token.encode(), hashlib.sha256).digest()


def _tag(bot_token: str, nonce: str, user_id: int, expires: int) -> str:
    msg = f"{nonce}.{user_id}.{expires}".encode()
    return hmac.new(_link_key(bot_token), msg, hashlib.sha256).hexdigest()[:32]


def new_link_token(bot_token: str, user_id: int, expires: int) -> str:
    """`nonce.expires.tag`: URL-safe, carries no personal data (the user id is only in the
    tag's input, the database row says whose it is)."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{expires}.{_tag(bot_token, nonce, user_id, expires)}"


@dataclass(frozen=True)
class LinkToken:
    nonce: str
    expires: int


def parse_link_token(token: str) -> LinkToken | None:
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 200 or not parts[1].isdigit():
        return None
    return LinkToken(parts[0], int(parts[1]))


def check_link_token(token: str, bot_token: str, user_id: int) -> bool:
    """The tag matches this person (the database said whose the token is)."""
    parsed = parse_link_token(token)
    if parsed is None:
        return False
    tag = token.rsplit(".", 1)[1]
    return hmac.compare_digest(_tag(bot_token, parsed.nonce, user_id, parsed.expires), tag)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
