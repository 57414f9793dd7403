package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The claim contract on PostgreSQL (127.0.0.1:5432, a schema of its own). */
class ClaimPostgresIT extends ClaimContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
