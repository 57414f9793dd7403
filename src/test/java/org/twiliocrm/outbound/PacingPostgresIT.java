package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The sender pacing contract on PostgreSQL. */
class PacingPostgresIT extends PacingContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
