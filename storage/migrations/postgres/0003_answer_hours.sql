-- Answers per member and hour, kept by a trigger, so progress lines cost no scan of answers.
CREATE TABLE answer_hours (
    project_id  bigint NOT NULL,
    member_id   bigint NOT NULL,
    hour        integer NOT NULL,           -- hours since the epoch, UTC
    answers     integer NOT NULL,
    PRIMARY KEY (project_id, member_id, hour)
);

INSERT INTO answer_hours (project_id, member_id, hour, answers)
SELECT project_id, member_id, floor(at / 3600)::integer, COUNT(*)
FROM answers GROUP BY 1, 2, 3;

-- floor, not a cast: a cast to integer rounds, SQLite's truncates.
CREATE FUNCTION answers_hour() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO answer_hours (project_id, member_id, hour, answers)
    VALUES (NEW.project_id, NEW.member_id, floor(NEW.at / 3600)::integer, 1)
    ON CONFLICT (project_id, member_id, hour)
    DO UPDATE SET answers = answer_hours.answers + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER answers_hour AFTER INSERT ON answers
    FOR EACH ROW EXECUTE FUNCTION answers_hour();
