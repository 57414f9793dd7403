-- The operator console on a large outbox (issue 16, bash bench/run console: 1,000,000 rows).
-- The dashboard counts the window's rows by hour, channel and outcome and its error codes: the
-- created_at index now also holds the columns those counts read, so they come from the index
-- alone (it replaces V80's created_at index, whose every use it serves).
DROP INDEX outbox_message_created_idx ON outbox_message;
CREATE INDEX outbox_message_created_cover_idx
    ON outbox_message (created_at, channel, status, twilio_status, error_code);
-- The Failed page groups FAILED rows by reason and error code, from this index alone.
CREATE INDEX outbox_message_failed_groups_idx
    ON outbox_message (status, reason_code, error_code, channel, updated_at);
-- The dashboard's write-back lag reads the rows not yet in the CRM: crm_dirty_since is set on
-- every change and cleared when the CRM has the row, so its index finds the few waiting rows.
CREATE INDEX message_state_dirty_idx ON message_state (crm_dirty_since);
