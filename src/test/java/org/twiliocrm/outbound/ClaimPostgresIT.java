package org.twiliocrm.outbound;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.twiliocrm.db.Database;

/** The claim contract on PostgreSQL (127.0.0.1:5432, a schema of its own). */
class ClaimPostgresIT extends ClaimContract {
  static final String SCHEMA = TestDatabases.unique("claim_it");
  static Database db;

  @BeforeAll
  static void open() {
    db = Database.open(TestDatabases.postgres(SCHEMA));
  }

  @AfterAll
  static void close() {
    db.close();
    TestDatabases.dropPostgres(SCHEMA);
  }

  @Override
  Database database() {
    return db;
  }
}
