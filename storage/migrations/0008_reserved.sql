-- Placeholder on the remind2 branch only: number 0008 is taken by another branch.
-- Drop this file when merging; it changes nothing.
SELECT 1;
