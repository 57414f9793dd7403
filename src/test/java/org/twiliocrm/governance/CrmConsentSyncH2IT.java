package org.twiliocrm.governance;

import org.twiliocrm.testsupport.TestDatabase;

/** Consent synced from Salesforce, on the embedded default (H2). */
class CrmConsentSyncH2IT extends CrmConsentSyncContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
