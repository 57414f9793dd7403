package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The recipient checks contract on the embedded default (H2). */
class RecipientChecksH2IT extends RecipientChecksContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
