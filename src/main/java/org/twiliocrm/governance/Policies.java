package org.twiliocrm.governance;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The approval rules in force, and their reloading ({@link PolicyFile}). Start-up loads the file
 * and a bad one stops start-up ({@link PolicyException} with file:line). While running, {@link
 * #reload()} (called every {@code governance.policies.reload-interval}) swaps in a changed file
 * only if it loads whole; a broken edit keeps the last good policy, is logged once, audited
 * (POLICY_REJECTED), reported by the readiness check (see {@link #error()}) and by the gauge {@code
 * twiliocrm.governance.policy.broken} (1 while the file on disk is not the policy in force). Every
 * policy taken into force is audited as POLICY_LOADED with the file's SHA-256.
 */
public final class Policies {
  private static final Logger LOG = LoggerFactory.getLogger(Policies.class);

  private final PolicyFile<Policy> file;

  /** Loads the policy now; a bad file throws {@link PolicyException}. */
  public Policies(PolicyLoader loader, String location, Audit audit) {
    file =
        new PolicyFile<>(
            LOG, "Policy", location, loader::parse, Policy::hash, Policies::summary, audit);
  }

  public Policy current() {
    return file.current();
  }

  public String location() {
    return file.location();
  }

  /** The problem with the file on disk while it is not the policy in force; null when fine. */
  public String error() {
    return file.error();
  }

  /** Registers the gauges with Camel's meter registry (or the global one). */
  public void bindMetrics(CamelContext context) {
    MeterRegistry found =
        context == null ? null : context.getRegistry().findSingleByType(MeterRegistry.class);
    MeterRegistry r = found != null ? found : Metrics.globalRegistry;
    Gauge.builder("twiliocrm.governance.policy.broken", this, p -> p.error() == null ? 0 : 1)
        .description("1 while the policy file on disk is broken and the last good one is in force")
        .register(r);
    Gauge.builder("twiliocrm.governance.policy.rules", this, p -> p.current().rules().size())
        .description("Rules in the policy in force")
        .register(r);
  }

  /** Audits the policy in force once the database is reachable (start-up). */
  public void auditLoaded() {
    file.auditLoaded();
  }

  /** Re-reads the file; takes it into force only if it is whole and valid. Returns true if so. */
  public boolean reload() {
    return file.reload();
  }

  /** The audit entry's detail for a policy taken into force. */
  private static String summary(Policy p) {
    return p.rules().size() + " rule(s): " + p.rules().stream().map(Policy.Rule::name).toList();
  }
}
