-- Whose garbage-sorting rules a community follows (bot.sorting_city.CITIES).
-- No row: the national standard (GB/T 19095-2019).
CREATE TABLE sorting_city (
    community_id  INTEGER PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
    city          TEXT NOT NULL,
    updated_at    REAL NOT NULL               -- UTC epoch seconds
);
