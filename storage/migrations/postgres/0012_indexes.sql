-- Indexes on the foreign keys that deletes follow (a draft batch's items, a member's roles,
-- button tokens and outbox messages) and that the review queue reads by (an item's flags), so
-- a delete or a lookup does not scan a whole table; and on the times housekeeping prunes by.
CREATE INDEX items_batch ON items (batch_id);
CREATE INDEX roles_member ON roles (member_id);
CREATE INDEX tokens_member ON tokens (member_id);
CREATE INDEX outbox_member ON outbox (member_id);
CREATE INDEX flags_item ON flags (item_id);
CREATE INDEX tokens_created ON tokens (created_at);
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
