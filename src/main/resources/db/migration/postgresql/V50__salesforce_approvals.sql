-- Governance I (issue 13, points 4 to 6): approval requests and the audit trail written to
-- Salesforce, decisions read back from it, and four eyes on template versions.
-- See docs/governance.md ("Approvers act in Salesforce").

-- The request's state as last written to the org (status:row_count); NULL: not yet written, or
-- to be written again with its status (after an approval the connector refused, see crm_note).
ALTER TABLE approval_request ADD COLUMN crm_synced VARCHAR(40);
-- Why the connector refused a decision taken in Salesforce (four eyes); shown on the record.
ALTER TABLE approval_request ADD COLUMN crm_note VARCHAR(1000);

-- governance_audit is append-only (a trigger refuses UPDATE): which audit rows are in Salesforce
-- is kept here instead, one row per audit row written (upserted by its id, so twice is harmless).
CREATE TABLE governance_audit_crm (
    audit_id   BIGINT PRIMARY KEY,
    synced_at  TIMESTAMP(6) WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Four eyes on templates: who submitted a version for approval may not approve it.
ALTER TABLE template_version ADD COLUMN submitted_by VARCHAR(200);
