package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The template approval gate on PostgreSQL. */
class TemplateApprovalPostgresIT extends TemplateApprovalContract {
  static final String NAME = TestDatabases.unique("templates_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.postgres(NAME);
  }

  @Override
  void dropDatabase() {
    TestDatabases.dropPostgres(NAME);
  }
}
