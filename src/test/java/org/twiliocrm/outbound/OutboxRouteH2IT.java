package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The outbox route contract on the embedded default (H2). */
class OutboxRouteH2IT extends OutboxRouteContract {
  static final String NAME = TestDatabases.unique("outbox_route_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.h2(NAME);
  }

  @Override
  void dropDatabase() {
    // in memory: gone with the JVM
  }
}
