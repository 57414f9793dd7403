package org.twiliocrm.outbound;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Route step "record". Results are queued and one writer thread stores them in batches (one
 * transaction of JDBC batch updates per batch), so thousands of sends a second cost tens of
 * commits, not thousands. A row's send slot is released only once its result is stored, which is
 * the back-pressure when the database is slow.
 *
 * <p>A crash between a send and its write loses only the write: the row's lease runs out, another
 * claim takes it as RECONCILING, and the reconciliation finds the message in Twilio instead of
 * sending it again.
 */
public final class OutboxRecorder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRecorder.class);

  private final OutboxStore store;
  private final OutboxClaimer claimer;
  private final String owner;
  private final int batchSize;
  private final BlockingQueue<OutboxStore.Result> queue = new LinkedBlockingQueue<>();
  private final AtomicLong recorded = new AtomicLong();
  private final AtomicLong pending = new AtomicLong();
  private final Thread writer;
  private volatile boolean running = true;

  public OutboxRecorder(OutboxStore store, OutboxClaimer claimer, OutboxSettings settings) {
    this.store = store;
    this.claimer = claimer;
    this.owner = settings.instanceId();
    this.batchSize = settings.recordBatchSize();
    this.writer = new Thread(this::writeLoop, "outbox-recorder");
    this.writer.setDaemon(true);
  }

  /** Starts the writer thread; separate from construction so the validate command starts none. */
  public synchronized OutboxRecorder start() {
    if (!writer.isAlive() && running) {
      writer.start();
    }
    return this;
  }

  /** Queues the row's outcome and its attempt log for the writer. */
  public void record(OutboxWork work) {
    Outcome o = work.getOutcome();
    if (o == null) {
      // Defensive: a step forgot to decide. Leave it for reconciliation rather than lose it.
      o = Outcome.reconcile("UNDECIDED", "no step decided this row", null, 0);
      work.log("RECORD", "UNDECIDED", null, null, null, "no outcome");
    }
    pending.incrementAndGet();
    queue.add(
        new OutboxStore.Result(
            work.getRow(), work.getAttemptNumber(), o, List.copyOf(work.getAttempts())));
  }

  private void writeLoop() {
    List<OutboxStore.Result> batch = new ArrayList<>(batchSize);
    long backoff = 100;
    while (running || !queue.isEmpty()) {
      try {
        if (batch.isEmpty()) {
          OutboxStore.Result first = queue.poll(200, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
          queue.drainTo(batch, batchSize - 1);
        }
        store.record(batch, owner);
        recorded.addAndGet(batch.size());
        pending.addAndGet(-batch.size());
        claimer.release(batch.size());
        batch.clear();
        backoff = 100;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (SQLException | RuntimeException e) {
        // Keep the batch and retry: the rows stay leased, nothing is lost or sent twice.
        LOG.warn("Recording {} outbox results failed, retrying: {}", batch.size(), e.getMessage());
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff = Math.min(5_000, backoff * 2);
      }
    }
  }

  /** Results stored so far by this instance. */
  public long recorded() {
    return recorded.get();
  }

  /** Results queued and not yet stored. */
  public long pending() {
    return pending.get();
  }

  /** Stops after writing what is queued (waits up to 10 s). */
  @Override
  public void close() {
    running = false;
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
