package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The sender pacing contract on MariaDB. */
class PacingMariaDbIT extends PacingContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.MARIADB;
  }
}
