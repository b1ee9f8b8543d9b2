-- #18: when a join request was decided, on the bot's clock (epoch seconds, REAL), so a person
-- refused by the household waits a while before the family is asked again.
ALTER TABLE household_requests ADD COLUMN decided_ts REAL;

-- /my lists the tickets of the whole household (#18): found by household, not by a scan.
CREATE INDEX repair_tickets_household ON repair_tickets(household_id, id);

-- The daily digest of residents' suggestions and 议一议 comments to staff (#18): the last
-- comment sent per community, and the staff who turned it off.
CREATE TABLE suggestion_digests (
    community_id  INTEGER PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
    last_comment  INTEGER NOT NULL
);
CREATE TABLE suggestion_digest_off (
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    PRIMARY KEY (community_id, user_id)
);
