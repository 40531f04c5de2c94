-- Undo of an annotator's last answer: the item's target before the answer (so withdrawing it
-- also withdraws the extra answer it asked for), and per annotator the id of the last answer
-- withdrawn (only answers after it can be withdrawn, so a repeated /undo takes back one).
ALTER TABLE answers ADD COLUMN target_before INTEGER;
ALTER TABLE roles ADD COLUMN undo_floor BIGINT NOT NULL DEFAULT 0;

-- The card's "34 of 200 in this batch" without counting rows on every card: each batch's real
-- (not gold) items, and each annotator's answers to real items per batch, kept by triggers.
ALTER TABLE batches ADD COLUMN n_items integer NOT NULL DEFAULT 0;
UPDATE batches SET n_items = (SELECT COUNT(*) FROM items i
                              WHERE i.batch_id = batches.id AND i.gold IS NULL);

CREATE FUNCTION items_batch_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.gold IS NULL THEN
        UPDATE batches SET n_items = n_items + 1 WHERE id = NEW.batch_id;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.gold IS NULL THEN
        UPDATE batches SET n_items = n_items - 1 WHERE id = OLD.batch_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER items_batch_add AFTER INSERT OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION items_batch_count();
CREATE TRIGGER items_batch_gold AFTER UPDATE OF gold ON items
    FOR EACH ROW WHEN ((OLD.gold IS NULL) <> (NEW.gold IS NULL))
    EXECUTE FUNCTION items_batch_count();

CREATE TABLE batch_answers (
    batch_id   bigint NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    member_id  bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    answers    integer NOT NULL,
    PRIMARY KEY (batch_id, member_id)
);

INSERT INTO batch_answers (batch_id, member_id, answers)
SELECT i.batch_id, a.member_id, COUNT(*) FROM answers a JOIN items i ON i.id = a.item_id
WHERE a.correct IS NULL GROUP BY 1, 2;

CREATE FUNCTION answers_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO batch_answers (batch_id, member_id, answers)
        SELECT batch_id, NEW.member_id, 1 FROM items WHERE id = NEW.item_id
        ON CONFLICT (batch_id, member_id) DO UPDATE SET answers = batch_answers.answers + 1;
    ELSE
        UPDATE batch_answers SET answers = answers - 1
        WHERE member_id = OLD.member_id
          AND batch_id = (SELECT batch_id FROM items WHERE id = OLD.item_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER answers_batch AFTER INSERT ON answers
    FOR EACH ROW WHEN (NEW.correct IS NULL) EXECUTE FUNCTION answers_batch();
CREATE TRIGGER answers_batch_undo AFTER DELETE ON answers
    FOR EACH ROW WHEN (OLD.correct IS NULL) EXECUTE FUNCTION answers_batch();
