package org.twiliocrm.outbound;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.twiliocrm.db.Database;

/** The claim contract on MariaDB 10.11 (127.0.0.1:3306, a database of its own). */
class ClaimMariaDbIT extends ClaimContract {
  static final String NAME = TestDatabases.unique("claim_it");
  static Database db;

  @BeforeAll
  static void open() {
    db = Database.open(TestDatabases.mariadb(NAME));
  }

  @AfterAll
  static void close() {
    db.close();
    TestDatabases.dropMariaDb(NAME);
  }

  @Override
  Database database() {
    return db;
  }
}
