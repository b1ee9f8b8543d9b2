-- The web dashboard (#20): sign-in links sent by /dashboard, and browser sessions.
-- Only hashes of the secrets are kept: a copy of the database opens no dashboard.
-- Times are UTC epoch seconds (REAL) from the bot's clock.
CREATE TABLE dashboard_links (
    token_hash  TEXT PRIMARY KEY,                  -- sha256 of the token in the link
    user_id     INTEGER NOT NULL,                  -- the one person it signs in
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL,
    used_at     REAL                               -- single use: set when redeemed
);
CREATE INDEX dashboard_links_expiry ON dashboard_links(expires_at);

CREATE TABLE dashboard_sessions (
    id_hash     TEXT PRIMARY KEY,                  -- sha256 of the cookie's value
    user_id     INTEGER NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('link', 'webapp')),
    created_at  REAL NOT NULL,
    seen_at     REAL NOT NULL,                     -- idle expiry counts from here
    ended_at    REAL                               -- signed out
);
CREATE INDEX dashboard_sessions_user ON dashboard_sessions(user_id);
