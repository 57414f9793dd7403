package org.twiliocrm.crm.events;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for the CRM-event routes ({@code crmEventCommitter}). The route's single worker maps
 * each event in order and hands its outcome to {@link #submit}; one committer thread writes
 * everything queued so far (outbox rows, rejections and each channel's last replay id) in ONE
 * transaction, then the next group. At a low rate a group is one event (no added wait); under load
 * the groups grow by themselves, so the events per second are no longer bounded by one commit per
 * event. Only events that no rule acted on (nothing to write but the replay id) wait, up to {@link
 * #REPLAY_ONLY_LINGER_MS}, for more to share their commit.
 *
 * <p>The guarantees of the one-transaction-per-event design hold: the queue is FIFO and a group is
 * always a prefix of what was received, so the stored replay id never runs ahead of a committed
 * row; an event that was queued but not committed when the process dies is read again after the
 * restart and the unique keys absorb it. Stopping (route stop on lost leadership, context stop)
 * flushes the queue first.
 *
 * <p>Failures: when a group fails, its events are committed one by one, so one event the database
 * refuses cannot hold back the others. A failing event is retried with exponential backoff (500 ms
 * doubling to 30 s, like the routes' redelivery policy) up to {@code crm.events.max-redeliveries}
 * times, then recorded as PROCESSING_FAILED and passed. Meanwhile the queue fills and {@link
 * #submit} blocks, which holds back the subscription instead of losing events.
 */
public final class CrmEventCommitter extends ServiceSupport {
  private static final Logger LOG = LoggerFactory.getLogger(CrmEventCommitter.class);
  private static final int CAPACITY = 2_000;
  private static final int MAX_GROUP = 500;

  /**
   * How long a group of events that changed nothing but the replay id (no rule acted on them) waits
   * for more before it commits. Such events come in streams (the write-back's own records, on an
   * org that selects Twilio_Message__c for Change Data Capture: one event per record written), and
   * committing each small group alone costs a durable commit for one replay id. Losing the wait to
   * a crash only means reading those events again, and they still change nothing.
   */
  static final long REPLAY_ONLY_LINGER_MS = 1_000;

  /** Completes a group before it commits: the record-id look-ups (RecipientResolver). */
  @FunctionalInterface
  public interface GroupResolver {
    List<EventOutcome> resolve(List<EventOutcome> group) throws Exception;
  }

  private final CrmEventStore store;
  private final int maxRedeliveries;
  private final Consumer<EventOutcome> afterCommit;
  private final GroupResolver resolver;
  private final BlockingQueue<EventOutcome> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final Object progress = new Object();
  private long submitted;
  private long done;

  /** Callers waiting in {@link #flush}: a replay-id-only group then commits without waiting. */
  private final AtomicInteger flushing = new AtomicInteger();

  private volatile long commits;
  private Thread thread;

  /**
   * {@code afterCommit}: called on the committer thread for each committed outcome that has
   * rejections (the write-back hand-off; must not block).
   */
  public CrmEventCommitter(
      CrmEventStore store, int maxRedeliveries, Consumer<EventOutcome> afterCommit) {
    this(store, maxRedeliveries, group -> group, afterCommit);
  }

  /**
   * {@code resolver}: turns the group's {@link Decision.Lookup}s into sends or rejections before
   * the commit (one SOQL query per object for the whole group).
   */
  public CrmEventCommitter(
      CrmEventStore store,
      int maxRedeliveries,
      GroupResolver resolver,
      Consumer<EventOutcome> afterCommit) {
    this.store = store;
    this.maxRedeliveries = maxRedeliveries;
    this.afterCommit = afterCommit;
    this.resolver = resolver;
  }

  /** Route step: queues the event's outcome for the next group commit (blocks when full). */
  public void submit(EventOutcome outcome) throws InterruptedException {
    ensureThread();
    queue.put(outcome);
    synchronized (progress) {
      submitted++;
    }
  }

  /**
   * The routes' last resort (onException, after the redeliveries): the event becomes a
   * PROCESSING_FAILED rejection, committed in order with the others so its replay id is not stored
   * before the events queued ahead of it.
   */
  public void recordFailure(Exchange exchange) throws InterruptedException {
    Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
    Object ch = exchange.getMessage().getHeader("CamelSalesforceChannel");
    Object rid = exchange.getMessage().getHeader("CamelSalesforceReplayId");
    String channel = ch == null ? "unknown" : ch.toString();
    Long replayId = rid instanceof Number n ? n.longValue() : null;
    submit(store.failure(channel, replayId, cause));
  }

  /**
   * Waits until everything submitted so far is committed (or given up), at most {@code timeoutMs}.
   * Returns whether it got there.
   */
  public boolean flush(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    // A group of replay-id-only events commits at once instead of waiting for more.
    flushing.incrementAndGet();
    try {
      synchronized (progress) {
        long target = submitted;
        while (done < target) {
          long left = deadline - System.currentTimeMillis();
          if (left <= 0 || thread == null) {
            return false;
          }
          progress.wait(left);
        }
        return true;
      }
    } finally {
      flushing.decrementAndGet();
    }
  }

  /** Transactions that committed a group or one event (tests check that events were grouped). */
  long commits() {
    return commits;
  }

  private synchronized void ensureThread() {
    if (thread == null) {
      thread = new Thread(this::run, "crm-events-committer");
      thread.setDaemon(true);
      thread.start();
    }
  }

  @Override
  protected void doStop() throws Exception {
    if (!flush(10_000) && !queue.isEmpty()) {
      LOG.warn(
          "CRM events: {} received events not committed at stop; they are read again on restart",
          queue.size());
    }
    Thread t;
    synchronized (this) {
      t = thread;
      thread = null;
    }
    if (t != null) {
      t.interrupt();
      t.join(5_000);
    }
    queue.clear();
    synchronized (progress) {
      done = submitted;
      progress.notifyAll();
    }
  }

  private void run() {
    List<EventOutcome> group = new ArrayList<>();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        EventOutcome first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          continue;
        }
        group.clear();
        group.add(first);
        queue.drainTo(group, MAX_GROUP - 1);
        if (replayOnly(group)) {
          lingerForMore(group);
        }
        commitGroup(group);
        synchronized (progress) {
          done += group.size();
          progress.notifyAll();
        }
      }
    } catch (InterruptedException e) {
      // Stopping: whatever is still queued was not committed and is read again on resubscribe.
      Thread.currentThread().interrupt();
    }
  }

  /** Whether no outcome of the group writes anything but the replay id. */
  private static boolean replayOnly(List<EventOutcome> group) {
    for (EventOutcome o : group) {
      if (!o.decisions().isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds what arrives within {@link #REPLAY_ONLY_LINGER_MS} to a group of replay-id-only events, so
   * that they share one commit. It stops early when the group is full, when an event arrives that
   * does write something (it commits with the group, in order, without waiting), and when someone
   * waits in {@link #flush} (a stop, a lost leadership).
   */
  private void lingerForMore(List<EventOutcome> group) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REPLAY_ONLY_LINGER_MS);
    while (group.size() < MAX_GROUP && replayOnly(group) && flushing.get() == 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      // In slices, so that a flush that begins meanwhile is seen within 50 ms.
      EventOutcome next =
          queue.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
      if (next != null) {
        group.add(next);
        queue.drainTo(group, MAX_GROUP - group.size());
      }
    }
  }

  /**
   * The group with its record-id look-ups done. When Salesforce cannot be asked, the whole group is
   * retried with the same backoff as a failed commit (the order stays); once the retries are used
   * up, each event that needed a look-up becomes a PROCESSING_FAILED rejection.
   */
  private List<EventOutcome> resolved(List<EventOutcome> group) throws InterruptedException {
    long delay = 500;
    for (int attempt = 0; ; attempt++) {
      if (attempt > 0) {
        Thread.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
      try {
        return resolver.resolve(group);
      } catch (Exception e) {
        if (maxRedeliveries >= 0 && attempt >= maxRedeliveries) {
          LOG.error(
              "CRM events: looking up the phones of {} events failed {} times, giving them up: {}",
              group.size(),
              attempt + 1,
              CrmEventStore.describe(e));
          List<EventOutcome> out = new ArrayList<>(group.size());
          for (EventOutcome o : group) {
            boolean lookup = o.decisions().stream().anyMatch(Decision.Lookup.class::isInstance);
            out.add(lookup ? store.failure(o.channel(), o.replayId(), e) : o);
          }
          return out;
        }
        LOG.warn(
            "CRM events: looking up the phones of {} events failed (attempt {}): {}",
            group.size(),
            attempt + 1,
            CrmEventStore.describe(e));
      }
    }
  }

  private void commitGroup(List<EventOutcome> received) throws InterruptedException {
    List<EventOutcome> group = resolved(received);
    try {
      store.commitAll(group);
      commits++;
      group.forEach(this::handOff);
      return;
    } catch (Exception e) {
      if (group.size() == 1) {
        LOG.warn("CRM events: commit failed, retrying: {}", CrmEventStore.describe(e));
      } else {
        LOG.warn(
            "CRM events: group commit of {} events failed, committing them one by one: {}",
            group.size(),
            CrmEventStore.describe(e));
      }
    }
    for (EventOutcome o : group) {
      commitOne(o);
    }
  }

  private void commitOne(EventOutcome o) throws InterruptedException {
    long delay = 500;
    for (int attempt = 0; maxRedeliveries < 0 || attempt <= maxRedeliveries; attempt++) {
      if (attempt > 0) {
        Thread.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
      try {
        store.commitAll(List.of(o));
        commits++;
        handOff(o);
        return;
      } catch (Exception e) {
        if (maxRedeliveries >= 0 && attempt == maxRedeliveries) {
          // Given up: recorded as PROCESSING_FAILED below, with its replay id (never silent).
          try {
            store.commitAll(List.of(store.failure(o.channel(), o.replayId(), e)));
          } catch (Exception again) {
            LOG.error(
                "CRM events: recording the failed event on {} (replay id {}) failed too: {}",
                o.channel(),
                o.replayId(),
                CrmEventStore.describe(again));
          }
          return;
        }
        LOG.warn(
            "CRM events: commit of the event on {} (replay id {}) failed (attempt {}): {}",
            o.channel(),
            o.replayId(),
            attempt + 1,
            CrmEventStore.describe(e));
      }
    }
  }

  private void handOff(EventOutcome o) {
    if (o.rejections().isEmpty()) {
      return;
    }
    try {
      afterCommit.accept(o);
    } catch (RuntimeException e) {
      LOG.warn("CRM events: handing rejections to the write-back failed: {}", e.toString());
    }
  }
}
