-- Sender pacing (issue 14 point 9, docs/outbox.md#sender-pacing): per-sender send rates enforced
-- across every process sharing this database.

-- One row per sender (a number, whatsapp:number or Messaging Service SID): the next free send slot
-- on the database clock, in microseconds since the epoch. Every replica books slots here under a
-- row lock, so together they never exceed the sender's rate.
CREATE TABLE send_pace (
    sender_key    VARCHAR(200) NOT NULL PRIMARY KEY,
    next_slot_us  BIGINT       NOT NULL
);
-- The slot booked for a row beyond the rate (it waits in the outbox until then, not in Twilio's
-- queue); the claim that finds it due sends it without booking again. NULL: none booked.
ALTER TABLE outbox_message ADD COLUMN pace_slot_us BIGINT;
