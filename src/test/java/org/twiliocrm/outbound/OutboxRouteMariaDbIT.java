package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The outbox route contract on MariaDB. */
class OutboxRouteMariaDbIT extends OutboxRouteContract {
  static final String NAME = TestDatabases.unique("outbox_route_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.mariadb(NAME);
  }

  @Override
  void dropDatabase() {
    TestDatabases.dropMariaDb(NAME);
  }
}
