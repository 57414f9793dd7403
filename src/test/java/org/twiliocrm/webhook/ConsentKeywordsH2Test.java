package org.twiliocrm.webhook;

import org.twiliocrm.testsupport.TestDatabase;

/** Consent keywords and double opt-in on the embedded default (H2). */
class ConsentKeywordsH2Test extends ConsentKeywordsContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
