package org.twiliocrm.outbound;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Route step "claim a batch". Claims only as many rows as the claim window leaves room for (rows
 * claimed and not yet recorded are bounded by {@code outbox.max-in-flight}, a few times {@code
 * outbox.send-concurrency}), so a claimed row waits for a send slot a few requests long at most,
 * well inside its lease. When nothing is due it waits for a wake-up (a PostgreSQL NOTIFY, or slots
 * freeing up) or the poll interval, whichever comes first.
 */
public final class OutboxClaimer {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxClaimer.class);

  private final OutboxStore store;
  private final OutboxSettings settings;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Semaphore wake = new Semaphore(0);
  private final int refillThreshold;
  private volatile boolean dbDownLogged;
  private volatile boolean stopping;
  private volatile boolean paused;
  private final Object claimLock = new Object();

  public OutboxClaimer(OutboxStore store, OutboxSettings settings) {
    this.store = store;
    this.settings = settings;
    // Refill in chunks, not one row per freed slot: one claim statement per quarter of the window.
    this.refillThreshold = Math.max(1, Math.min(settings.batchSize(), settings.maxInFlight()) / 4);
  }

  /**
   * Returns the next batch of claimed rows, or an empty list after the poll interval. Blocks the
   * calling (timer) thread meanwhile, which is what paces the claim loop.
   */
  public List<OutboxWork> claimBatch() throws InterruptedException {
    if (paused) {
      // The claim route's timer fires while a reload rebuilds the send route: pace it.
      Thread.sleep(20);
      return List.of();
    }
    long deadline = System.nanoTime() + settings.pollInterval().toNanos();
    while (!stopping && !paused) {
      int free = settings.maxInFlight() - inFlight.get();
      if (free >= refillThreshold || (free > 0 && inFlight.get() == 0)) {
        wake.drainPermits(); // whatever woke us is covered by this claim
        List<OutboxRow> rows;
        // Held while a claim statement runs, so stop() can wait for it: a drain that saw
        // inFlight at 0 while a claim was still in the database would end before those rows
        // were counted, and they would be released unsent.
        synchronized (claimLock) {
          if (stopping || paused) {
            break;
          }
          try {
            rows =
                store.claim(
                    settings.instanceId(),
                    Math.min(settings.batchSize(), free),
                    settings.lease().toMillis());
            dbDownLogged = false;
          } catch (SQLException e) {
            if (!dbDownLogged) {
              LOG.warn("Outbox claim failed, retrying every poll interval: {}", e.getMessage());
              dbDownLogged = true;
            }
            rows = List.of();
          }
          if (!rows.isEmpty()) {
            inFlight.addAndGet(rows.size());
          }
        }
        if (!rows.isEmpty()) {
          List<OutboxWork> work = new ArrayList<>(rows.size());
          for (OutboxRow r : rows) {
            work.add(new OutboxWork(r));
          }
          return work;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return List.of();
      }
      wake.tryAcquire(left, TimeUnit.NANOSECONDS);
    }
    if (stopping) {
      // The claim route's timer keeps firing until Camel stops the route after the drain: pace it.
      Thread.sleep(20);
    }
    return List.of();
  }

  /**
   * The context is stopping: claim nothing more and let a waiting claim return at once. Returns
   * after a claim statement already running has finished and its rows are counted in {@link
   * #inFlight}.
   */
  public void stop() {
    stopping = true;
    wake.release();
    synchronized (claimLock) {
      // nothing: waits for a claim in progress
    }
  }

  /**
   * A dev-mode reload rebuilds the send route: claim nothing until {@link #resume()}, and let a
   * claim waiting for due rows return at once (it would hold the claim route's exchange for up to
   * the poll interval, which the reload waits for). Returns after a claim statement already running
   * has finished, so its rows are queued before the reload looks at the queue.
   */
  public void pause() {
    paused = true;
    wake.release();
    synchronized (claimLock) {
      // nothing: waits for a claim in progress
    }
  }

  /** The rebuilt send route runs: claim again, at once. */
  public void resume() {
    paused = false;
    wake.release();
  }

  /** A NOTIFY arrived: new rows may be due. */
  public void wake() {
    wake.release();
  }

  /** Waits up to {@code millis} for rows to be recorded (a drain watching inFlight fall). */
  void awaitRelease(long millis) throws InterruptedException {
    synchronized (inFlight) {
      if (inFlight.get() > 0) {
        inFlight.wait(millis);
      }
    }
  }

  /** Rows were recorded: their slots are free again. */
  public void release(int rows) {
    int now = inFlight.addAndGet(-rows);
    if (stopping) {
      synchronized (inFlight) {
        inFlight.notifyAll();
      }
    }
    int free = settings.maxInFlight() - now;
    if (free >= refillThreshold && free - rows < refillThreshold || now == 0) {
      wake.release();
    }
  }

  /** See {@link OutboxStore#releaseUnsent}; call only after a clean stop. */
  public void releaseUnsent() {
    try {
      int n = store.releaseUnsent(settings.instanceId());
      if (n > 0) {
        LOG.info("Outbox: {} claimed but unsent row(s) released for the other replicas", n);
      }
    } catch (SQLException e) {
      // SQL state only: a driver's message may quote row data. The lease runs out instead.
      LOG.warn(
          "Outbox: releasing unsent rows failed (SQL state {}); their lease runs out instead",
          e.getSQLState());
    }
  }

  public int inFlight() {
    return inFlight.get();
  }
}
