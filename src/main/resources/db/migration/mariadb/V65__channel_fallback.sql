-- Channel fallback (issue 14 point 6, docs/outbox.md#channel-fallback): a row may name a chain of
-- channels (whatsapp,sms,voice); when its send fails for good (a final undelivered/failed status
-- from the webhooks, or a creation error another channel avoids, such as 63016) the next channel
-- is queued as a new row linked to the one that failed.

-- Request column a producer may fill: the chain, comma-separated (a template may declare it too).
ALTER TABLE outbox_message ADD COLUMN fallback_chain VARCHAR(100);
-- State columns (the connector's, on the rows it queues): the row this one falls back from, its
-- place in the chain (0 = the producer's row) and why the previous step failed.
ALTER TABLE outbox_message ADD COLUMN parent_id BIGINT;
ALTER TABLE outbox_message ADD COLUMN fallback_step INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE outbox_message ADD COLUMN fallback_reason VARCHAR(200);
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_parent_fk
    FOREIGN KEY (parent_id) REFERENCES outbox_message (id);
-- Each step happens at most once: one fallback row per row, enforced by the database, so duplicate
-- or concurrent status callbacks, two replicas and a restart cannot queue a second one.
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_parent_uq UNIQUE (parent_id);
