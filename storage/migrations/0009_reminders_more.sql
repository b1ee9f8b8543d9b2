-- Notices and care visits, more (#14, #18).

-- The send ledger learns two outcomes: 'retry' (provably not sent: no connection, or 429;
-- a durable job sends it later) and 'unknown' (the request may have arrived: never repeated,
-- staff told). `attempts` counts the tries of a row. SQLite cannot change a CHECK in place:
-- the table is rebuilt with its rows.
CREATE TABLE sends_new (
    send_key   TEXT NOT NULL,
    target     INTEGER NOT NULL,
    status     TEXT NOT NULL DEFAULT 'claimed'
               CHECK (status IN ('claimed', 'sent', 'blocked', 'failed', 'unknown', 'retry')),
    message_id INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 1,
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (send_key, target)
);
INSERT INTO sends_new (send_key, target, status, message_id, at)
    SELECT send_key, target, status, message_id, at FROM sends;
DROP TABLE sends;
ALTER TABLE sends_new RENAME TO sends;
