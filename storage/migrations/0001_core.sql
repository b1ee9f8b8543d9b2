-- Communities, their group chats, people, households and roles.
CREATE TABLE communities (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE groups (
    chat_id       INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    title         TEXT NOT NULL DEFAULT '',
    lang          TEXT,
    linked_by     INTEGER,
    linked_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX groups_community ON groups(community_id);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,          -- Telegram user id
    first_name       TEXT NOT NULL DEFAULT '',
    username         TEXT,
    tg_lang          TEXT,                          -- Telegram's language_code
    lang             TEXT,                          -- chosen with /lang, wins over tg_lang
    started          INTEGER NOT NULL DEFAULT 0,    -- has opened a private chat with the bot
    blocked          INTEGER NOT NULL DEFAULT 0,    -- blocked the bot: skip private sends
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX users_username ON users(username COLLATE NOCASE);

CREATE TABLE households (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    building      TEXT NOT NULL,
    unit          TEXT NOT NULL,
    room          TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (community_id, building, unit, room)
);

-- A person's home in a community; several people may share a household.
CREATE TABLE residents (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    household_id  INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    display_name  TEXT NOT NULL DEFAULT '',
    phone         TEXT,
    registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (user_id, community_id)
);
CREATE INDEX residents_household ON residents(household_id);

CREATE TABLE roles (
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('staff', 'grid_worker', 'volunteer')),
    granted_by    INTEGER NOT NULL,
    granted_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (community_id, user_id, role)
);
CREATE INDEX roles_user ON roles(user_id);

CREATE TABLE volunteer_skills (
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    skill         TEXT NOT NULL,
    PRIMARY KEY (community_id, user_id, skill)
);
CREATE INDEX volunteer_skills_skill ON volunteer_skills(community_id, skill);

-- The public grid chart: which grid worker answers for which building.
CREATE TABLE grid_buildings (
    community_id  INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    building      TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (community_id, building)
);
CREATE INDEX grid_buildings_user ON grid_buildings(user_id);

-- Who did what, for staff review and for the authorization tests.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER,
    actor_id      INTEGER,
    action        TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
