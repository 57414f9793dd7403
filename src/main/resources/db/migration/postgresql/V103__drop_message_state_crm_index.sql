-- message_state_crm_idx (crm_synced_version, crm_version), from V20, was meant for the rows whose
-- version is ahead of what the CRM has. Since V96 every query for rows the CRM has not caught up with
-- (the claim, the backlog count, the metrics gauge, the console's lag) reads the dirty index
-- (crm_dirty_since), and no plan uses this one: a comparison of two columns is no index range.
-- Yet each status change (crm_version + 1) and each write-back (crm_synced_version) moved the
-- row's entry in it, a page written per row at a random key (issue 20).
DROP INDEX message_state_crm_idx;
