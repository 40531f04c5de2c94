-- Undo of an annotator's last answer: the item's target before the answer (so withdrawing it
-- also withdraws the extra answer it asked for), and per annotator the id of the last answer
-- withdrawn (only answers after it can be withdrawn, so a repeated /undo takes back one).
ALTER TABLE answers ADD COLUMN target_before INTEGER;
ALTER TABLE roles ADD COLUMN undo_floor BIGINT NOT NULL DEFAULT 0;

-- The card's "34 of 200 in this batch" without counting rows on every card: each batch's real
-- (not gold) items, and each annotator's answers to real items per batch, kept by triggers.
ALTER TABLE batches ADD COLUMN n_items INTEGER NOT NULL DEFAULT 0;
UPDATE batches SET n_items = (SELECT COUNT(*) FROM items i
                              WHERE i.batch_id = batches.id AND i.gold IS NULL);

CREATE TRIGGER items_batch_add AFTER INSERT ON items WHEN NEW.gold IS NULL BEGIN
    UPDATE batches SET n_items = n_items + 1 WHERE id = NEW.batch_id;
END;

CREATE TRIGGER items_batch_drop AFTER DELETE ON items WHEN OLD.gold IS NULL BEGIN
    UPDATE batches SET n_items = n_items - 1 WHERE id = OLD.batch_id;
END;

CREATE TRIGGER items_batch_gold AFTER UPDATE OF gold ON items
WHEN (OLD.gold IS NULL) != (NEW.gold IS NULL) BEGIN
    UPDATE batches SET n_items = n_items + (CASE WHEN NEW.gold IS NULL THEN 1 ELSE -1 END)
    WHERE id = NEW.batch_id;
END;

CREATE TABLE batch_answers (
    batch_id   INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    answers    INTEGER NOT NULL,
    PRIMARY KEY (batch_id, member_id)
) WITHOUT ROWID;

INSERT INTO batch_answers (batch_id, member_id, answers)
SELECT i.batch_id, a.member_id, COUNT(*) FROM answers a JOIN items i ON i.id = a.item_id
WHERE a.correct IS NULL GROUP BY 1, 2;

CREATE TRIGGER answers_batch AFTER INSERT ON answers WHEN NEW.correct IS NULL BEGIN
    INSERT INTO batch_answers (batch_id, member_id, answers)
    SELECT batch_id, NEW.member_id, 1 FROM items WHERE id = NEW.item_id
    ON CONFLICT (batch_id, member_id) DO UPDATE SET answers = answers + 1;
END;

CREATE TRIGGER answers_batch_undo AFTER DELETE ON answers WHEN OLD.correct IS NULL BEGIN
    UPDATE batch_answers SET answers = answers - 1
    WHERE member_id = OLD.member_id
      AND batch_id = (SELECT batch_id FROM items WHERE id = OLD.item_id);
END;
