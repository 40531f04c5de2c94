-- What the scheduler has sent: one row per job and key (a project and a local date, a batch
-- and its deadline), inserted in the transaction that queues the messages, so nothing goes
-- out twice across ticks, restarts or workers.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,              -- digest, remind, deadline
    run_key     TEXT NOT NULL,              -- such as 3:2026-11-27 (project 3, that local day)
    ran_at      REAL NOT NULL,
    PRIMARY KEY (job, run_key)
);

-- Annotators who turned the quota reminders of a project off (/mute).
CREATE TABLE mutes (
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    muted_at    REAL NOT NULL,
    PRIMARY KEY (project_id, member_id)
);
