-- The bulk rules' count (issue 13, point 8): "more than N rows created within the window share the
-- row's campaign (or template)". Counting those rows in outbox_message on every claimed batch cost
-- as much as the claim itself on a backlog (every batch of a 20-campaign backlog counted all of it).
-- This table holds the same count aggregated by minute: rows per (kind, key, minute of created_at),
-- kept by the trigger below in the transaction that inserts, edits or deletes the rows, so it is
-- exact for every writer. The gate sums the whole minutes inside the window here and counts only
-- the window's first, partial minute in outbox_message (PolicyGate.bulkCounts).
--   kind: 'c' campaign, 't' template_name.
--   slot: the writing session (SESSION_ID()): concurrent transactions never update the same row.
--         The count of a key and minute is the SUM over slots; an entry can be negative.
-- TRUNCATE fires no trigger: empty outbox_bulk_tally with it.
CREATE TABLE outbox_bulk_tally (
    kind     CHAR(1)                     NOT NULL,
    bulk_key VARCHAR(100)                NOT NULL,
    bucket   TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    slot     BIGINT                      NOT NULL,
    n        BIGINT                      NOT NULL,
    PRIMARY KEY (kind, bulk_key, bucket, slot)
);
CREATE INDEX outbox_bulk_tally_bucket_idx ON outbox_bulk_tally (bucket);

-- H2 triggers are Java classes (PostgreSQL and MariaDB: SQL, see their V98).
CREATE TRIGGER outbox_bulk_tally_trg AFTER INSERT, UPDATE, DELETE ON outbox_message
    FOR EACH ROW CALL "org.twiliocrm.governance.BulkTallyTrigger";

-- The rows already there.
INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
SELECT 'c', campaign, DATE_TRUNC('MINUTE', created_at), 0, COUNT(*)
  FROM outbox_message WHERE campaign IS NOT NULL GROUP BY campaign, DATE_TRUNC('MINUTE', created_at);
INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
SELECT 't', template_name, DATE_TRUNC('MINUTE', created_at), 0, COUNT(*)
  FROM outbox_message WHERE template_name IS NOT NULL
 GROUP BY template_name, DATE_TRUNC('MINUTE', created_at);
