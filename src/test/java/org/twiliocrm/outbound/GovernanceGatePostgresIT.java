package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The governance gate contract on PostgreSQL. */
class GovernanceGatePostgresIT extends GovernanceGateContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
