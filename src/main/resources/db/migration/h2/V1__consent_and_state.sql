-- Consent per recipient and sender scope. The outbox reads it before every send; inbound
-- STOP/START keywords and imports write it. sender_scope is a sender number, a Messaging
-- Service SID, or '*' for every sender of the account.
CREATE TABLE consent (
    recipient     VARCHAR(64)  NOT NULL,
    sender_scope  VARCHAR(64)  NOT NULL,
    status        VARCHAR(16)  NOT NULL,
    keyword       VARCHAR(32),
    source        VARCHAR(32)  NOT NULL,
    updated_at    TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    PRIMARY KEY (recipient, sender_scope),
    CONSTRAINT consent_status_chk CHECK (status IN ('OPTED_OUT', 'OPTED_IN'))
);

-- Small durable values the connector keeps between restarts, e.g. the last replay id per channel.
CREATE TABLE connector_state (
    name        VARCHAR(200) NOT NULL PRIMARY KEY,
    state_value VARCHAR(2000),
    updated_at  TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
