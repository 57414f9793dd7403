-- The bulk rules' count (issue 13, point 8): "more than N rows created within the window share the
-- row's campaign (or template)". Counting those rows in outbox_message on every claimed batch cost
-- as much as the claim itself on a backlog (every batch of a 20-campaign backlog counted all of it).
-- This table holds the same count aggregated by minute: rows per (kind, key, minute of created_at),
-- kept by the triggers below in the transaction that inserts, edits or deletes the rows, so it is
-- exact for every replica and every producer (also those writing the table directly). The gate sums
-- the whole minutes inside the window here and counts only the window's first, partial minute in
-- outbox_message (PolicyGate.bulkCounts).
--   kind: 'c' campaign, 't' template_name.
--   slot: the writing session (CONNECTION_ID()): concurrent transactions never update the same row,
--         so producers of one campaign neither wait for nor deadlock with each other. The count of
--         a key and minute is the SUM over slots; an entry can be negative (a session that deleted
--         rows another inserted).
-- TRUNCATE fires no trigger here: empty outbox_bulk_tally with it.
CREATE TABLE outbox_bulk_tally (
    kind     CHAR(1)      NOT NULL,
    bulk_key VARCHAR(100) NOT NULL,
    bucket   DATETIME(6)  NOT NULL,
    slot     BIGINT       NOT NULL,
    n        BIGINT       NOT NULL,
    PRIMARY KEY (kind, bulk_key, bucket, slot)
);
CREATE INDEX outbox_bulk_tally_bucket_idx ON outbox_bulk_tally (bucket);

CREATE TRIGGER outbox_bulk_tally_insert_trg AFTER INSERT ON outbox_message
    FOR EACH ROW
    INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
    SELECT k, bk, CAST(DATE_FORMAT(NEW.created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)),
           CONNECTION_ID(), 1
      FROM (SELECT 'c' AS k, NEW.campaign AS bk UNION ALL SELECT 't', NEW.template_name) r
     WHERE bk IS NOT NULL
    ON DUPLICATE KEY UPDATE n = n + 1;

CREATE TRIGGER outbox_bulk_tally_delete_trg AFTER DELETE ON outbox_message
    FOR EACH ROW
    INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
    SELECT k, bk, CAST(DATE_FORMAT(OLD.created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)),
           CONNECTION_ID(), -1
      FROM (SELECT 'c' AS k, OLD.campaign AS bk UNION ALL SELECT 't', OLD.template_name) r
     WHERE bk IS NOT NULL
    ON DUPLICATE KEY UPDATE n = n - 1;

-- An edit of a row's campaign, template or created_at (by hand) moves it; the claim and status
-- updates, which change none of them, insert nothing.
CREATE TRIGGER outbox_bulk_tally_update_trg AFTER UPDATE ON outbox_message
    FOR EACH ROW
    INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
    SELECT k, bk, b, CONNECTION_ID(), d FROM (
        SELECT 'c' AS k, OLD.campaign AS bk,
               CAST(DATE_FORMAT(OLD.created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)) AS b, -1 AS d
        UNION ALL SELECT 'c', NEW.campaign,
               CAST(DATE_FORMAT(NEW.created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)), 1
        UNION ALL SELECT 't', OLD.template_name,
               CAST(DATE_FORMAT(OLD.created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)), -1
        UNION ALL SELECT 't', NEW.template_name,
               CAST(DATE_FORMAT(NEW.created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)), 1) r
     WHERE bk IS NOT NULL
       AND NOT (OLD.campaign <=> NEW.campaign
                AND OLD.template_name <=> NEW.template_name
                AND OLD.created_at <=> NEW.created_at)
    ON DUPLICATE KEY UPDATE n = n + VALUES(n);

-- The rows already there.
INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
SELECT 'c', campaign, CAST(DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)), 0, COUNT(*)
  FROM outbox_message WHERE campaign IS NOT NULL GROUP BY 2, 3;
INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
SELECT 't', template_name, CAST(DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:00') AS DATETIME(6)), 0,
       COUNT(*)
  FROM outbox_message WHERE template_name IS NOT NULL GROUP BY 2, 3;
