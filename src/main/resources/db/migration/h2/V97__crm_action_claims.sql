-- No Task twice (issue 15): how many times the write-back has claimed each CRM action. A second
-- claim means an earlier one may have reached Salesforce without its result being recorded (the
-- claimer was killed after Salesforce created the Task, or the answer was lost): such actions are
-- looked up in Salesforce by their SID before they are sent again. Rows queued before this
-- migration start at 0, as if never claimed.
ALTER TABLE crm_action ADD COLUMN claims INT DEFAULT 0 NOT NULL;
