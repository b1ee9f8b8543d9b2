-- The real number of households in each building, set by staff (#18): turnout is measured
-- against it, not against the households that happen to be registered with the bot.
CREATE TABLE building_households (
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    building      TEXT NOT NULL,
    households    INTEGER NOT NULL CHECK (households >= 0),
    set_by        INTEGER NOT NULL,
    set_at        REAL NOT NULL,
    PRIMARY KEY (community_id, building)
);
