-- A standby (bot/leader.py): several `community-bot run` processes share one database; the one
-- holding this lease is active (polls or serves the webhook, handles updates, runs jobs).
-- Times are epoch seconds written by Python (the holders' clocks must agree within a second);
-- DOUBLE PRECISION (REAL affinity in SQLite): PostgreSQL's REAL is 4 bytes, ~2 min at today's epoch.
CREATE TABLE leader_lease (
    name        TEXT PRIMARY KEY,      -- 'bot'
    holder      TEXT NOT NULL,         -- host:pid:random of the active process
    expires_at  DOUBLE PRECISION NOT NULL,        -- the lease ends here unless renewed
    since       DOUBLE PRECISION NOT NULL         -- when this holder took it (for the log)
);

-- Job leases (bot/scheduler.py): a running job belongs to one process until its lease ends;
-- a crashed holder's jobs are taken over only after that, never while it may still run them.
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
ALTER TABLE jobs ADD COLUMN lease_until DOUBLE PRECISION;
