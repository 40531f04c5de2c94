-- A batch may have a deadline (seconds since the epoch); NULL means none.
ALTER TABLE batches ADD COLUMN deadline double precision;
