-- Governance I (issue 13): the human approval gate for high-impact sends and the audit trail.
-- See docs/governance.md.

-- Request columns a producer may fill: the campaign a bulk rule counts by, and who asked for the
-- send (the four-eyes rule keeps that identity from approving its own hold).
ALTER TABLE outbox_message ADD COLUMN campaign VARCHAR(100);
ALTER TABLE outbox_message ADD COLUMN requested_by VARCHAR(100);
-- State columns (the connector's): the approval request that holds or released the row, the
-- status to resume with on release, and a digest of the held content, so a row edited by hand
-- after it was held is not sent under an approval given for other content.
ALTER TABLE outbox_message ADD COLUMN approval_id BIGINT;
ALTER TABLE outbox_message ADD COLUMN held_from VARCHAR(16);
ALTER TABLE outbox_message ADD COLUMN hold_digest VARCHAR(64);

ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_status_chk;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_status_chk
    CHECK (status IN ('PENDING', 'SENDING', 'RETRY', 'RECONCILE', 'RECONCILING',
                      'SENT', 'BLOCKED', 'FAILED', 'HELD'));

-- The bulk rule counts recent rows per campaign and per template.
CREATE INDEX outbox_message_campaign_idx ON outbox_message (campaign, created_at);
CREATE INDEX outbox_message_template_idx ON outbox_message (template_name, created_at);
CREATE INDEX outbox_message_approval_idx ON outbox_message (approval_id);

-- One request per policy rule and campaign while it is open: open_key is rule/campaign while
-- PENDING and NULL once decided, so concurrent holders (two replicas) join the same request.
CREATE TABLE approval_request (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    rule_name        VARCHAR(100)  NOT NULL,
    campaign         VARCHAR(100),
    open_key         VARCHAR(250),
    status           VARCHAR(16)   NOT NULL DEFAULT 'PENDING',
    reason           VARCHAR(1000),
    row_count        INTEGER       NOT NULL DEFAULT 0,
    template_name    VARCHAR(100),
    channel          VARCHAR(16),
    countries        VARCHAR(1000),
    sample           TEXT,
    requested_by     VARCHAR(1000),
    policy_hash      VARCHAR(64),
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at       DATETIME(6) NOT NULL,
    decided_at       DATETIME(6),
    decided_by       VARCHAR(200),
    decision_comment VARCHAR(2000),
    CONSTRAINT approval_request_open_uq UNIQUE (open_key),
    CONSTRAINT approval_request_status_chk
        CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'))
);
CREATE INDEX approval_request_status_idx ON approval_request (status, expires_at);

-- Every governance decision, appended and never changed (see the trigger below).
CREATE TABLE governance_audit (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    occurred_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor        VARCHAR(200)  NOT NULL,
    action       VARCHAR(40)   NOT NULL,
    subject_type VARCHAR(40)   NOT NULL,
    subject_id   VARCHAR(200)  NOT NULL,
    before_state VARCHAR(4000),
    after_state  VARCHAR(4000),
    detail       VARCHAR(4000)
);
CREATE INDEX governance_audit_subject_idx ON governance_audit (subject_type, subject_id);
CREATE INDEX governance_audit_time_idx ON governance_audit (occurred_at);

-- Append-only in the database itself, not only by the connector's good manners.
CREATE TRIGGER governance_audit_no_update BEFORE UPDATE ON governance_audit
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'governance_audit is append-only';
CREATE TRIGGER governance_audit_no_delete BEFORE DELETE ON governance_audit
    FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'governance_audit is append-only';
