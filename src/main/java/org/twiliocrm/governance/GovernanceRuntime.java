package org.twiliocrm.governance;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.DaemonTimer;

/**
 * The gate's background work, one daemon thread: re-reads the policy file, closes expired approval
 * requests and drops the bulk tally of minutes without rows every {@code
 * governance.reload-interval}. Started and stopped with the outbox.
 */
public final class GovernanceRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GovernanceRuntime.class);

  private final Policies policies;
  private final Approvals approvals;
  private final long periodMillis;
  private final DaemonTimer timer = new DaemonTimer("governance");
  private volatile boolean expiryFailureLogged;

  public GovernanceRuntime(Policies policies, Approvals approvals, long periodMillis) {
    this.policies = policies;
    this.approvals = approvals;
    this.periodMillis = periodMillis;
  }

  public synchronized void start() {
    timer.start(new DaemonTimer.Task(this::tick, 0, periodMillis));
  }

  /** One pass: reload the policy, expire due requests, prune the bulk tally. Public for tests. */
  public synchronized void tick() {
    try {
      policies.reload();
    } catch (RuntimeException e) {
      LOG.warn("Policy reload failed: {}", e.toString());
    }
    try {
      int n = approvals.expireDue();
      if (n > 0) {
        LOG.info("{} approval request(s) expired; their rows failed APPROVAL_EXPIRED", n);
      }
      approvals.pruneBulkTally();
      expiryFailureLogged = false;
    } catch (Exception e) {
      if (!expiryFailureLogged) {
        LOG.warn(
            "Closing expired approval requests or pruning the bulk tally failed, retrying: {}",
            e.getMessage());
        expiryFailureLogged = true;
      }
    }
  }

  @Override
  public synchronized void close() {
    timer.close();
  }
}
