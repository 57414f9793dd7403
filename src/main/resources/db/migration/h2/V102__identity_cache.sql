-- H2 only (issue 20). An H2 identity column hands out values from a cache of 32; each time the
-- cache runs out, H2 writes the sequence in a system transaction and commits it, and with
-- WRITE_DELAY=0 every commit stores every page changed since the last one. On the whole loop that
-- was one extra store per 32 webhook events, outbox rows and attempts: 4 % of the connector's CPU
-- (JFR, 10,000 messages). With 1,000 the sequences of the tables written per message rarely
-- commit. Values stay unique and increasing; after a crash (not a clean stop) a sequence may skip
-- up to 1,000 values, which nothing relies on (ids order rows, they do not count them).
-- PostgreSQL and MariaDB log their sequences in the transaction that uses them: nothing to do.
ALTER TABLE outbox_message ALTER COLUMN id SET CACHE 1000;
ALTER TABLE outbox_attempt ALTER COLUMN id SET CACHE 1000;
ALTER TABLE webhook_event ALTER COLUMN id SET CACHE 1000;
ALTER TABLE crm_action ALTER COLUMN id SET CACHE 1000;
ALTER TABLE governance_audit ALTER COLUMN id SET CACHE 1000;
ALTER TABLE consent_event ALTER COLUMN id SET CACHE 1000;
