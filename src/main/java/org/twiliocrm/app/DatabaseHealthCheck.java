package org.twiliocrm.app;

import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.twiliocrm.db.Database;

/** Readiness is DOWN while the connector's database cannot hand out a working connection. */
final class DatabaseHealthCheck extends AbstractHealthCheck {
  private final Database database;

  DatabaseHealthCheck(Database database) {
    super("connector", "database");
    this.database = database;
  }

  @Override
  public boolean isLiveness() {
    // A database outage must not get the pod restarted; it only takes it out of service.
    return false;
  }

  @Override
  protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
    builder.detail("vendor", database.vendor().name().toLowerCase());
    builder.detail("url", database.displayUrl());
    if (database.isUsable(2)) {
      builder.up();
    } else {
      builder.message("no usable connection to " + database.displayUrl()).down();
    }
  }
}
