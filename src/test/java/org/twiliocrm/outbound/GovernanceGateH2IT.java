package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The governance gate contract on the embedded default (H2). */
class GovernanceGateH2IT extends GovernanceGateContract {
  static final String NAME = TestDatabases.unique("gov_gate_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.h2(NAME);
  }

  @Override
  void dropDatabase() {
    // in memory: gone with the JVM
  }
}
