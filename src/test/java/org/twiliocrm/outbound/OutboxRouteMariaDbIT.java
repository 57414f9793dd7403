package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The outbox route contract on MariaDB. */
class OutboxRouteMariaDbIT extends OutboxRouteContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.MARIADB;
  }
}
