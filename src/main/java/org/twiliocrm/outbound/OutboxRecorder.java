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

  /** Told about each batch once it is committed (the channel fallback's late-status check). */
  private volatile java.util.function.Consumer<List<OutboxStore.Result>> afterWrite = r -> {};

  public OutboxRecorder(OutboxStore store, OutboxClaimer claimer, OutboxSettings settings) {
    this.store = store;
    this.claimer = claimer;
    this.owner = settings.instanceId();
    this.batchSize = settings.recordBatchSize();
    this.writer = new Thread(this::writeLoop, "outbox-recorder");
    this.writer.setDaemon(true);
  }

  /** Calls {@code listener} with each batch of results once they are committed. */
  public OutboxRecorder afterWrite(java.util.function.Consumer<List<OutboxStore.Result>> listener) {
    this.afterWrite = listener;
    return this;
  }

  /** Adds {@code listener} after the one {@link #afterWrite} set (the connector's metrics). */
  public synchronized OutboxRecorder alsoAfterWrite(
      java.util.function.Consumer<List<OutboxStore.Result>> listener) {
    this.afterWrite = this.afterWrite.andThen(listener);
    return this;
  }

  private void written(List<OutboxStore.Result> results) {
    try {
      afterWrite.accept(results);
    } catch (RuntimeException e) {
      LOG.warn("after writing {} outbox results: {}", results.size(), e.getMessage());
    }
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
    int failures = 0;
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
        written(batch);
        recorded.addAndGet(batch.size());
        pending.addAndGet(-batch.size());
        claimer.release(batch.size());
        batch.clear();
        backoff = 100;
        failures = 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (SQLException | RuntimeException e) {
        // Keep the batch and retry: the rows stay leased, nothing is lost or sent twice. After a
        // few failures write the rows one by one, so a single bad result cannot stall the rest;
        // a row that still fails is left to its lease (it will be reconciled, not resent).
        failures++;
        LOG.warn("Recording {} outbox results failed, retrying: {}", batch.size(), e.getMessage());
        if (failures >= 3 && !isConnectionProblem(e)) {
          writeOneByOne(batch);
          batch.clear();
          failures = 0;
          continue;
        }
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

  /** The database is unreachable (SQLState class 08, pool timeout): wait, do not drop. */
  static boolean isConnectionProblem(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLTransientConnectionException
          || t instanceof java.sql.SQLNonTransientConnectionException
          || (t instanceof SQLException sql
              && sql.getSQLState() != null
              && sql.getSQLState().startsWith("08"))) {
        return true;
      }
    }
    return false;
  }

  private void writeOneByOne(List<OutboxStore.Result> batch) {
    for (OutboxStore.Result r : batch) {
      try {
        store.record(List.of(r), owner);
        written(List.of(r));
        recorded.incrementAndGet();
      } catch (SQLException | RuntimeException e) {
        LOG.error(
            "Dropping the result of outbox row {} ({}); its lease will expire and it will be"
                + " reconciled: {}",
            r.row().id(),
            r.outcome().status(),
            e.getMessage());
      }
      pending.decrementAndGet();
      claimer.release(1);
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
