package org.twiliocrm.crm.approvals;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * Keys under {@code governance.salesforce.*}: approval requests and the audit trail in Salesforce,
 * and approvals taken there (routes/governance-to-salesforce.camel.yaml; the object and field
 * mapping is in that file).
 */
public record SalesforceApprovalSettings(boolean enabled, int tickMillis, int sweepMillis) {
  public static final Key<Boolean> ENABLED =
      Key.bool(
          "governance.salesforce.enabled",
          true,
          "Write approval requests and the governance audit to Salesforce and take the approvals"
              + " made there (Change Data Capture plus a periodic SOQL sweep).");
  public static final Key<Integer> TICK_MILLIS =
      Key.integer(
          "governance.salesforce.tick-millis",
          300,
          50,
          3_600_000,
          "How often new or changed approval requests and new audit rows are written to"
              + " Salesforce.");
  public static final Key<Integer> SWEEP_MILLIS =
      Key.integer(
          "governance.salesforce.sweep-millis",
          30_000,
          100,
          86_400_000,
          "How often pending approval requests are looked up in Salesforce with SOQL, the safety"
              + " net for a missed change event.");

  public static final List<Key<?>> KEYS = List.of(ENABLED, TICK_MILLIS, SWEEP_MILLIS);

  /** The route file left out when disabled (loaded, its subscription would open CometD). */
  public static final String ROUTES = "**/governance-to-salesforce.camel.yaml";

  public static SalesforceApprovalSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    return new SalesforceApprovalSettings(
        ENABLED.read(s), TICK_MILLIS.read(s), SWEEP_MILLIS.read(s));
  }

  public Optional<String> routesExcludePattern() {
    return enabled ? Optional.empty() : Optional.of(ROUTES);
  }
}
