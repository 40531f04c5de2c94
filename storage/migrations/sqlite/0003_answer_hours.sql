-- Answers per member and hour, kept by a trigger, so progress lines cost no scan of answers.
CREATE TABLE answer_hours (
    project_id  INTEGER NOT NULL,
    member_id   INTEGER NOT NULL,
    hour        INTEGER NOT NULL,           -- hours since the epoch, UTC
    answers     INTEGER NOT NULL,
    PRIMARY KEY (project_id, member_id, hour)
) WITHOUT ROWID;

INSERT INTO answer_hours (project_id, member_id, hour, answers)
SELECT project_id, member_id, CAST(at / 3600 AS INTEGER), COUNT(*)
FROM answers GROUP BY 1, 2, 3;

CREATE TRIGGER answers_hour AFTER INSERT ON answers BEGIN
    INSERT INTO answer_hours (project_id, member_id, hour, answers)
    VALUES (NEW.project_id, NEW.member_id, CAST(NEW.at / 3600 AS INTEGER), 1)
    ON CONFLICT (project_id, member_id, hour) DO UPDATE SET answers = answers + 1;
END;
