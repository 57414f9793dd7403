package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** The claim contract on MariaDB 10.11 (127.0.0.1:3306, a database of its own). */
class ClaimMariaDbIT extends ClaimContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.MARIADB;
  }
}
