package org.twiliocrm.outbound;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/** The claim contract on PostgreSQL (127.0.0.1:5432, a schema of its own). */
class ClaimPostgresIT extends ClaimContract {
  static TestDatabase testDb;
  static Database db;

  @BeforeAll
  static void open() {
    testDb = TestDatabase.postgres("claim");
    db = testDb.open(30);
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
