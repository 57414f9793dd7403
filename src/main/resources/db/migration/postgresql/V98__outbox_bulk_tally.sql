-- The bulk rules' count (issue 13, point 8): "more than N rows created within the window share the
-- row's campaign (or template)". Counting those rows in outbox_message on every claimed batch cost
-- as much as the claim itself on a backlog (every batch of a 20-campaign backlog counted all of it).
-- This table holds the same count aggregated by minute: rows per (kind, key, minute of created_at),
-- kept by the triggers below in the transaction that inserts, edits or deletes the rows, so it is
-- exact for every replica and every producer (also those writing the table directly). The gate sums
-- the whole minutes inside the window here and counts only the window's first, partial minute in
-- outbox_message (PolicyGate.bulkCounts).
--   kind: 'c' campaign, 't' template_name.
--   slot: the writing session (backend pid): concurrent transactions never update the same row, so
--         producers of one campaign neither wait for nor deadlock with each other. The count of a
--         key and minute is the SUM over slots; an entry can be negative (a session that deleted
--         rows another inserted).
CREATE TABLE outbox_bulk_tally (
    kind     CHAR(1)                     NOT NULL,
    bulk_key VARCHAR(100)                NOT NULL,
    bucket   TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    slot     BIGINT                      NOT NULL,
    n        BIGINT                      NOT NULL,
    PRIMARY KEY (kind, bulk_key, bucket, slot)
);
CREATE INDEX outbox_bulk_tally_bucket_idx ON outbox_bulk_tally (bucket);

-- Inserts and deletes: one statement-level trigger each, over the statement's rows at once.
CREATE FUNCTION outbox_bulk_tally_rows() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
        SELECT k, key, b, pg_backend_pid(), SUM(c) FROM (
            SELECT 'c' AS k, campaign AS key, date_trunc('minute', created_at) AS b, 1 AS c
              FROM tally_rows WHERE campaign IS NOT NULL
            UNION ALL
            SELECT 't', template_name, date_trunc('minute', created_at), 1
              FROM tally_rows WHERE template_name IS NOT NULL) r
        GROUP BY k, key, b
        ON CONFLICT (kind, bulk_key, bucket, slot) DO UPDATE SET n = outbox_bulk_tally.n + EXCLUDED.n;
    ELSE
        INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
        SELECT k, key, b, pg_backend_pid(), -SUM(c) FROM (
            SELECT 'c' AS k, campaign AS key, date_trunc('minute', created_at) AS b, 1 AS c
              FROM tally_old WHERE campaign IS NOT NULL
            UNION ALL
            SELECT 't', template_name, date_trunc('minute', created_at), 1
              FROM tally_old WHERE template_name IS NOT NULL) r
        GROUP BY k, key, b
        ON CONFLICT (kind, bulk_key, bucket, slot) DO UPDATE SET n = outbox_bulk_tally.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER outbox_bulk_tally_insert_trg
    AFTER INSERT ON outbox_message REFERENCING NEW TABLE AS tally_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_bulk_tally_rows();
CREATE TRIGGER outbox_bulk_tally_delete_trg
    AFTER DELETE ON outbox_message REFERENCING OLD TABLE AS tally_old
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_bulk_tally_rows();

-- TRUNCATE fires no delete trigger: it empties the tally with the table.
CREATE FUNCTION outbox_bulk_tally_truncate() RETURNS trigger AS $$
BEGIN
    DELETE FROM outbox_bulk_tally;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER outbox_bulk_tally_truncate_trg
    AFTER TRUNCATE ON outbox_message
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_bulk_tally_truncate();

-- An edit of a row's campaign, template or created_at (by hand) moves it. Row-level with a column
-- list and a WHEN clause: the claim and status updates, which set none of them, never run it.
CREATE FUNCTION outbox_bulk_tally_move() RETURNS trigger AS $$
BEGIN
    INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
    SELECT k, key, b, pg_backend_pid(), SUM(c) FROM (
        SELECT 'c' AS k, OLD.campaign AS key, date_trunc('minute', OLD.created_at) AS b, -1 AS c
        UNION ALL SELECT 'c', NEW.campaign, date_trunc('minute', NEW.created_at), 1
        UNION ALL SELECT 't', OLD.template_name, date_trunc('minute', OLD.created_at), -1
        UNION ALL SELECT 't', NEW.template_name, date_trunc('minute', NEW.created_at), 1) r
    WHERE key IS NOT NULL
    GROUP BY k, key, b
    HAVING SUM(c) <> 0
    ON CONFLICT (kind, bulk_key, bucket, slot) DO UPDATE SET n = outbox_bulk_tally.n + EXCLUDED.n;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER outbox_bulk_tally_update_trg
    AFTER UPDATE OF campaign, template_name, created_at ON outbox_message
    FOR EACH ROW
    WHEN (OLD.campaign IS DISTINCT FROM NEW.campaign
          OR OLD.template_name IS DISTINCT FROM NEW.template_name
          OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION outbox_bulk_tally_move();

-- The rows already there (after the triggers, in this migration's transaction: the triggers'
-- lock keeps other writers out until it commits, so no row is counted twice or missed).
INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
SELECT 'c', campaign, date_trunc('minute', created_at), 0, COUNT(*)
  FROM outbox_message WHERE campaign IS NOT NULL GROUP BY 2, 3;
INSERT INTO outbox_bulk_tally (kind, bulk_key, bucket, slot, n)
SELECT 't', template_name, date_trunc('minute', created_at), 0, COUNT(*)
  FROM outbox_message WHERE template_name IS NOT NULL GROUP BY 2, 3;
