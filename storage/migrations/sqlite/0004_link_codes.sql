-- One-time codes that attach a second platform's account to the same member.
CREATE TABLE link_codes (
    code        TEXT PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    expires_at  REAL NOT NULL,
    created_at  REAL NOT NULL
);
