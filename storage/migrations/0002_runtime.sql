-- Durable scheduled jobs: the database is the source of truth; the JobQueue is a cache of it.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                 -- which registered callback runs it
    key         TEXT UNIQUE,                   -- optional natural key, to replace or cancel
    run_at      REAL NOT NULL,                 -- UTC epoch seconds
    payload     TEXT NOT NULL DEFAULT '{}',    -- JSON
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'done', 'cancelled', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    finished_at TEXT
);
CREATE INDEX jobs_pending ON jobs(status, run_at);

-- PTB persistence: conversation states and per-user drafts survive a restart.
CREATE TABLE conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,      -- JSON list (chat id, user id)
    state  TEXT NOT NULL,      -- JSON
    PRIMARY KEY (name, key)
);

CREATE TABLE user_drafts (
    user_id  INTEGER PRIMARY KEY,
    data     TEXT NOT NULL     -- JSON of context.user_data
);
