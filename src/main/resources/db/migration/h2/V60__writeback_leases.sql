-- Replicas safe together (issue 15): the Salesforce write-back claims its work under a lease, as
-- the outbox does. A replica claims message records and CRM actions with SELECT ... FOR UPDATE
-- SKIP LOCKED and marks them with its name and a lease end in the same transaction; another
-- replica passes them by until the result is recorded (the lease is cleared) or the lease runs
-- out (the claimer died). Without this every replica sent the same records and created the same
-- Tasks.
ALTER TABLE message_state ADD COLUMN crm_lease_owner VARCHAR(100);
ALTER TABLE message_state ADD COLUMN crm_lease_until TIMESTAMP(6) WITH TIME ZONE;
ALTER TABLE crm_action ADD COLUMN lease_owner VARCHAR(100);
ALTER TABLE crm_action ADD COLUMN lease_until TIMESTAMP(6) WITH TIME ZONE;
