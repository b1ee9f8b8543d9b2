-- Renovation menu (菜单服务): rounds, their items, household orders, comments.
CREATE TABLE menu_rounds (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    max_picks     INTEGER NOT NULL DEFAULT 3 CHECK (max_picks BETWEEN 1 AND 20),
    per_person    INTEGER NOT NULL DEFAULT 0,   -- 0: one order per household
    live          INTEGER NOT NULL DEFAULT 0,   -- 1: tallies visible while open
    deadline      REAL,                         -- UTC epoch seconds, NULL: closed by staff
    created_by    INTEGER NOT NULL,
    created_at    REAL NOT NULL,
    opened_at     REAL,
    closed_at     REAL,
    results_posted INTEGER NOT NULL DEFAULT 0
);
-- At most one round being prepared or open per community.
CREATE UNIQUE INDEX menu_rounds_active ON menu_rounds(community_id)
    WHERE status IN ('draft', 'open');
CREATE INDEX menu_rounds_community ON menu_rounds(community_id, id);

CREATE TABLE menu_items (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES menu_rounds(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    removed      INTEGER NOT NULL DEFAULT 0,
    progress     TEXT NOT NULL DEFAULT 'none'
                 CHECK (progress IN ('none', 'planned', 'building', 'done'))
);
CREATE INDEX menu_items_round ON menu_items(round_id, position);

-- One row per voter and round: 'h<household>' (per household), 'u<user>' (per person) or
-- 'p<household>' (paper, per-person rounds). The UNIQUE key makes double taps harmless.
CREATE TABLE menu_orders (
    id            INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES menu_rounds(id) ON DELETE CASCADE,
    voter         TEXT NOT NULL,
    household_id  INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    user_id       INTEGER,                      -- who confirmed it last (NULL: paper)
    entered_by    INTEGER,                      -- grid worker / staff for paper orders
    paper         INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    REAL NOT NULL,
    UNIQUE (round_id, voter)
);
CREATE INDEX menu_orders_household ON menu_orders(round_id, household_id);
CREATE INDEX menu_orders_user ON menu_orders(round_id, user_id);

CREATE TABLE menu_picks (
    order_id  INTEGER NOT NULL REFERENCES menu_orders(id) ON DELETE CASCADE,
    item_id   INTEGER NOT NULL REFERENCES menu_items(id) ON DELETE CASCADE,
    PRIMARY KEY (order_id, item_id)
) WITHOUT ROWID;
CREATE INDEX menu_picks_item ON menu_picks(item_id);

-- 议一议 (item_id set) and free suggestions (item_id NULL).
CREATE TABLE menu_comments (
    id            INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES menu_rounds(id) ON DELETE CASCADE,
    item_id       INTEGER REFERENCES menu_items(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    text          TEXT NOT NULL,
    at            REAL NOT NULL
);
CREATE INDEX menu_comments_round ON menu_comments(round_id, item_id);

-- Turnout and reminders count a community's households; residents is keyed by user first.
CREATE INDEX IF NOT EXISTS menu_residents_community ON residents(community_id, household_id);
