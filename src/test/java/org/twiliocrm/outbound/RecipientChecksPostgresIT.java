package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The recipient checks contract on PostgreSQL. */
class RecipientChecksPostgresIT extends RecipientChecksContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
