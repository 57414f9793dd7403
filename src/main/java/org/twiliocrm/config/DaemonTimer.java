package org.twiliocrm.config;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One named daemon thread that runs a component's periodic background work (re-reading a policy
 * file, refreshing the sender inventory, releasing due holds) with a fixed delay between runs.
 * {@link #start} does nothing while the thread runs; {@link #close} stops it, and a later start
 * begins anew.
 *
 * <p>The reloaders of several packages (governance, outbound, senders) share it; it lives in config
 * because every package may depend on config without a package cycle.
 */
public final class DaemonTimer implements AutoCloseable {
  /**
   * Work run every {@code periodMillis} (between the end of a run and the next), the first after
   * {@code initialDelayMillis}.
   */
  public record Task(Runnable run, long initialDelayMillis, long periodMillis) {}

  private final String threadName;
  private ScheduledExecutorService executor;

  public DaemonTimer(String threadName) {
    this.threadName = threadName;
  }

  /** Starts the thread and schedules the tasks on it, unless it is running already. */
  public synchronized void start(Task... tasks) {
    if (executor != null) {
      return;
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    for (Task task : tasks) {
      executor.scheduleWithFixedDelay(
          task.run(), task.initialDelayMillis(), task.periodMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Stops the thread, interrupting a run in progress. */
  @Override
  public synchronized void close() {
    if (executor != null) {
      executor.shutdownNow();
      executor = null;
    }
  }
}
