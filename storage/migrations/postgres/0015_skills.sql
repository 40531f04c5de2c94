-- Skill routing: each annotator's expected answer counts under the project's Dawid-Skene model
-- (JSON [true][answered]) and their gold answers; per project the model's classes, its class
-- prior and the answers it was estimated from (their count and the last id). Derived state:
-- the scheduler's "skills" job writes it again from the answers; it may be dropped any time.
CREATE TABLE skill_models (
    project_id   bigint PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    labels       text NOT NULL,
    class_prior  text NOT NULL,
    answers      integer NOT NULL,
    last_answer  bigint NOT NULL,
    refreshed_at double precision NOT NULL
);

CREATE TABLE skills (
    project_id   bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    member_id    bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    counts       text NOT NULL,
    gold_answers integer NOT NULL,
    PRIMARY KEY (project_id, member_id)
);
