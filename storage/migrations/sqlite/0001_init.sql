-- tapmark schema, version 1.
CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    spec        TEXT NOT NULL,              -- JSON: ProjectSpec (task, labels, quality, ...)
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);

CREATE TABLE guidelines (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  REAL NOT NULL,
    UNIQUE (project_id, version)
);

CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published', 'paused', 'closed')),
    created_at  REAL NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    batch_id     INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    ext_id       TEXT NOT NULL,
    data         TEXT NOT NULL,             -- JSON object
    gold         TEXT,                      -- the known answer of a gold item, else NULL
    explanation  TEXT,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'disputed', 'held')),
    n_answers    INTEGER NOT NULL DEFAULT 0,  -- answers received
    n_load       INTEGER NOT NULL DEFAULT 0,  -- live assignments: answered plus leased
    n_target     INTEGER NOT NULL,            -- answers wanted now (dynamic overlap raises it)
    UNIQUE (project_id, ext_id)
);
CREATE INDEX items_pick ON items (project_id, status, n_answers DESC, id) WHERE gold IS NULL;
CREATE INDEX items_gold ON items (project_id) WHERE gold IS NOT NULL;

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    pseudonym   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT '',
    project_id  INTEGER REFERENCES projects(id) ON DELETE SET NULL,  -- the project they work on now
    pending     TEXT,                       -- JSON: what their next text message answers
    created_at  REAL NOT NULL
);

CREATE TABLE identities (
    platform    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    name        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (platform, user_id)
);
CREATE INDEX identities_member ON identities (member_id);

CREATE TABLE roles (
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('annotator', 'qa', 'manager')),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'removed')),
    joined_at   REAL NOT NULL,
    PRIMARY KEY (project_id, member_id, role)
);

CREATE TABLE invites (
    code        TEXT PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('annotator', 'qa', 'manager')),
    uses_left   INTEGER,                    -- NULL: unlimited
    expires_at  REAL,                       -- NULL: never
    created_at  REAL NOT NULL
);

CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    item_id     INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('leased', 'answered', 'skipped', 'reported')),
    is_gold     INTEGER NOT NULL DEFAULT 0,
    shown_at    REAL NOT NULL,
    expires_at  REAL NOT NULL,
    UNIQUE (item_id, member_id)
);
CREATE INDEX assignments_member ON assignments (member_id, status);
-- A member holds at most one unanswered lease per project at a time.
CREATE UNIQUE INDEX assignments_one_open ON assignments (member_id, project_id)
    WHERE status = 'leased';
CREATE INDEX assignments_expiry ON assignments (project_id, expires_at) WHERE status = 'leased';

CREATE TABLE answers (
    id             INTEGER PRIMARY KEY,
    assignment_id  INTEGER NOT NULL UNIQUE REFERENCES assignments(id) ON DELETE CASCADE,
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    item_id        INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    member_id      INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    value          TEXT NOT NULL,
    time_ms        INTEGER NOT NULL,
    at             REAL NOT NULL,
    correct        INTEGER                  -- gold items: 1 or 0; else NULL
);
CREATE INDEX answers_item ON answers (item_id);
CREATE INDEX answers_member ON answers (member_id, project_id);

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    item_id     INTEGER REFERENCES items(id) ON DELETE CASCADE,
    member_id   INTEGER REFERENCES members(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,              -- unclear, broken, offensive, other, disputed, gold_failed
    reason      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution  TEXT,
    created_at  REAL NOT NULL
);
CREATE INDEX flags_project ON flags (project_id, status);

CREATE TABLE results (
    item_id     INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    confidence  REAL NOT NULL,
    method      TEXT NOT NULL,
    updated_at  REAL NOT NULL
);

CREATE TABLE tokens (
    token       TEXT PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    ref         TEXT NOT NULL,              -- JSON: what the screen was about
    created_at  REAL NOT NULL
);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          REAL NOT NULL,
    project_id  INTEGER,
    member_id   INTEGER,
    action      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    platform    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    screen      TEXT NOT NULL,              -- JSON: the Screen to send
    created_at  REAL NOT NULL,
    sent_at     REAL
);
CREATE INDEX outbox_pending ON outbox (platform, id) WHERE sent_at IS NULL;

-- Counters on items follow the rows they count, inside the same statement.
CREATE TRIGGER answers_count AFTER INSERT ON answers BEGIN
    UPDATE assignments SET status = 'answered' WHERE id = NEW.assignment_id;
    UPDATE items SET n_answers = n_answers + 1 WHERE id = NEW.item_id;
END;

CREATE TRIGGER assignments_load AFTER INSERT ON assignments BEGIN
    UPDATE items SET n_load = n_load + 1 WHERE id = NEW.item_id;
END;
