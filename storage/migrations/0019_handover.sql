-- Updates an active instance had fetched (and so confirmed to Telegram) but not started when
-- it lost the lease (bot/serve.py, fencing): it hands them over here and the next active
-- instance handles them, so Telegram's confirmation loses none of them.
CREATE TABLE update_handover (
    update_id   BIGINT PRIMARY KEY,
    payload     TEXT NOT NULL,                 -- the Update as JSON
    created     DOUBLE PRECISION NOT NULL      -- epoch seconds (wall clock)
);
