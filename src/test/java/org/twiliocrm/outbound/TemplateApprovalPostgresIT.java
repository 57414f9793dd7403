package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The template approval gate on PostgreSQL. */
class TemplateApprovalPostgresIT extends TemplateApprovalContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
