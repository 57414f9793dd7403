package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The sender pacing contract on the embedded default (H2). */
class PacingH2IT extends PacingContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
