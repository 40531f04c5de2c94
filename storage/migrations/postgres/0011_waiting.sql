-- An annotator told "no tasks for you right now" waits; when work comes back they are told once.
ALTER TABLE roles ADD COLUMN waiting_since double precision;
