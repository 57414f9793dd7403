-- Governance: message templates are versioned files (templates/*.yaml); each version (the SHA-256
-- of the template's normalized content) needs a human approval before it is sent. One row per
-- template version the connector has seen. content is the normalized text itself: a send renders
-- the last APPROVED version's stored content, never the file, so an unapproved edit cannot reach a
-- handset. See docs/templates.md.
CREATE TABLE template_version (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    template_name    VARCHAR(100)  NOT NULL,
    version          VARCHAR(64)   NOT NULL,
    purpose          VARCHAR(32)   NOT NULL,
    content          TEXT          NOT NULL,
    source           VARCHAR(1000),
    state            VARCHAR(20)   NOT NULL DEFAULT 'PENDING_APPROVAL',
    first_seen_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    decided_by       VARCHAR(200),
    decided_at       DATETIME(6),
    decision_comment VARCHAR(1000),
    CONSTRAINT template_version_uq UNIQUE (version),
    CONSTRAINT template_version_state_chk
        CHECK (state IN ('PENDING_APPROVAL', 'APPROVED', 'REJECTED'))
);
CREATE INDEX template_version_name_idx ON template_version (template_name, state);

-- The locale variant a row asks for (en, es, pt-BR, ...); NULL: the template's default locale.
ALTER TABLE outbox_message ADD COLUMN locale VARCHAR(35);

-- HELD: not sent until a human approves (reason_code AWAITING_APPROVAL). Rows whose template has no
-- approved version yet wait here and go back to PENDING when one is approved.
ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_status_chk;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_status_chk
    CHECK (status IN ('PENDING', 'SENDING', 'RETRY', 'RECONCILE', 'RECONCILING',
                      'SENT', 'BLOCKED', 'FAILED', 'HELD'));
-- (No index for held rows: they are looked up only when a template version is approved.)
