package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The acknowledgement path's SQL: how many statements the webhook store sends per stored callback,
 * counted on the wire (PostgreSQL: every Execute and simple Query message the driver sends from a
 * {@code webhook-writer} thread, BEGIN and COMMIT included), and that copies of one callback, in
 * one batch or in several, are all acknowledged and stored once (PostgreSQL and MariaDB).
 */
class WebhookEventStoreStatementsIT {
  private TestDatabase database;
  private Database db;
  private WebhookEventStore store;
  private final DefaultCamelContext ctx = new DefaultCamelContext();

  @AfterEach
  void close() throws Exception {
    if (store != null) {
      store.close();
    }
    ctx.close();
    if (db != null) {
      db.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private void open(TestDatabase.Kind kind, int batch) {
    database = TestDatabase.of(kind, "whsql");
    db = Database.open(database.config(8));
    store = new WebhookEventStore(db.dataSource(), db.vendor(), 2, batch, new WebhookMetrics());
  }

  /** Counts the statements pgjdbc sends from the store's writer threads. */
  private static PgWireCount wireCount() {
    return new PgWireCount(t -> t.startsWith("webhook-writer-"));
  }

  private Exchange send(String key) throws InterruptedException {
    Exchange ex = new DefaultExchange(ctx);
    ex.setProperty(
        WebhookGate.EVENT,
        new WebhookEvent(
            "message-status",
            key,
            key.substring(3, key.lastIndexOf(':')),
            "delivered",
            "AC1",
            null,
            Map.of(),
            "MessageSid=x&MessageStatus=delivered",
            Instant.now()));
    store.process(ex);
    return ex;
  }

  private long rows() {
    return database.count("SELECT COUNT(*) FROM webhook_event");
  }

  @ParameterizedTest
  @EnumSource(
      value = TestDatabase.Kind.class,
      names = {"POSTGRES"})
  void oneCallbackAloneCostsAtMostTwoStatements(TestDatabase.Kind kind) throws Exception {
    open(kind, 500);
    send("ms:SMwarm:delivered"); // the pool's first connection, outside the count
    try (PgWireCount wire = wireCount()) {
      for (int i = 0; i < 20; i++) {
        Exchange ex = send("ms:SMalone" + i + ":delivered");
        assertThat(ex.getProperty(WebhookGate.STATUS)).as("answer").isNull();
      }
      assertThat(rows()).isEqualTo(21);
      // Each callback here is its own group commit: the worst case per callback.
      assertThat(wire.statements.get()).as("statements for 20 callbacks").isBetween(1L, 40L);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = TestDatabase.Kind.class,
      names = {"POSTGRES"})
  void concurrentCallbacksCostAtMostTwoStatementsEach(TestDatabase.Kind kind) throws Exception {
    open(kind, 500);
    send("ms:SMwarm:delivered");
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try (PgWireCount wire = wireCount()) {
      List<Future<Exchange>> answers = new ArrayList<>();
      for (int i = 0; i < 3_000; i++) {
        String key = "ms:SMmany" + i + ":delivered";
        answers.add(pool.submit(() -> send(key)));
      }
      for (Future<Exchange> a : answers) {
        assertThat(a.get(60, TimeUnit.SECONDS).getProperty(WebhookGate.STATUS)).isNull();
      }
      long stored = rows() - 1;
      assertThat(stored).isEqualTo(3_000);
      long statements = wire.statements.get();
      System.out.printf(
          "webhook ack path: %d statements for %d stored callbacks (%.3f each)%n",
          statements, stored, (double) statements / stored);
      assertThat(statements).isBetween(1L, 2 * stored);
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = TestDatabase.Kind.class,
      names = {"POSTGRES", "MARIADB"})
  void copiesInOneBatchAndAcrossBatchesAreAcknowledgedAndStoredOnce(TestDatabase.Kind kind)
      throws Exception {
    open(kind, 500);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      for (int round = 0; round < 10; round++) {
        String key = "ms:SMcopy" + round + ":delivered";
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Exchange>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          answers.add(
              pool.submit(
                  () -> {
                    go.await();
                    return send(key);
                  }));
        }
        go.countDown();
        int firsts = 0;
        for (Future<Exchange> a : answers) {
          Exchange ex = a.get(30, TimeUnit.SECONDS);
          assertThat(ex.getProperty(WebhookGate.STATUS)).as("answer to a copy").isNull();
          if (!ex.getProperty(WebhookEventStore.DUPLICATE, Boolean.class)) {
            firsts++;
          }
        }
        assertThat(firsts).as("copies of %s passed on as new", key).isEqualTo(1);
        assertThat(database.count("SELECT COUNT(*) FROM webhook_event WHERE dedupe_key = ?", key))
            .isEqualTo(1);
      }
      // And a copy that arrives after the row was committed.
      Exchange late = send("ms:SMcopy0:delivered");
      assertThat(late.getProperty(WebhookEventStore.DUPLICATE, Boolean.class)).isTrue();
      assertThat(rows()).isEqualTo(10);
    } finally {
      pool.shutdownNow();
    }
  }
}
