-- Every accepted Twilio webhook, written before the 200 goes back (persist, then acknowledge).
-- dedupe_key is unique: (MessageSid, status) for status callbacks, the MessageSid for inbound
-- messages, (CallSid, status) for call callbacks, Twilio's idempotency token otherwise. The
-- processor claims NEW rows under a row lock (FOR UPDATE SKIP LOCKED) and marks them DONE in the
-- same transaction as their effects, so an effect is applied once even across replicas.
CREATE TABLE webhook_event (
    id                BIGINT AUTO_INCREMENT PRIMARY KEY,
    kind              VARCHAR(24)  NOT NULL,
    dedupe_key        VARCHAR(200) NOT NULL,
    sid               VARCHAR(64),
    status            VARCHAR(32),
    account_sid       VARCHAR(64),
    idempotency_token VARCHAR(200),
    payload           LONGTEXT NOT NULL,
    received_at       DATETIME(6) NOT NULL,
    state             VARCHAR(16)  NOT NULL DEFAULT 'NEW',
    attempts          INTEGER      NOT NULL DEFAULT 0,
    last_error        VARCHAR(1000),
    processed_at      DATETIME(6),
    CONSTRAINT webhook_event_dedupe_uq UNIQUE (dedupe_key),
    CONSTRAINT webhook_event_state_chk CHECK (state IN ('NEW', 'DONE', 'FAILED'))
);
CREATE INDEX webhook_event_state_idx ON webhook_event (state, id);

-- The connector's view of every message it has heard of, outbound or inbound. status only moves
-- forward (see org.twiliocrm.webhook.MessageStatus). crm_version counts changes the CRM has not
-- seen yet; the write-back sends the row's current state and records the version it sent, so a
-- late or retried write can never put an older state into the CRM. crm_dirty_since is when the
-- oldest change not yet in the CRM happened: partial batches wait for it to age (coalescing).
CREATE TABLE message_state (
    message_sid           VARCHAR(64)  NOT NULL PRIMARY KEY,
    direction             VARCHAR(16)  NOT NULL,
    channel               VARCHAR(16),
    status                VARCHAR(32)  NOT NULL,
    error_code            INTEGER,
    answered_by           VARCHAR(32),
    duration_seconds      INTEGER,
    from_number           VARCHAR(64),
    to_number             VARCHAR(64),
    messaging_service_sid VARCHAR(34),
    account_sid           VARCHAR(64),
    body                  LONGTEXT,
    num_segments          INTEGER,
    crm_object            VARCHAR(100),
    crm_record_id         VARCHAR(100),
    reply_to_sid          VARCHAR(64),
    sent_at               DATETIME(6),
    delivered_at          DATETIME(6),
    created_at            DATETIME(6) NOT NULL,
    updated_at            DATETIME(6) NOT NULL,
    crm_version           INTEGER      NOT NULL DEFAULT 1,
    crm_synced_version    INTEGER      NOT NULL DEFAULT 0,
    crm_attempts          INTEGER      NOT NULL DEFAULT 0,
    crm_dirty_since       DATETIME(6),
    crm_next_attempt_at   DATETIME(6),
    crm_last_error        VARCHAR(1000)
);
CREATE INDEX message_state_to_idx ON message_state (to_number, created_at);
CREATE INDEX message_state_crm_idx ON message_state (crm_synced_version, crm_version);

-- CRM actions besides the message record itself: a Task for an inbound reply, the SMS opt-out
-- flag for STOP/START. Written in the same transaction as the webhook event that caused them and
-- sent in sObject Collections batches; failed sends wait here with backoff (store and forward).
CREATE TABLE crm_action (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    kind            VARCHAR(16)  NOT NULL,
    message_sid     VARCHAR(64),
    phone           VARCHAR(64),
    crm_object      VARCHAR(100),
    crm_record_id   VARCHAR(100),
    detail          LONGTEXT,
    state           VARCHAR(16)  NOT NULL DEFAULT 'PENDING',
    attempts        INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6),
    last_error      VARCHAR(1000),
    created_at      DATETIME(6) NOT NULL,
    CONSTRAINT crm_action_kind_chk CHECK (kind IN ('TASK', 'OPT_OUT', 'OPT_IN')),
    CONSTRAINT crm_action_state_chk CHECK (state IN ('PENDING', 'DONE', 'FAILED'))
);
CREATE INDEX crm_action_state_idx ON crm_action (state, id);
