package org.twiliocrm.outbound;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
  private ScheduledExecutorService timer;
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
    if (timer != null) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "recipient-holds");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::release, 0, releaseMillis, TimeUnit.MILLISECONDS);
    timer.scheduleWithFixedDelay(this::reload, reloadMillis, reloadMillis, TimeUnit.MILLISECONDS);
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
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }
}
