-- Governance II (issue 14): consent by purpose, synced with the CRM; quiet hours, frequency caps,
-- geo permissions and OTP limits (governance/recipients.yaml, docs/governance.md).

-- Request column a producer may fill: what the message is for (transactional, marketing, otp, ...).
-- NULL means the file's default-purpose.
ALTER TABLE outbox_message ADD COLUMN purpose VARCHAR(32);

-- Frequency caps and OTP limits count recent rows per recipient.
CREATE INDEX outbox_message_recipient_idx ON outbox_message (recipient, created_at);
-- The one statement per tick that releases timed holds (QUIET_HOURS, FREQUENCY_CAP) finds them here.
CREATE INDEX outbox_message_timed_hold_idx ON outbox_message (status, send_after);

-- Every consent event ever received, never changed: a keyword from a phone (evidence: the message
-- SID), a CRM change (evidence: the record and the user who changed it), an API call (the caller),
-- a double opt-in prompt and its confirmation. Events for unparseable numbers are kept too, with
-- status REJECTED and the reason, so nothing is lost.
CREATE TABLE consent_event (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    recipient    VARCHAR(64)   NOT NULL,
    purpose      VARCHAR(32)   NOT NULL,
    status       VARCHAR(24)   NOT NULL,
    source       VARCHAR(32)   NOT NULL,
    evidence     VARCHAR(500),
    reason       VARCHAR(1000),
    occurred_at  DATETIME(6) NOT NULL,
    recorded_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    applied      BOOLEAN       NOT NULL DEFAULT FALSE,
    CONSTRAINT consent_event_status_chk
        CHECK (status IN ('OPTED_IN', 'OPTED_OUT', 'PENDING_CONFIRMATION', 'REJECTED'))
);
CREATE INDEX consent_event_recipient_idx ON consent_event (recipient, purpose, occurred_at);

-- The consent in force per recipient and purpose ('*' = every purpose): the latest event by its
-- own time, whatever order events arrive in (a late CRM event older than a STOP does not win).
CREATE TABLE consent_purpose (
    recipient    VARCHAR(64)   NOT NULL,
    purpose      VARCHAR(32)   NOT NULL,
    status       VARCHAR(24)   NOT NULL,
    source       VARCHAR(32)   NOT NULL,
    evidence     VARCHAR(500),
    occurred_at  DATETIME(6) NOT NULL,
    event_id     BIGINT        NOT NULL,
    -- a PENDING_CONFIRMATION (double opt-in) counts only if confirmed by this time
    confirm_by   DATETIME(6),
    PRIMARY KEY (recipient, purpose),
    CONSTRAINT consent_purpose_status_chk
        CHECK (status IN ('OPTED_IN', 'OPTED_OUT', 'PENDING_CONFIRMATION'))
);
