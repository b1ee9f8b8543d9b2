-- An item carried over into a later round keeps its progress: every row of one item, through
-- the rounds, shares the id of its first row (origin_id). A name typed again afresh is a new
-- item with a history of its own.
ALTER TABLE menu_items ADD COLUMN origin_id BIGINT;
UPDATE menu_items SET origin_id = id;
CREATE INDEX menu_items_origin ON menu_items(origin_id);
