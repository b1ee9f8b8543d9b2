-- Garbage sorting look-ups and the flying-chess game (垃圾分类飞行棋).

-- Questions the knowledge base could not answer, so staff can add the items.
CREATE TABLE sorting_unknown (
    query        TEXT PRIMARY KEY,           -- normalised (Simplified, folded width)
    asked        INTEGER NOT NULL DEFAULT 1,
    first_asked  REAL NOT NULL,              -- UTC epoch seconds
    last_asked   REAL NOT NULL
);
CREATE INDEX sorting_unknown_asked ON sorting_unknown(asked DESC, last_asked DESC);

-- One row per game; `state` is bot.quiz.Game.to_dict() as JSON, the whole truth of a game.
CREATE TABLE quiz_games (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: old buttons stay stale
    chat_id      INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'finished')),
    state        TEXT NOT NULL,
    opened_by    INTEGER NOT NULL,
    opened_at    REAL NOT NULL,
    finished_at  REAL,
    lobby_message_id INTEGER
);
-- One game per group at a time.
CREATE UNIQUE INDEX quiz_games_active ON quiz_games(chat_id) WHERE status = 'active';

-- Per-group settings (turn timer in seconds).
CREATE TABLE quiz_settings (
    chat_id       INTEGER PRIMARY KEY,
    turn_seconds  INTEGER NOT NULL CHECK (turn_seconds BETWEEN 10 AND 600)
);

-- Results of finished games, for /quiz_top and /quiz_stats.
CREATE TABLE quiz_scores (
    game_id   INTEGER NOT NULL REFERENCES quiz_games(id) ON DELETE CASCADE,
    chat_id   INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL,
    n_right   INTEGER NOT NULL,
    n_wrong   INTEGER NOT NULL,
    won       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (game_id, user_id)
);
CREATE INDEX quiz_scores_chat ON quiz_scores(chat_id, user_id);

CREATE TABLE quiz_missed (
    game_id  INTEGER NOT NULL REFERENCES quiz_games(id) ON DELETE CASCADE,
    chat_id  INTEGER NOT NULL,
    item     TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (game_id, item)
);
CREATE INDEX quiz_missed_chat ON quiz_missed(chat_id, item);
