package org.twiliocrm.webhook;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.db.Transactions;

/**
 * Persist, then acknowledge: writes accepted webhook events to {@code webhook_event} before the
 * route answers 200. Requests are queued and a few writer threads insert them in batches, one
 * transaction per batch (group commit): under load one commit carries hundreds of callbacks, which
 * is what makes thousands per second possible while each caller still waits for its own commit. On
 * PostgreSQL and MariaDB a batch is one multi-row INSERT in auto-commit (one statement, one round
 * trip); on H2 a JDBC batch in one transaction.
 *
 * <p>This is a plain (synchronous) processor on purpose. platform-http-vertx already runs each
 * request on a Vert.x worker thread that blocks until the route returns; that thread waits here for
 * the commit and then finishes its own exchange (reply, metrics, unit of work). As an asynchronous
 * processor, the rest of every route ran on the writer thread that completed it, so two writer
 * threads did the post-commit Camel work of every request one after the other (about 80 % of their
 * time in a profile) and capped throughput at about 3,000 callbacks/s.
 *
 * <p>Duplicates (same dedupe key) are dropped by the database's unique key, so the check holds
 * across replicas. When the database fails, the request gets 503 and Twilio retries it later.
 */
public final class WebhookEventStore implements Processor, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookEventStore.class);
  public static final String DUPLICATE = "twilioWebhookDuplicate";

  /**
   * Longest a request waits for its commit before it answers 503 (Twilio then retries): {@code
   * webhook.ack.max-wait-millis}, kept below Twilio's 15 s request timeout by WebhookSettings, so
   * Twilio sees the 503 rather than a timeout of its own.
   */
  private final long commitWaitMillis;

  /** One queued event; the writer fills in the outcome, then counts down. */
  private static final class Pending {
    final WebhookEvent event;
    final long start;
    final CountDownLatch done = new CountDownLatch(1);
    volatile int status = 200;
    volatile boolean duplicate;

    Pending(WebhookEvent event, long start) {
      this.event = event;
      this.start = start;
    }
  }

  private final DataSource dataSource;
  private final String insertSql;

  /**
   * PostgreSQL and MariaDB: the head of the one multi-row insert a group commit sends ({@code
   * VALUES} rows and the tail are appended per batch), run in auto-commit so the statement is its
   * own transaction: one statement per batch on the acknowledgement path, where a JDBC batch in an
   * explicit transaction sent BEGIN, one INSERT per event and COMMIT. Null on H2, whose MERGE
   * cannot report which rows of a multi-row source it inserted: it keeps the JDBC batch.
   */
  private final String multiRowHead;

  private final String multiRowTail;
  private final boolean ignoresConflicts;
  private final Vendor vendor;
  private final int batch;
  private final WebhookMetrics metrics;
  private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(50_000);
  private final List<Thread> writers = new ArrayList<>();
  private final List<Runnable> listeners = new ArrayList<>();
  private volatile boolean running = true;

  public WebhookEventStore(
      DataSource dataSource, Vendor vendor, int threads, int batch, WebhookMetrics metrics) {
    this(dataSource, vendor, threads, batch, metrics, 5_000);
  }

  public WebhookEventStore(
      DataSource dataSource,
      Vendor vendor,
      int threads,
      int batch,
      WebhookMetrics metrics,
      long commitWaitMillis) {
    this.commitWaitMillis = commitWaitMillis;
    this.vendor = vendor;
    this.dataSource = dataSource;
    this.batch = batch;
    this.metrics = metrics;
    String cols =
        "(kind, dedupe_key, sid, status, account_sid, idempotency_token, payload, received_at)";
    switch (vendor) {
      case POSTGRESQL:
        insertSql =
            "INSERT INTO webhook_event "
                + cols
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING";
        multiRowHead = "INSERT INTO webhook_event " + cols + " VALUES ";
        multiRowTail = " ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key";
        ignoresConflicts = true;
        break;
      case MARIADB:
        insertSql = "INSERT IGNORE INTO webhook_event " + cols + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
        // MariaDB (10.5 and later) returns the rows an INSERT IGNORE inserted, not the ignored.
        multiRowHead = "INSERT IGNORE INTO webhook_event " + cols + " VALUES ";
        multiRowTail = " RETURNING dedupe_key";
        ignoresConflicts = true;
        break;
      default:
        multiRowHead = null;
        multiRowTail = null;
        // H2: standard MERGE that only inserts; an existing key is left as it is.
        insertSql =
            "MERGE INTO webhook_event t USING (VALUES (CAST(? AS VARCHAR(24)), CAST(? AS"
                + " VARCHAR(200)), CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(32)), CAST(? AS"
                + " VARCHAR(64)), CAST(? AS VARCHAR(200)), CAST(? AS CHARACTER LARGE OBJECT),"
                + " CAST(? AS TIMESTAMP(6) WITH TIME ZONE))) s(kind, dedupe_key, sid, status,"
                + " account_sid, idempotency_token, payload, received_at) ON t.dedupe_key ="
                + " s.dedupe_key WHEN NOT MATCHED THEN INSERT "
                + cols
                + " VALUES (s.kind, s.dedupe_key, s.sid, s.status, s.account_sid,"
                + " s.idempotency_token, s.payload, s.received_at)";
        ignoresConflicts = true;
    }
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::writeLoop, "webhook-writer-" + i);
      t.setDaemon(true);
      t.start();
      writers.add(t);
    }
  }

  /** Called after each commit that stored at least one new event (wakes the processor). */
  public void onStored(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public void process(Exchange exchange) throws InterruptedException {
    WebhookEvent event = exchange.getProperty(WebhookGate.EVENT, WebhookEvent.class);
    if (event == null || "twiml".equals(event.kind())) {
      return;
    }
    Pending p = new Pending(event, System.nanoTime());
    if (!queue.offer(p)) {
      // Back-pressure: Twilio retries a 503 later; better than unbounded memory.
      exchange.setProperty(WebhookGate.STATUS, 503);
      return;
    }
    if (!p.done.await(commitWaitMillis, TimeUnit.MILLISECONDS)) {
      // Not known to be committed: no 200. If the row lands later, Twilio's retry is a duplicate.
      exchange.setProperty(WebhookGate.STATUS, 503);
      return;
    }
    if (p.status != 200) {
      exchange.setProperty(WebhookGate.STATUS, p.status);
    } else {
      exchange.setProperty(DUPLICATE, p.duplicate);
    }
  }

  private void writeLoop() {
    List<Pending> work = new ArrayList<>(batch);
    while (running) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        work.add(first);
        queue.drainTo(work, batch - 1);
        write(work);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.error("webhook writer failed: {}", Redaction.phonesIn(e.toString()));
        for (Pending p : work) {
          if (p.done.getCount() > 0) {
            p.status = 503;
            p.done.countDown();
          }
        }
      } finally {
        work.clear();
      }
    }
  }

  /**
   * Times a batch is tried again when it lost a race for the same key on H2. H2's MERGE is not
   * atomic across transactions: two writers that each batch a retry of the same callback both see
   * no row and the later commit fails with a unique-key violation. Run again, the MERGE sees the
   * committed row and reports the duplicate, so the caller gets the 200 it is owed, not a 503.
   */
  private static final int SAME_KEY_RETRIES = 3;

  private void write(List<Pending> work) {
    int[] counts = null;
    for (int attempt = 0; ; attempt++) {
      try {
        counts = insert(work);
        break;
      } catch (SQLException e) {
        if (vendor == Vendor.H2 && isUniqueViolation(e) && attempt < SAME_KEY_RETRIES) {
          LOG.debug("webhook batch lost a same-key race on H2, trying again");
          continue;
        }
        LOG.warn(
            "storing {} webhook event(s) failed, answering 503: {}",
            work.size(),
            Redaction.phonesIn(e.toString()));
        for (Pending p : work) {
          p.status = 503;
        }
        counts = null;
        break;
      }
    }
    boolean anyNew = false;
    long now = System.nanoTime();
    for (int i = 0; i < work.size(); i++) {
      Pending p = work.get(i);
      if (counts != null) {
        // A conflict-ignoring insert reports 0 rows for a duplicate. SUCCESS_NO_INFO (-2) counts
        // as stored: the driver did not say, and the unique key kept the table right either way.
        boolean duplicate = ignoresConflicts && counts[i] == 0;
        p.duplicate = duplicate;
        if (duplicate) {
          metrics.duplicate(p.event.kind());
        } else {
          anyNew = true;
          metrics.accepted(p.event.kind());
        }
        metrics.persisted(now - p.start);
      }
      p.done.countDown();
    }
    if (anyNew) {
      listeners.forEach(Runnable::run);
    }
  }

  /** Rows of one multi-row insert at most: 8 parameters each, under the drivers' 65,535. */
  static final int ROWS_PER_STATEMENT = 4_000;

  private int[] insert(List<Pending> work) throws SQLException {
    return multiRowHead != null ? insertRows(work) : insertBatch(work);
  }

  /**
   * One multi-row insert per batch (per {@link #ROWS_PER_STATEMENT} rows) in auto-commit: the
   * statement commits durably before it returns, like the explicit commit did. Copies of one
   * callback in the same batch are sent once; the copies after the first count as duplicates. The
   * returned keys are the rows inserted: a key not returned was already stored.
   */
  private int[] insertRows(List<Pending> work) throws SQLException {
    java.util.Set<String> keys = new java.util.HashSet<>();
    List<WebhookEvent> rows = new ArrayList<>(work.size());
    for (Pending p : work) {
      if (keys.add(p.event.dedupeKey())) {
        rows.add(p.event);
      }
    }
    java.util.Set<String> inserted = new java.util.HashSet<>();
    try (Connection c = dataSource.getConnection()) {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
        List<WebhookEvent> part =
            rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT));
        StringBuilder sql = new StringBuilder(multiRowHead.length() + part.size() * 26 + 64);
        sql.append(multiRowHead);
        for (int i = 0; i < part.size(); i++) {
          sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?)");
        }
        sql.append(multiRowTail);
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
          int n = 1;
          for (WebhookEvent e : part) {
            ps.setString(n++, e.kind());
            ps.setString(n++, e.dedupeKey());
            ps.setString(n++, e.sid());
            ps.setString(n++, e.status());
            ps.setString(n++, e.accountSid());
            ps.setString(n++, e.idempotencyToken());
            ps.setString(n++, e.payload());
            ps.setTimestamp(n++, Timestamp.from(e.receivedAt()));
          }
          try (java.sql.ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              inserted.add(rs.getString(1));
            }
          }
        }
      }
    }
    int[] counts = new int[work.size()];
    for (int i = 0; i < work.size(); i++) {
      // 1 for the first copy of a key this statement inserted, 0 (duplicate) for the rest.
      counts[i] = inserted.remove(work.get(i).event.dedupeKey()) ? 1 : 0;
    }
    return counts;
  }

  private int[] insertBatch(List<Pending> work) throws SQLException {
    return Transactions.inTransaction(
        dataSource,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(insertSql)) {
            for (Pending p : work) {
              WebhookEvent e = p.event;
              ps.setString(1, e.kind());
              ps.setString(2, e.dedupeKey());
              ps.setString(3, e.sid());
              ps.setString(4, e.status());
              ps.setString(5, e.accountSid());
              ps.setString(6, e.idempotencyToken());
              ps.setString(7, e.payload());
              ps.setTimestamp(8, Timestamp.from(e.receivedAt()));
              ps.addBatch();
            }
            return ps.executeBatch();
          }
        });
  }

  /** SQLSTATE 23505, on the exception or on one chained to it (a batch wraps the cause). */
  static boolean isUniqueViolation(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if ("23505".equals(x.getSQLState())
          || (x.getCause() instanceof SQLException cause && "23505".equals(cause.getSQLState()))) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- the processing side

  /**
   * Claims up to {@code limit} NEW events in the caller's transaction ({@code FOR UPDATE SKIP
   * LOCKED}): another replica skips them, and a crash before the commit simply leaves them NEW.
   */
  List<StoredEvent> claim(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, kind, sid, status, payload FROM webhook_event WHERE state = 'NEW'"
                + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
      ps.setInt(1, limit);
      List<StoredEvent> out = new ArrayList<>();
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new StoredEvent(
                  rs.getLong(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  StoredEvent.params(rs.getString(5))));
        }
      }
      return out;
    }
  }

  /**
   * Marks applied events DONE, in the transaction that applied them: one UPDATE per {@link
   * #ROWS_PER_STATEMENT} events ({@code id IN (...)}) rather than one per event.
   */
  void markDone(Connection c, List<StoredEvent> events) throws SQLException {
    Timestamp now = Timestamp.from(java.time.Instant.now());
    for (int from = 0; from < events.size(); from += ROWS_PER_STATEMENT) {
      List<StoredEvent> part =
          events.subList(from, Math.min(events.size(), from + ROWS_PER_STATEMENT));
      StringBuilder sql =
          new StringBuilder(
              "UPDATE webhook_event SET state = 'DONE', processed_at = ? WHERE id IN (");
      for (int i = 0; i < part.size(); i++) {
        sql.append(i == 0 ? "?" : ", ?");
      }
      sql.append(')');
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        ps.setTimestamp(1, now);
        int n = 2;
        for (StoredEvent e : part) {
          ps.setLong(n++, e.id());
        }
        ps.executeUpdate();
      }
    }
  }

  /** Parks an event that failed on its own as FAILED, with the error, so the rest flows on. */
  /**
   * Gives a claimed event back as NEW after a transient failure, counting the attempt, so the next
   * claim applies it again; false (nothing changed) once it has had {@code maxAttempts}.
   */
  boolean retryLater(Connection c, long id, String error, int maxAttempts) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE webhook_event SET attempts = attempts + 1, last_error = ? WHERE id = ? AND"
                + " state = 'NEW' AND attempts < ?")) {
      ps.setString(1, error == null || error.length() <= 1000 ? error : error.substring(0, 1000));
      ps.setLong(2, id);
      ps.setInt(3, maxAttempts);
      return ps.executeUpdate() == 1;
    }
  }

  void park(Connection c, long id, String error) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE webhook_event SET state = 'FAILED', attempts = attempts + 1, last_error = ?"
                + " WHERE id = ? AND state = 'NEW'")) {
      ps.setString(1, error == null || error.length() <= 1000 ? error : error.substring(0, 1000));
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  @Override
  public void close() {
    running = false;
    writers.forEach(Thread::interrupt);
  }
}
