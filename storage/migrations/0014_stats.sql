-- #18: when a join request was decided, on the bot's clock (epoch seconds, REAL), so a person
-- refused by the household waits a while before the family is asked again.
ALTER TABLE household_requests ADD COLUMN decided_ts REAL;

-- /my lists the tickets of the whole household (#18): found by household, not by a scan.
CREATE INDEX repair_tickets_household ON repair_tickets(household_id, id);
