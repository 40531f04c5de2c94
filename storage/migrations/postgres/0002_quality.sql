-- Qualification per annotator, and answers the aggregation leaves out (with the reason).
ALTER TABLE roles ADD COLUMN qualification text NOT NULL DEFAULT 'none'
    CHECK (qualification IN ('none', 'pending', 'passed', 'failed'));
ALTER TABLE roles ADD COLUMN qual_since double precision NOT NULL DEFAULT 0;
ALTER TABLE answers ADD COLUMN excluded text;
CREATE INDEX flags_member ON flags (project_id, member_id, kind, status);
