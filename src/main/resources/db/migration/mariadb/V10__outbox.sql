-- The outbox: the public contract producers insert into (see docs/outbox.md). A producer writes
-- one row in its own transaction; the connector claims it, validates it, checks consent, sends it
-- to Twilio exactly once and keeps status/twilio_sid/error_code/reason/attempts current.
-- Producers fill the "request" columns only; the "state" columns belong to the connector.
CREATE TABLE outbox_message (
    id                    BIGINT AUTO_INCREMENT PRIMARY KEY,
    -- request (written by the producer)
    idempotency_key       VARCHAR(200) NOT NULL,
    channel               VARCHAR(16)  NOT NULL,
    recipient             VARCHAR(64)  NOT NULL,
    sender                VARCHAR(64),
    messaging_service_sid VARCHAR(34),
    body                  TEXT,
    template_name         VARCHAR(100),
    template_variables    TEXT,
    content_sid           VARCHAR(34),
    content_variables     TEXT,
    media_urls            TEXT,
    send_after            DATETIME(6),
    crm_object            VARCHAR(100),
    crm_record_id         VARCHAR(100),
    -- state (kept current by the connector)
    status                VARCHAR(16)  NOT NULL DEFAULT 'PENDING',
    twilio_sid            VARCHAR(64),
    twilio_status         VARCHAR(32),
    num_segments          INTEGER,
    error_code            INTEGER,
    reason_code           VARCHAR(40),
    reason                VARCHAR(1000),
    attempts              INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at       DATETIME(6),
    lease_owner           VARCHAR(100),
    lease_until           DATETIME(6),
    created_at            DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at            DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    sent_at               DATETIME(6),
    CONSTRAINT outbox_message_idempotency_key_uq UNIQUE (idempotency_key),
    CONSTRAINT outbox_message_channel_chk
        CHECK (channel IN ('sms', 'mms', 'whatsapp', 'voice', 'verify')),
    CONSTRAINT outbox_message_status_chk
        CHECK (status IN ('PENDING', 'SENDING', 'RETRY', 'RECONCILE', 'RECONCILING',
                          'SENT', 'BLOCKED', 'FAILED'))
);

-- Claims look rows up by status, oldest first. DATETIME(6) holds the server's NOW(6): write
-- send_after in the same time zone as the database session (UTC recommended).
CREATE INDEX outbox_message_claim_idx ON outbox_message (status, id);
CREATE INDEX outbox_message_crm_idx ON outbox_message (crm_object, crm_record_id);
CREATE INDEX outbox_message_sid_idx ON outbox_message (twilio_sid);

-- One row per attempt and per reconciliation decision: the audit trail behind each status.
CREATE TABLE outbox_attempt (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    message_id    BIGINT       NOT NULL,
    attempt       INTEGER      NOT NULL,
    kind          VARCHAR(16)  NOT NULL,
    outcome       VARCHAR(24)  NOT NULL,
    twilio_sid    VARCHAR(64),
    http_status   INTEGER,
    error_code    INTEGER,
    detail        VARCHAR(1000),
    instance      VARCHAR(100),
    duration_ms   INTEGER,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);
CREATE INDEX outbox_attempt_message_idx ON outbox_attempt (message_id);
