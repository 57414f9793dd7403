package org.twiliocrm.governance;

import org.twiliocrm.testsupport.TestDatabase;

/** Consent synced from Salesforce, on PostgreSQL. */
class CrmConsentSyncPostgresIT extends CrmConsentSyncContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
