-- Repair requests (报修): tickets, photos, history, followers ("我也遇到了"), volunteer offers.
-- Times are UTC epoch seconds (REAL) from the bot's clock, so tests can move time.
CREATE TABLE repair_tickets (
    id            INTEGER PRIMARY KEY,                 -- shown to people as #id
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    reporter_id   INTEGER NOT NULL REFERENCES users(id),
    household_id  INTEGER REFERENCES households(id) ON DELETE SET NULL,
    category      TEXT NOT NULL,
    building      TEXT NOT NULL DEFAULT '',            -- '' for a common area of the community
    unit          TEXT NOT NULL DEFAULT '',
    place         TEXT NOT NULL DEFAULT '',            -- free text: 楼顶, 小区大门 …
    description   TEXT NOT NULL,
    show_identity INTEGER NOT NULL DEFAULT 0,          -- volunteer may see name and room
    share_phone   INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN
                  ('new', 'assigned', 'in_progress', 'resolved', 'confirmed', 'closed')),
    close_reason  TEXT,
    assignee_id   INTEGER REFERENCES users(id),
    merged_into   INTEGER REFERENCES repair_tickets(id),
    rating        INTEGER CHECK (rating BETWEEN 1 AND 5),
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    accepted_at   REAL,
    resolved_at   REAL,
    due_at        REAL                                 -- accept-by, then resolve-by
);
CREATE INDEX repair_tickets_filter ON repair_tickets(community_id, status, building, category);
CREATE INDEX repair_tickets_category ON repair_tickets(community_id, category, status);
CREATE INDEX repair_tickets_building ON repair_tickets(community_id, building, status);
CREATE INDEX repair_tickets_due ON repair_tickets(community_id, status, due_at);
CREATE INDEX repair_tickets_assignee ON repair_tickets(assignee_id, status);
CREATE INDEX repair_tickets_reporter ON repair_tickets(reporter_id, id);

CREATE TABLE repair_photos (
    ticket_id  INTEGER NOT NULL REFERENCES repair_tickets(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    file_id    TEXT NOT NULL,                          -- Telegram file_id, re-sendable
    added_by   INTEGER NOT NULL,
    at         REAL NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE repair_history (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES repair_tickets(id) ON DELETE CASCADE,
    actor_id     INTEGER,                              -- NULL: the bot (escalation)
    at           REAL NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    note         TEXT NOT NULL DEFAULT '',
    internal     INTEGER NOT NULL DEFAULT 0            -- hidden from the resident
);
CREATE INDEX repair_history_ticket ON repair_history(ticket_id, id);

CREATE TABLE repair_followers (
    ticket_id  INTEGER NOT NULL REFERENCES repair_tickets(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at         REAL NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX repair_followers_user ON repair_followers(user_id);

-- Who was offered a ticket, and where that message is, to edit it once someone took it.
CREATE TABLE repair_offers (
    ticket_id   INTEGER NOT NULL REFERENCES repair_tickets(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, user_id, message_id)
);
