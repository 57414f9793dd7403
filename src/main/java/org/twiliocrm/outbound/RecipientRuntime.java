package org.twiliocrm.outbound;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.DaemonTimer;
import org.twiliocrm.governance.RecipientPolicies;

/**
 * The recipient checks' background work, one daemon thread: every poll interval, one statement
 * releases the timed holds that are due (and wakes the claimer when it released any); every reload
 * interval, the policy file is re-read. Started and stopped with the outbox.
 */
public final class RecipientRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RecipientRuntime.class);

  private final RecipientPolicies policies;
  private final TimedHolds holds;
  private final RecipientGate gate;
  private final Runnable wake;
  private final long releaseMillis;
  private final long reloadMillis;
  private final DaemonTimer timer = new DaemonTimer("recipient-holds");
  private volatile boolean failureLogged;

  public RecipientRuntime(
      RecipientPolicies policies,
      TimedHolds holds,
      RecipientGate gate,
      Runnable wake,
      long releaseMillis,
      long reloadMillis) {
    this.policies = policies;
    this.holds = holds;
    this.gate = gate;
    this.wake = wake;
    this.releaseMillis = releaseMillis;
    this.reloadMillis = reloadMillis;
  }

  public synchronized void start() {
    timer.start(
        new DaemonTimer.Task(this::release, 0, releaseMillis),
        new DaemonTimer.Task(this::reload, reloadMillis, reloadMillis));
  }

  /** One release pass (public for tests that move the clock). Returns the rows released. */
  public int release() {
    try {
      int n = holds.releaseDue(gate.clock().instant());
      failureLogged = false;
      if (n > 0) {
        gate.meters().released(n);
        LOG.info("{} row(s) held for quiet hours or a frequency cap are due and released", n);
        wake.run();
      }
      return n;
    } catch (Exception e) {
      if (!failureLogged) {
        LOG.warn("Releasing timed holds failed, retrying: {}", e.getMessage());
        failureLogged = true;
      }
      return 0;
    }
  }

  public void reload() {
    try {
      policies.reload();
    } catch (RuntimeException e) {
      LOG.warn("Recipient policy reload failed: {}", e.toString());
    }
  }

  @Override
  public synchronized void close() {
    timer.close();
  }
}
