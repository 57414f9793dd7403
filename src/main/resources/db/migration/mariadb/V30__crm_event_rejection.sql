-- CRM events (Salesforce platform events and change events) that could not become an outbox row:
-- missing fields, unknown template, record without a phone, malformed payload, ... One row per
-- event (event_key is unique, so a replayed bad event is not recorded twice). Written in the same
-- transaction that advances the stored replay id (connector_state), see docs/crm-events.md.
CREATE TABLE crm_event_rejection (
    id             BIGINT AUTO_INCREMENT PRIMARY KEY,
    event_key      VARCHAR(200)  NOT NULL,
    channel        VARCHAR(200)  NOT NULL,
    replay_id      BIGINT,
    reason_code    VARCHAR(40)   NOT NULL,
    reason         VARCHAR(1000) NOT NULL,
    crm_object     VARCHAR(100),
    crm_record_id  VARCHAR(100),
    payload        TEXT,
    created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT crm_event_rejection_key_uq UNIQUE (event_key)
);
CREATE INDEX crm_event_rejection_record_idx ON crm_event_rejection (crm_record_id);
