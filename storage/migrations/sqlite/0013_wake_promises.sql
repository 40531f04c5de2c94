-- A wake promises one free answer slot of one item to the annotator told about it, until they
-- come for work or the promise lapses; slots promised are not promised again to others.
ALTER TABLE roles ADD COLUMN woken_item INTEGER;
ALTER TABLE roles ADD COLUMN woken_at REAL;
CREATE INDEX roles_woken ON roles (woken_item) WHERE woken_item IS NOT NULL;
CREATE INDEX roles_waiting ON roles (project_id) WHERE waiting_since IS NOT NULL;
