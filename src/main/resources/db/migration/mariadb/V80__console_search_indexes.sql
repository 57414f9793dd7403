-- The operator console (issue 16): the message search and one message's timeline
-- (operator.MessageQueries). Searches are newest first with keyset paging (id < cursor), so each
-- filter gets an index that ends in id or a time; the timeline looks webhook events and CRM
-- actions up by the message SID.
CREATE INDEX outbox_message_recipient_id_idx ON outbox_message (recipient, id);
CREATE INDEX outbox_message_record_idx ON outbox_message (crm_record_id, id);
CREATE INDEX outbox_message_created_idx ON outbox_message (created_at);
CREATE INDEX webhook_event_sid_idx ON webhook_event (sid);
CREATE INDEX crm_action_message_idx ON crm_action (message_sid);
