-- Notices, meetings, care visits and announcements, more (#18).

-- A meeting's answers belong to one occurrence (`occ`, UTC epoch): a weekly meeting's 参加 does
-- not carry over to next week. Old answers are kept for the occurrence that was next.
CREATE TABLE rsvps_new (
    notice_id  INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    occ        REAL NOT NULL,
    user_id    INTEGER NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    answer     TEXT NOT NULL CHECK (answer IN ('yes', 'no')),
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (notice_id, occ, user_id)
);
INSERT INTO rsvps_new (notice_id, occ, user_id, name, answer, at)
    SELECT r.notice_id, coalesce(n.next_run, 0), r.user_id, r.name, r.answer, r.at
    FROM rsvps r JOIN notices n ON n.id = r.notice_id;
DROP TABLE rsvps;
ALTER TABLE rsvps_new RENAME TO rsvps;

-- Care visits: staff may pause a person's visits; a 需要帮助 alert is taken by one person
-- (我来处理), and escalated to staff when nobody takes it in time.
ALTER TABLE care_people ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE care_visits ADD COLUMN taken_by INTEGER;
ALTER TABLE care_visits ADD COLUMN taken_name TEXT;

-- Announcements (公告): staff send a message privately to every registered resident of the
-- community, or of chosen buildings, now or at a time; through the send ledger (key 'an<id>').
CREATE TABLE announcements (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    text          TEXT NOT NULL,
    buildings     TEXT,                          -- JSON list of buildings; NULL = all
    ack           INTEGER NOT NULL DEFAULT 0,    -- carries an 已知晓 button
    send_at       REAL NOT NULL,                 -- UTC epoch
    status        TEXT NOT NULL DEFAULT 'scheduled'
                  CHECK (status IN ('scheduled', 'sent', 'cancelled')),
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX announcements_community ON announcements(community_id, status);

CREATE TABLE announcement_acks (
    announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (announcement_id, user_id)
);
