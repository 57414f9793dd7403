package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The outbox route contract on PostgreSQL. */
class OutboxRoutePostgresIT extends OutboxRouteContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
