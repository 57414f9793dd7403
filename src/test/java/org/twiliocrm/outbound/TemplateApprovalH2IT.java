package org.twiliocrm.outbound;

import org.twiliocrm.config.ConnectorConfig;

/** The template approval gate on the embedded default (H2). */
class TemplateApprovalH2IT extends TemplateApprovalContract {
  static final String NAME = TestDatabases.unique("templates_it");

  @Override
  ConnectorConfig.Db openDatabase() {
    return TestDatabases.h2(NAME);
  }

  @Override
  void dropDatabase() {
    // in memory: gone with the JVM
  }
}
