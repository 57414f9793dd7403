package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The governance gate contract on MariaDB. */
class GovernanceGateMariaDbIT extends GovernanceGateContract {
  static final String NAME = TestDatabases.unique("gov_gate_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.mariadb(NAME);
  }

  @Override
  void dropDatabase() {
    TestDatabases.dropMariaDb(NAME);
  }
}
