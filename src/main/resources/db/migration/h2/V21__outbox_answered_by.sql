-- Voice: what answered an outbound call (human, machine_start, fax, ...), from the call status
-- callback's AnsweredBy, kept on the outbox row beside twilio_status.
ALTER TABLE outbox_message ADD COLUMN answered_by VARCHAR(32);
