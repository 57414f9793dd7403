package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** Twilio Regions end to end on Postgres. */
class RegionsPostgresIT extends RegionsContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
