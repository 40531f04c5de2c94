-- One-time codes that attach a second platform's account to the same member.
CREATE TABLE link_codes (
    code        text PRIMARY KEY,
    member_id   bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    expires_at  double precision NOT NULL,
    created_at  double precision NOT NULL
);
