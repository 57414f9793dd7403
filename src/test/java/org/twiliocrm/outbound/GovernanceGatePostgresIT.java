package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The governance gate contract on PostgreSQL. */
class GovernanceGatePostgresIT extends GovernanceGateContract {
  static final String NAME = TestDatabases.unique("gov_gate_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.postgres(NAME);
  }

  @Override
  void dropDatabase() {
    TestDatabases.dropPostgres(NAME);
  }
}
