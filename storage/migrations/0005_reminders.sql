-- Staff notices (定时通知), meeting answers, care visits (关爱走访) and the send ledger.
CREATE TABLE notices (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    target_chat   INTEGER,                       -- one group, or NULL = all the community's groups
    text          TEXT NOT NULL,
    schedule      TEXT NOT NULL,                 -- JSON of bot.reminders.Schedule
    is_meeting    INTEGER NOT NULL DEFAULT 0,    -- carries 参加/不参加, reminded an hour before
    status        TEXT NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'paused', 'done', 'deleted')),
    next_run      REAL,                          -- next occurrence, UTC epoch (for listing)
    grace_minutes INTEGER NOT NULL DEFAULT 60,   -- later than this a missed run is skipped
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX notices_community ON notices(community_id, status);

CREATE TABLE rsvps (
    notice_id  INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    answer     TEXT NOT NULL CHECK (answer IN ('yes', 'no')),
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (notice_id, user_id)
);

-- At-most-once ledger: a (send, target) row is written BEFORE the message goes out.
CREATE TABLE sends (
    send_key   TEXT NOT NULL,                    -- which send: 'n12:1747300000', 'cv3:ping' …
    target     INTEGER NOT NULL,                 -- chat or user id
    status     TEXT NOT NULL DEFAULT 'claimed'
               CHECK (status IN ('claimed', 'sent', 'blocked', 'failed')),
    message_id INTEGER,
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (send_key, target)
);

CREATE TABLE care_people (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    building      TEXT NOT NULL,                 -- private: staff and assigned volunteers only
    unit          TEXT NOT NULL,
    room          TEXT NOT NULL,
    rhythm        TEXT NOT NULL,                 -- JSON of bot.reminders.Schedule
    active        INTEGER NOT NULL DEFAULT 1,
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE care_volunteers (
    care_id  INTEGER NOT NULL REFERENCES care_people(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (care_id, user_id)
);

CREATE TABLE care_visits (
    id           INTEGER PRIMARY KEY,
    care_id      INTEGER NOT NULL REFERENCES care_people(id) ON DELETE CASCADE,
    due_at       REAL NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'ok', 'help', 'overdue')),
    note         TEXT,
    recorded_by  INTEGER,
    recorded_at  TEXT,
    UNIQUE (care_id, due_at)
);
