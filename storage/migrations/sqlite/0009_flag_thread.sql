-- QA can send a flagged item back to its annotators: the flag waits for their replies (out of
-- the review queue meanwhile), and the exchange is kept as the flag's thread.
ALTER TABLE flags ADD COLUMN waiting_since REAL;

CREATE TABLE flag_notes (
    id          INTEGER PRIMARY KEY,
    flag_id     INTEGER NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
    member_id   INTEGER REFERENCES members(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,              -- sent_back, relabelled, kept
    body        TEXT NOT NULL DEFAULT '',
    at          REAL NOT NULL
);
CREATE INDEX flag_notes_flag ON flag_notes (flag_id, id);
