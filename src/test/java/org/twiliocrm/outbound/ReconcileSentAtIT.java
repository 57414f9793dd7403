package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * A message found by reconciliation is recorded as sent when Twilio created it (its date_created),
 * not when the lookup found it. The lookup runs 3 s after the ambiguous send, so the two times are
 * seconds apart and the old behaviour (the time of the lookup) fails this test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReconcileSentAtIT {
  TestConnector node;
  SandboxControl sandbox;
  Rows rows;

  @BeforeAll
  void start() throws Exception {
    // The connector as shipped; the faults go to the Twilio sandbox it started.
    node =
        TestConnector.on(TestDatabase.h2("reconcile_sent_at"))
            .properties(
                Map.of(
                    "outbox.poll-interval", "300ms",
                    "outbox.reconcile.delay", "3s",
                    "outbox.instance-id", "sent-at-it"))
            .start();
    sandbox = new SandboxControl(node.twilio());
    rows = new Rows(node.bean("dataSource", javax.sql.DataSource.class));
  }

  @AfterAll
  void stop() {
    node.close();
  }

  /** H2 returns TIMESTAMP WITH TIME ZONE as OffsetDateTime, PostgreSQL as Timestamp. */
  static Instant instant(Object v) {
    return v instanceof Timestamp t ? t.toInstant() : ((java.time.OffsetDateTime) v).toInstant();
  }

  @Test
  void aReconciledMessageIsSentWhenTwilioCreatedIt() {
    // Twilio creates the message, then the connection fails: the send is ambiguous.
    sandbox.faults(Map.of("createdButErrorRate", 1.0));
    String to = "+14155557001";
    long id =
        rows.insert(
            "sent-at-1", "channel", "sms", "recipient", to, "sender", "+15005550006", "body", "t");
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> sandbox.messagesTo(to).size() == 1);
    sandbox.clearFaults();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> "SENT".equals(rows.status(id)));

    Map<String, Object> row = rows.row(id);
    assertThat(row).containsEntry("reason_code", "RECONCILED_FOUND");
    List<Map<String, Object>> atTwilio = sandbox.messagesTo(to);
    assertThat(atTwilio).hasSize(1);
    Instant created =
        ZonedDateTime.parse(
                (String) atTwilio.get(0).get("date_created"), DateTimeFormatter.RFC_1123_DATE_TIME)
            .toInstant();
    Instant sentAt = instant(row.get("sent_at"));
    Instant updatedAt = instant(row.get("updated_at"));
    // Twilio's date_created has whole seconds: sent_at is exactly that instant.
    assertThat(sentAt).isEqualTo(created);
    // ...and the row was written by the lookup, at least 2 s later (delay 3 s, less rounding).
    assertThat(Duration.between(sentAt, updatedAt)).isGreaterThan(Duration.ofSeconds(2));
    assertThat(rows.attempts(id))
        .extracting(a -> a.get("kind") + ":" + a.get("outcome"))
        .containsExactly("SEND:AMBIGUOUS", "RECONCILE:FOUND");
  }
}
