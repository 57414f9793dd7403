package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** Twilio Regions end to end on H2. */
class RegionsH2IT extends RegionsContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
