package org.twiliocrm.senders;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.DaemonTimer;

/**
 * The account's senders as last read from Twilio ({@link SenderInventory}), for the outbox's sender
 * check: read at start and every {@code governance.senders.refresh-interval}, and earlier when a
 * row names a sender the cache does not know (a number bought a minute ago), at most once per
 * {@link #MIN_GAP}. A failed read keeps the last good inventory; until one read succeeded there is
 * none, and the outbox retries its rows rather than send unchecked.
 */
public final class SenderRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SenderRegistry.class);
  static final Duration MIN_GAP = Duration.ofSeconds(10);

  private final Supplier<SenderInventory> loader;
  private final Duration interval;
  private volatile SenderInventory current;
  private volatile long lastAttempt = Long.MIN_VALUE;
  private volatile String lastError;
  private final DaemonTimer timer = new DaemonTimer("sender-registry");

  public SenderRegistry(Supplier<SenderInventory> loader, Duration interval) {
    this.loader = loader;
    this.interval = interval;
  }

  /** Starts the periodic reads, the first at once on the timer's thread. */
  public synchronized void start() {
    timer.start(new DaemonTimer.Task(this::refresh, 0, Math.max(1, interval.toMillis())));
  }

  public Optional<SenderInventory> current() {
    return Optional.ofNullable(current);
  }

  /** Why the last read failed, null when it succeeded. */
  public String lastError() {
    return lastError;
  }

  /** Reads the account now; false (the last good inventory kept) if that fails. */
  public synchronized boolean refresh() {
    lastAttempt = System.nanoTime();
    try {
      current = loader.get();
      if (lastError != null) {
        LOG.info("Sender registry read again after a failure");
      }
      lastError = null;
      return true;
    } catch (RuntimeException e) {
      lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
      LOG.warn("Sender registry could not be read from Twilio: {}", lastError);
      return false;
    }
  }

  /**
   * Reads again unless a read was attempted within {@link #MIN_GAP}; true if it read now. With no
   * inventory yet it waits for the first read instead (one that fails is tried once more here).
   */
  public boolean refreshIfStale() {
    if (current == null) {
      // Nothing read yet: wait for the read in progress (the lock), and read if it failed.
      synchronized (this) {
        return current != null || refresh();
      }
    }
    if (lastAttempt != Long.MIN_VALUE && System.nanoTime() - lastAttempt < MIN_GAP.toNanos()) {
      return false;
    }
    synchronized (this) {
      // Another thread may have read while this one waited for the lock.
      if (lastAttempt != Long.MIN_VALUE && System.nanoTime() - lastAttempt < MIN_GAP.toNanos()) {
        return current != null;
      }
      return refresh();
    }
  }

  @Override
  public synchronized void close() {
    timer.close();
  }
}
