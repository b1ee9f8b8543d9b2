-- Trust in households (#15): joining a household that already has members waits for a
-- member's approval (or, when nobody answers, the grid worker's or staff's). Until then the
-- person has no `residents` row, so every feature that reads households (menu, repairs,
-- /me, /grid) sees nothing of that household; an approval moves the row into `residents`.
CREATE TABLE household_requests (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    household_id  INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    display_name  TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'approved', 'refused', 'withdrawn')),
    escalated     INTEGER NOT NULL DEFAULT 0,   -- grid worker / staff were asked too
    decided_by    INTEGER,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    decided_at    TEXT
);
-- One open request per person: a new registration withdraws the old request.
CREATE UNIQUE INDEX household_requests_open ON household_requests(user_id)
    WHERE status = 'pending';
CREATE INDEX household_requests_household ON household_requests(household_id, status);

-- Look-ups nobody could answer, per community, so staff see only their own residents' asks.
-- The old table has no community and kept the text unmasked (phone numbers, rooms): its rows
-- are dropped, the table stays for older code.
CREATE TABLE sorting_unknown_by_community (
    community_id  INTEGER NOT NULL,             -- 0: asked where no community is known
    query         TEXT NOT NULL,                -- normalised and masked (no phone, room, name)
    asked         INTEGER NOT NULL DEFAULT 1,
    first_asked   REAL NOT NULL,
    last_asked    REAL NOT NULL,
    PRIMARY KEY (community_id, query)
);
CREATE INDEX sorting_unknown_by_community_asked
    ON sorting_unknown_by_community(community_id, asked DESC, last_asked DESC);
DELETE FROM sorting_unknown;
