-- Placeholder on the `repairs` branch only: migration numbers must have no gap, and 0003 is
-- reserved for the menu feature. When merging, take the menu branch's 0003_menu.sql instead.
SELECT 1;
