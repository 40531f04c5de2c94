-- An outbox message is claimed by the worker about to send it, so several workers send each
-- message once; a claim older than the hold is taken to be a dead worker's, and is taken over.
ALTER TABLE outbox ADD COLUMN claimed_at double precision;
