-- The guideline version each member has acknowledged in each project.
ALTER TABLE roles ADD COLUMN guide_version integer NOT NULL DEFAULT 0;
