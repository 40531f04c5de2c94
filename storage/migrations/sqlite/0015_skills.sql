-- Skill routing: each annotator's expected answer counts under the project's Dawid-Skene model
-- (JSON [true][answered]) and their gold answers; per project the model's classes, its class
-- prior and the answers it was estimated from (their count and the last id). Derived state:
-- the scheduler's "skills" job writes it again from the answers; it may be dropped any time.
CREATE TABLE skill_models (
    project_id   INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    labels       TEXT NOT NULL,
    class_prior  TEXT NOT NULL,
    answers      INTEGER NOT NULL,
    last_answer  INTEGER NOT NULL,
    refreshed_at REAL NOT NULL
);

CREATE TABLE skills (
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    counts       TEXT NOT NULL,
    gold_answers INTEGER NOT NULL,
    PRIMARY KEY (project_id, member_id)
) WITHOUT ROWID;
