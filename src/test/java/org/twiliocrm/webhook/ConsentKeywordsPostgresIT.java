package org.twiliocrm.webhook;

import org.twiliocrm.testsupport.TestDatabase;

/** Consent keywords and double opt-in on PostgreSQL. */
class ConsentKeywordsPostgresIT extends ConsentKeywordsContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
