package org.twiliocrm.outbound;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/** The claim contract on MariaDB 10.11 (127.0.0.1:3306, a database of its own). */
class ClaimMariaDbIT extends ClaimContract {
  static TestDatabase testDb;
  static Database db;

  @BeforeAll
  static void open() {
    testDb = TestDatabase.mariadb("claim");
    db = testDb.open(20);
  }

  @AfterAll
  static void close() {
    db.close();
    testDb.close();
  }

  @Override
  Database database() {
    return db;
  }
}
