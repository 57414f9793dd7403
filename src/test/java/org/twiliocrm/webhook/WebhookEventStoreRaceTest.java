package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import org.junit.jupiter.api.Test;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * Twilio retries a callback it got no answer for, so the same event can arrive several times at
 * once. On H2 two writer threads that each batch a copy both see no row (H2's MERGE is not atomic
 * across transactions) and one commit fails on the unique key. Every copy must still be answered
 * 200 and stored once: a 503 here made a CI run fail (ChannelFallbackH2IT, sixteen concurrent
 * retries of one status).
 */
class WebhookEventStoreRaceTest {
  private final Database db = Database.open(TestDatabase.h2("whrace").config());
  private final DefaultCamelContext ctx = new DefaultCamelContext();
  // Four writers, one event per batch: the race is as likely as it can be.
  private final WebhookEventStore store =
      new WebhookEventStore(db.dataSource(), db.vendor(), 4, 1, new WebhookMetrics());

  @AfterEach
  void close() throws Exception {
    store.close();
    ctx.close();
    db.close();
  }

  @Test
  void concurrentCopiesOfOneCallbackAreAllAcknowledgedAndStoredOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      for (int round = 0; round < 25; round++) {
        String key = "status:SM" + round + ":failed";
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Object>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          answers.add(
              pool.submit(
                  () -> {
                    Exchange ex = new DefaultExchange(ctx);
                    ex.setProperty(
                        WebhookGate.EVENT,
                        new WebhookEvent(
                            "status",
                            key,
                            "SM" + key.hashCode(),
                            "failed",
                            "AC1",
                            null,
                            Map.of(),
                            "MessageStatus=failed",
                            Instant.now()));
                    go.await();
                    store.process(ex);
                    // No status set means the route answers 200.
                    return ex.getProperty(WebhookGate.STATUS);
                  }));
        }
        go.countDown();
        for (Future<Object> a : answers) {
          assertThat(a.get(30, TimeUnit.SECONDS)).as("answer to a copy of %s", key).isNull();
        }
        assertThat(count(key)).as("rows for %s", key).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void onlyAUniqueKeyViolationCountsAsALostRace() {
    SQLException batch = new java.sql.BatchUpdateException("batch", "23505", 23505, new int[0]);
    assertThat(WebhookEventStore.isUniqueViolation(batch)).isTrue();
    SQLException chained = new SQLException("outer", "HY000");
    chained.setNextException(new SQLException("dup", "23505"));
    assertThat(WebhookEventStore.isUniqueViolation(chained)).isTrue();
    assertThat(WebhookEventStore.isUniqueViolation(new SQLException("lock", "HYT00"))).isFalse();
  }

  private int count(String key) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT COUNT(*) FROM webhook_event WHERE dedupe_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
