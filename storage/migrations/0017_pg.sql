-- Usernames are compared with lower() on both databases (SQLite's COLLATE NOCASE has no
-- PostgreSQL spelling); this index serves that comparison.
CREATE INDEX users_username_lower ON users(lower(username));
