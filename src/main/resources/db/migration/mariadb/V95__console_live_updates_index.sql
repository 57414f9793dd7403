-- The operator console's live updates (issue 16, operator.LiveEvents): while a console listens,
-- the connector asks once a second for the newest outbox change, MAX(updated_at), which this
-- index answers from its last entry instead of scanning the table.
CREATE INDEX outbox_message_updated_idx ON outbox_message (updated_at);
