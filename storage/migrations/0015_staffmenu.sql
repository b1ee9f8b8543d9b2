-- Progress of a menu item with a note and a date (#18), 暂不实施 ('paused') among the states.
-- The latest row of an item is its progress; menu_items.progress keeps the older states only
-- (its CHECK predates 'paused'), so readers take the latest row first.
CREATE TABLE menu_progress_notes (
    id            INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES menu_rounds(id) ON DELETE CASCADE,
    item_id       INTEGER NOT NULL REFERENCES menu_items(id) ON DELETE CASCADE,
    state         TEXT NOT NULL
                  CHECK (state IN ('none', 'planned', 'building', 'done', 'paused')),
    note          TEXT NOT NULL DEFAULT '',
    at            REAL NOT NULL,
    set_by        INTEGER NOT NULL
);
CREATE INDEX menu_progress_notes_item ON menu_progress_notes(item_id, id);
