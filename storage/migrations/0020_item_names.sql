-- An item's progress follows its name across a community's rounds (a round carries over
-- what is not done yet): look-ups of the same name need an index.
CREATE INDEX IF NOT EXISTS menu_items_name ON menu_items(name, round_id);
