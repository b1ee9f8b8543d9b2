-- The ledger key of the announcement that a meeting was paused (NULL: the pause was not
-- announced), so resuming announces a resumption only to whom the pause was told.
ALTER TABLE notices ADD COLUMN pause_key TEXT;
