package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The claim contract on the embedded default database (H2, in memory). */
class ClaimH2Test extends ClaimContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }

  @Override
  int concurrentRows() {
    return 400;
  }
}
