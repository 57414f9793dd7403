package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.CamelContextTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.preflight.Check;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;

/**
 * The periodic Salesforce re-check runs inside the connector, so it must never create (and then
 * destroy) a CamelContext of its own: Camel Main's SIGTERM hook watches every context in the JVM
 * through a CamelContextTracker and stops waiting for the drain as soon as any one is destroyed. A
 * re-check that happened to overlap a SIGTERM let the JVM exit with rows still draining
 * (GracefulDrainIT, CI of 2026-12-03).
 */
class RuntimeChecksIT {
  @TempDir Path work;

  @Test
  void aRecheckLogsInThroughTheRunningContextAndNeverDestroysOne() throws Exception {
    SalesforceSandboxSettings s =
        SalesforceSandboxSettings.defaults().withPort(0).withDataDir(work.resolve("sf"));
    try (SalesforceSandbox org = SalesforceSandbox.start(s);
        DefaultCamelContext running = new DefaultCamelContext()) {
      running.start();
      Map<String, String> props =
          Map.of(
              "camel.component.salesforce.loginUrl",
              org.baseUrl(),
              "camel.component.salesforce.authenticationType",
              "USERNAME_PASSWORD",
              "camel.component.salesforce.clientId",
              s.clientId(),
              "camel.component.salesforce.clientSecret",
              s.clientSecret(),
              "camel.component.salesforce.userName",
              s.username(),
              "camel.component.salesforce.password",
              s.password() + s.securityToken(),
              "preflight.recheck-interval",
              "1h",
              "crm.events.enabled",
              "false");
      RuntimeChecks checks = new RuntimeChecks(props::get);
      assertThat(checks.enabled()).isTrue();
      List<String> seen = new CopyOnWriteArrayList<>();
      CamelContextTracker tracker =
          new CamelContextTracker() {
            @Override
            public void contextCreated(CamelContext c) {
              seen.add("created " + c.getName());
            }

            @Override
            public void contextDestroyed(CamelContext c) {
              seen.add("destroyed " + c.getName());
            }
          };
      tracker.open();
      try {
        checks.start(running);
        checks.runOnce();
      } finally {
        tracker.close();
        checks.close();
      }
      assertThat(seen).as("contexts created or destroyed by a re-check").isEmpty();
      // It did log in and read the org: the untouched sandbox passes every runtime check.
      List<Check> schema = checks.latestFor("schema");
      assertThat(schema).isNotEmpty().allMatch(Check::ok, "passed");
      assertThat(checks.latestFor("limits")).isNotEmpty().allMatch(Check::ok, "passed");
    }
  }
}
