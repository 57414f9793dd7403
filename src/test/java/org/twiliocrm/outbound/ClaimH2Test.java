package org.twiliocrm.outbound;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/** The claim contract on the embedded default database (H2, in memory). */
class ClaimH2Test extends ClaimContract {
  static Database db;

  @BeforeAll
  static void open() {
    db = TestDatabase.h2("claim").open(20);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Override
  int concurrentRows() {
    return 400;
  }

  @Override
  Database database() {
    return db;
  }
}
