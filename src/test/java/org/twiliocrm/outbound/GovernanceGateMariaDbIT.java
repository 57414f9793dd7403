package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The governance gate contract on MariaDB. */
class GovernanceGateMariaDbIT extends GovernanceGateContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.MARIADB;
  }
}
