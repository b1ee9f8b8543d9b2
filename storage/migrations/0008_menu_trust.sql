-- One person counts once per round: the household each person first confirmed an order for.
-- Kept apart from menu_orders (whose user_id is only the last confirmer) so the rule holds
-- however residents later move or re-register.
CREATE TABLE menu_confirmers (
    round_id      INTEGER NOT NULL REFERENCES menu_rounds(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    household_id  INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    at            REAL NOT NULL,
    PRIMARY KEY (round_id, user_id)
);
