package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The template approval gate on the embedded default (H2). */
class TemplateApprovalH2IT extends TemplateApprovalContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
