-- Placeholder on the remind3 branch only: number 0012 belongs to another branch's migration.
-- Drop this file when merging (0013_reminders_more.sql follows it).
SELECT 1;
