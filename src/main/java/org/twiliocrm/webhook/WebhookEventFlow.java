package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;

/**
 * The transaction around the stored-event route (routes/twilio-webhook-events.camel.yaml): {@link
 * #claim} opens it and claims a batch with {@code FOR UPDATE SKIP LOCKED}, the route hands each
 * event to its kind's handler on that transaction, and {@link #record} marks them DONE and commits.
 * So each event takes effect exactly once, even with several replicas, and a crash leaves it NEW.
 *
 * <p>When a batch fails, {@link #failed} rolls it back and the next claims take one event at a
 * time, as many as the batch held: the good ones go through, and the one that fails on its own is
 * parked as FAILED with its error, so one bad event never holds up the rest. An event that fails on
 * a transient database error (another replica's lock or insert) is applied again instead, up to
 * {@link #TRANSIENT_TRIES} times.
 */
public final class WebhookEventFlow {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookEventFlow.class);

  /** Exchange property: the open batch (transaction and events). */
  public static final String BATCH = "twilioWebhookBatch";

  /** Exchange property: whether the route should claim again at once. */
  public static final String MORE = "twilioWebhookMore";

  /** Exchange property: events applied since the route last waited. */
  public static final String APPLIED = "twilioWebhookApplied";

  /** Header on each split event: its kind (message-status, inbound, call-status, twiml). */
  public static final String KIND = "TwilioWebhookKind";

  private final DataSource dataSource;
  private final WebhookEventStore events;
  private final int batch;
  private final Semaphore wake = new Semaphore(0);

  /** Events still to take one per transaction after a batch failed (route thread only). */
  private final AtomicInteger oneByOne = new AtomicInteger();

  public WebhookEventFlow(DataSource dataSource, WebhookEventStore events, int batch) {
    this.dataSource = dataSource;
    this.events = events;
    this.batch = batch;
  }

  /**
   * A claimed batch: its open transaction and events, and the message statuses decided but not yet
   * written ({@link MessageStatusBatch}).
   */
  static final class Batch {
    private final Connection connection;
    private final List<StoredEvent> events;
    private MessageStatusBatch statuses;

    Batch(Connection connection, List<StoredEvent> events) {
      this.connection = connection;
      this.events = events;
    }

    Connection connection() {
      return connection;
    }

    List<StoredEvent> events() {
      return events;
    }

    MessageStatusBatch statuses() {
      return statuses;
    }

    void statuses(MessageStatusBatch s) {
      statuses = s;
    }

    /** Writes the decided message statuses, so that the next SQL on the transaction sees them. */
    void flush() throws SQLException {
      if (statuses != null) {
        statuses.flush();
      }
    }
  }

  /** The batch an event belongs to. */
  static Batch batch(Exchange exchange) {
    return exchange.getProperty(BATCH, Batch.class);
  }

  /**
   * The transaction of the batch an event belongs to (for the handlers), with the message statuses
   * decided so far written to it.
   */
  static Connection connection(Exchange exchange) throws SQLException {
    Batch b = batch(exchange);
    b.flush();
    return b.connection();
  }

  /** Wakes {@link #idle} at once: the store committed new events. */
  public void wake() {
    if (wake.availablePermits() == 0) {
      wake.release();
    }
  }

  /**
   * Route step: opens a transaction and claims a batch; the body becomes one message per event
   * (body {@link StoredEvent}, header {@value #KIND}) for the route to split.
   */
  public List<Message> claim(Exchange exchange) throws SQLException {
    exchange.setProperty(MORE, false);
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      List<StoredEvent> claimed = events.claim(c, oneByOne.get() > 0 ? 1 : batch);
      if (claimed.isEmpty()) {
        oneByOne.set(0);
        c.commit();
        c.close();
        return List.of();
      }
      exchange.setProperty(BATCH, new Batch(c, claimed));
      List<Message> out = new ArrayList<>(claimed.size());
      for (StoredEvent e : claimed) {
        Message m = new DefaultMessage(exchange.getContext());
        m.setBody(e);
        m.setHeader(KIND, e.kind());
        out.add(m);
      }
      return out;
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Route step after every event of the batch was applied: marks them DONE and commits. */
  public void record(Exchange exchange) throws SQLException {
    Batch b = exchange.getProperty(BATCH, Batch.class);
    if (b == null) {
      return;
    }
    // Still the open batch if this fails: failed() then rolls it back and retries one by one.
    b.flush();
    exchange.removeProperty(BATCH);
    try (Connection c = b.connection()) {
      events.markDone(c, b.events());
      c.commit();
    }
    oneByOne.updateAndGet(n -> Math.max(0, n - 1));
    exchange.setProperty(
        APPLIED, exchange.getProperty(APPLIED, 0, Integer.class) + b.events().size());
    exchange.setProperty(MORE, true);
  }

  /** Applications of one event that may fail on a transient database error before it is parked. */
  static final int TRANSIENT_TRIES = 5;

  /**
   * The SQL state when {@code error} is one another attempt can get past, else null: a
   * serialization failure or deadlock (class 40), a lock wait that timed out (H2 HYT00, PostgreSQL
   * 55P03, MariaDB 1205), or a unique key another replica's transaction took first (23505; MariaDB
   * 1062), e.g. two replicas inserting the same message's state at once: on the next attempt the
   * row is there and the event updates it.
   */
  static String transientSqlState(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("40")
            || state.equals("HYT00")
            || state.equals("55P03")
            || state.equals("23505")
            || e.getErrorCode() == 1205
            || e.getErrorCode() == 1062) {
          return state;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  /**
   * Route step when the batch failed: rolls it back. A batch of one is applied again after a
   * transient database error (up to TRANSIENT_TRIES times), else parked as FAILED; a larger one is
   * retried one event per transaction.
   */
  public void failed(Exchange exchange) {
    Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    while (error != null
        && error.getCause() != null
        && error instanceof org.apache.camel.CamelExchangeException) {
      error = error.getCause();
    }
    Batch b = exchange.getProperty(BATCH, Batch.class);
    exchange.removeProperty(BATCH);
    exchange.setProperty(MORE, false);
    if (b == null) {
      LOG.warn("webhook event processing failed: {}", Redaction.phonesIn(String.valueOf(error)));
      return;
    }
    try (Connection c = b.connection()) {
      c.rollback();
      String sqlState = transientSqlState(error);
      if (b.events().size() == 1
          && sqlState != null
          && events.retryLater(c, b.events().get(0).id(), String.valueOf(error), TRANSIENT_TRIES)) {
        c.commit();
        oneByOne.updateAndGet(n -> Math.max(0, n - 1));
        LOG.info(
            "webhook event {} met a transient database error (SQL state {}); applying it again",
            b.events().get(0).id(),
            sqlState);
      } else if (b.events().size() == 1) {
        long id = b.events().get(0).id();
        events.park(c, id, String.valueOf(error));
        c.commit();
        oneByOne.updateAndGet(n -> Math.max(0, n - 1));
        LOG.warn(
            "webhook event {} failed and is parked as FAILED: {}",
            id,
            Redaction.phonesIn(String.valueOf(error)));
      } else {
        oneByOne.set(b.events().size());
        LOG.warn(
            "batch of {} webhook events failed, retrying one by one: {}",
            b.events().size(),
            Redaction.phonesIn(String.valueOf(error)));
      }
      exchange.setProperty(MORE, true);
    } catch (SQLException e) {
      LOG.warn("webhook event processing failed: {}", Redaction.phonesIn(e.toString()));
    }
  }

  /**
   * Route step once nothing is left to claim: when this round applied nothing, waits up to {@code
   * waitMillis} for the store to commit new events (or the next poll).
   */
  public void idle(Exchange exchange, long waitMillis) throws InterruptedException {
    int applied = exchange.getProperty(APPLIED, 0, Integer.class);
    exchange.removeProperty(APPLIED);
    if (applied == 0 && waitMillis > 0) {
      wake.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
    }
  }
}
