package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The outbox route contract on PostgreSQL. */
class OutboxRoutePostgresIT extends OutboxRouteContract {
  static final String NAME = TestDatabases.unique("outbox_route_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.postgres(NAME);
  }

  @Override
  void dropDatabase() {
    TestDatabases.dropPostgres(NAME);
  }
}
