package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * LISTEN/NOTIFY wakes the claimer on PostgreSQL: with a 30 s poll interval a row is still sent
 * within a second of its commit, and without LISTEN it waits for the poll.
 */
class OutboxNotifyIT {
  static TestDatabase schema;

  @BeforeAll
  static void start() {
    schema = TestDatabase.postgres("outbox_notify");
  }

  @AfterAll
  static void stop() {
    schema.close();
  }

  @Test
  void aNotifyWakesTheClaimerWithinMilliseconds() throws Exception {
    try (TestConnector node = node("true")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> runtime(node).listener().isListening());
      Rows rows = new Rows(node.bean("dataSource", DataSource.class));
      // Let the first (start-up) poll pass, so only a wake-up can explain a fast send.
      awaitIdle(node);
      long start = System.nanoTime();
      long id =
          rows.insert(
              "n1",
              "channel",
              "sms",
              "recipient",
              "+14155550901",
              "sender",
              "+15005550006",
              "body",
              "wake");
      // The bound is the feature: the poll is 30 s away, so a send well inside it was woken by the
      // NOTIFY. 10 s leaves room for a busy machine and still tells the two apart.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> "SENT".equals(rows.status(id)));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(ms).isLessThan(10_000);
    }
  }

  @Test
  void withoutListenTheRowWaitsForThePoll() throws Exception {
    try (TestConnector node = node("false")) {
      assertThat(runtime(node).listener()).isNull();
      Rows rows = new Rows(node.bean("dataSource", DataSource.class));
      awaitIdle(node);
      long id =
          rows.insert(
              "n2",
              "channel",
              "sms",
              "recipient",
              "+14155550902",
              "sender",
              "+15005550006",
              "body",
              "no wake");
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(4))
          .until(() -> "PENDING".equals(rows.status(id)));
    }
  }

  /** Waits until the node's first claim (at start-up) has come back empty and it is waiting. */
  private static void awaitIdle(TestConnector node) {
    await()
        .pollDelay(Duration.ofMillis(700))
        .atMost(Duration.ofSeconds(30))
        .until(() -> node.bean("outboxRecorder", OutboxRecorder.class).pending() == 0);
  }

  private static OutboxRuntime runtime(TestConnector node) {
    return node.bean("outboxRuntime", OutboxRuntime.class);
  }

  /** The connector as shipped on this class's schema, with its own Twilio sandbox. */
  private static TestConnector node(String listen) throws Exception {
    return TestConnector.on(schema)
        .property("connector.db.pool-size", "30")
        .properties(
            Map.of(
                "outbox.poll-interval", "30s", "outbox.listen", listen, "outbox.instance-id", "n"))
        .start();
  }
}
