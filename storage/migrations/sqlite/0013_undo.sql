-- Undo of an annotator's last answer: the item's target before the answer (so withdrawing it
-- also withdraws the extra answer it asked for), and per annotator the id of the last answer
-- withdrawn (only answers after it can be withdrawn, so a repeated /undo takes back one).
ALTER TABLE answers ADD COLUMN target_before INTEGER;
ALTER TABLE roles ADD COLUMN undo_floor BIGINT NOT NULL DEFAULT 0;
