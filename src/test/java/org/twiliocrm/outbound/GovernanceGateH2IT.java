package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The governance gate contract on the embedded default (H2). */
class GovernanceGateH2IT extends GovernanceGateContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
