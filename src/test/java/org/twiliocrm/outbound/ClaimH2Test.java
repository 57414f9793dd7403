package org.twiliocrm.outbound;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.twiliocrm.db.Database;

/** The claim contract on the embedded default database (H2, in memory). */
class ClaimH2Test extends ClaimContract {
  static Database db;

  @BeforeAll
  static void open() {
    db = Database.open(TestDatabases.h2(TestDatabases.unique("claim")));
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Override
  Database database() {
    return db;
  }
}
