package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The outbox route contract on the embedded default (H2). */
class OutboxRouteH2IT extends OutboxRouteContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
