-- Placeholder on the trust-community branch only: number 0010 belongs to another branch's
-- migration. Drop this file when merging (0011_trust_community.sql follows those).
SELECT 1;
