package org.twiliocrm.governance;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy in force, and its reloading. Start-up loads the file and a bad one stops start-up
 * ({@link PolicyException} with file:line). While running, {@link #reload()} (called every {@code
 * governance.policies.reload-interval}) swaps in a changed file only if it loads whole; a broken
 * edit keeps the last good policy, is logged once, audited (POLICY_REJECTED), reported by the
 * readiness check (see {@link #error()}) and by the gauge {@code
 * twiliocrm.governance.policy.broken} (1 while the file on disk is not the policy in force). Every
 * policy taken into force is audited as POLICY_LOADED with the file's SHA-256.
 */
public final class Policies {
  private static final Logger LOG = LoggerFactory.getLogger(Policies.class);

  private final PolicyLoader loader;
  private final String location;
  private final Audit audit;
  private final AtomicReference<Policy> current = new AtomicReference<>();
  private final AtomicReference<String> error = new AtomicReference<>();
  private final AtomicLong broken = new AtomicLong();
  private final AtomicLong reloads = new AtomicLong();
  private volatile String lastSeenHash;
  private volatile boolean auditedCurrent;

  /** Loads the policy now; a bad file throws {@link PolicyException}. */
  public Policies(PolicyLoader loader, String location, Audit audit) {
    this.loader = loader;
    this.location = location;
    this.audit = audit;
    Policy p = loader.load(location);
    current.set(p);
    lastSeenHash = p.hash();
  }

  public Policy current() {
    return current.get();
  }

  public String location() {
    return location;
  }

  /** The problem with the file on disk while it is not the policy in force; null when fine. */
  public String error() {
    return error.get();
  }

  /** Registers the gauges with Camel's meter registry (or the global one). */
  public void bindMetrics(CamelContext context) {
    MeterRegistry found =
        context == null ? null : context.getRegistry().findSingleByType(MeterRegistry.class);
    MeterRegistry r = found != null ? found : Metrics.globalRegistry;
    Gauge.builder("twiliocrm.governance.policy.broken", broken, AtomicLong::get)
        .description("1 while the policy file on disk is broken and the last good one is in force")
        .register(r);
    Gauge.builder("twiliocrm.governance.policy.rules", current, p -> p.get().rules().size())
        .description("Rules in the policy in force")
        .register(r);
  }

  /** Audits the policy in force once the database is reachable (start-up). */
  public void auditLoaded() {
    if (auditedCurrent) {
      return;
    }
    Policy p = current.get();
    try {
      audit.append(loaded(null, p));
      auditedCurrent = true;
    } catch (SQLException e) {
      LOG.warn("Could not audit the loaded policy yet: {}", e.getMessage());
    }
  }

  /** Re-reads the file; takes it into force only if it is whole and valid. Returns true if so. */
  public boolean reload() {
    auditLoaded();
    byte[] bytes;
    try {
      bytes = PolicyLoader.read(location);
    } catch (IOException e) {
      return reject(location + ": cannot read: " + e.getMessage(), "unreadable");
    }
    String hash = PolicyLoader.sha256(bytes);
    if (hash.equals(lastSeenHash)) {
      return false;
    }
    Policy before = current.get();
    try {
      Policy p = loader.parse(location, bytes);
      current.set(p);
      lastSeenHash = hash;
      error.set(null);
      broken.set(0);
      reloads.incrementAndGet();
      LOG.info("Policy {} reloaded: {} rule(s), sha256 {}", location, p.rules().size(), hash);
      try {
        audit.append(loaded(before.hash(), p));
      } catch (SQLException e) {
        LOG.warn("Could not audit the policy reload: {}", e.getMessage());
      }
      return true;
    } catch (PolicyException e) {
      lastSeenHash = hash;
      return reject(e.getMessage(), hash);
    }
  }

  /** The audit entry of a policy taken into force, after {@code beforeHash} (null at start-up). */
  private Audit.Entry loaded(String beforeHash, Policy p) {
    return Audit.Entry.of(
        Audit.CONNECTOR,
        Audit.Action.POLICY_LOADED,
        "policy",
        location,
        beforeHash,
        p.hash(),
        p.rules().size() + " rule(s): " + p.rules().stream().map(Policy.Rule::name).toList());
  }

  private boolean reject(String problem, String hash) {
    if (!problem.equals(error.get())) {
      LOG.error(
          "Policy {} not taken into force, keeping the last good one (sha256 {}): {}",
          location,
          current.get().hash(),
          problem);
      try {
        audit.append(
            Audit.Entry.of(
                Audit.CONNECTOR,
                Audit.Action.POLICY_REJECTED,
                "policy",
                location,
                current.get().hash(),
                hash,
                problem));
      } catch (SQLException e) {
        LOG.warn("Could not audit the rejected policy: {}", e.getMessage());
      }
    }
    error.set(problem);
    broken.set(1);
    return false;
  }
}
