package org.twiliocrm.retention;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The retention job on the three databases, migrated by Flyway as shipped: rows older than
 * retention.days lose their personal data, younger rows and rows still in flight keep it, and only
 * the process the leader check picks does the work.
 */
class RetentionIT {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Timestamp OLD = Timestamp.from(NOW.minus(Duration.ofDays(31)));
  private static final Timestamp YOUNG = Timestamp.from(NOW.minus(Duration.ofDays(29)));

  private static ConnectorConfig.Db db(String vendor) {
    return switch (vendor) {
      case "postgresql" -> TestDatabase.postgres("retention").config();
      case "mariadb" -> TestDatabase.mariadb("retention").config();
      default -> TestDatabase.h2("retention").config();
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "mariadb", "h2"})
  void purgesAndRedactsOnlyWhatIsOlderThanTheRetention(String vendor) throws Exception {
    try (Database database = Database.open(db(vendor))) {
      DataSource ds = database.dataSource();
      // Three batches' worth of expired webhook events, to cross batch boundaries.
      for (int i = 0; i < 7; i++) {
        webhookEvent(ds, "old-done-" + i, "DONE", OLD);
      }
      webhookEvent(ds, "old-failed", "FAILED", OLD);
      webhookEvent(ds, "old-new", "NEW", OLD); // not processed yet: untouched
      webhookEvent(ds, "young-done", "DONE", YOUNG);
      outbox(ds, "old-sent", "SENT", OLD);
      outbox(ds, "old-retry", "RETRY", OLD); // still to be sent: keeps its body
      outbox(ds, "young-sent", "SENT", YOUNG);
      messageState(ds, "SMold", 2, 2, OLD);
      messageState(ds, "SMold-unsynced", 2, 1, OLD); // the CRM has not seen it yet
      messageState(ds, "SMyoung", 1, 1, YOUNG);
      crmAction(ds, "DONE", OLD);
      crmAction(ds, "PENDING", OLD);

      AtomicBoolean leader = new AtomicBoolean(false);
      RetentionJob job =
          new RetentionJob(
              new RetentionSettings(true, 30, 60, 3),
              ds,
              leader::get,
              Clock.fixed(NOW, ZoneOffset.UTC));
      job.tick(); // not the leader: nothing happens
      assertThat(strings(ds, "SELECT dedupe_key FROM webhook_event")).hasSize(10);

      leader.set(true);
      job.tick();
      assertThat(strings(ds, "SELECT dedupe_key FROM webhook_event ORDER BY dedupe_key"))
          .containsExactly("old-failed", "old-new", "young-done");
      assertThat(strings(ds, "SELECT payload FROM webhook_event ORDER BY dedupe_key"))
          .containsExactly(
              "", "From=%2B14155552671&Body=secret", "From=%2B14155552671&Body=secret");
      assertThat(
              strings(
                  ds,
                  "SELECT CONCAT(COALESCE(body, '-'), '/', COALESCE(template_variables, '-'))"
                      + " FROM outbox_message ORDER BY idempotency_key"))
          .containsExactly("hello/{\"a\":1}", "-/-", "hello/{\"a\":1}");
      assertThat(strings(ds, "SELECT COALESCE(body, '-') FROM message_state ORDER BY message_sid"))
          .containsExactly("-", "reply text", "reply text");
      assertThat(
              strings(
                  ds,
                  "SELECT CONCAT(state, ':', COALESCE(detail, '-')) FROM crm_action"
                      + " ORDER BY state"))
          .containsExactly("DONE:-", "PENDING:reply text");

      // Within the interval a second tick does nothing; purge() itself is idempotent.
      webhookEvent(ds, "old-done-late", "DONE", OLD);
      job.tick();
      assertThat(strings(ds, "SELECT dedupe_key FROM webhook_event")).contains("old-done-late");
      assertThat(job.purge()).containsEntry("webhook_event deleted", 1);
      assertThat(job.purge().values()).allMatch(n -> n == 0);
    }
  }

  private static void webhookEvent(DataSource ds, String key, String state, Timestamp at)
      throws Exception {
    exec(
        ds,
        "INSERT INTO webhook_event (kind, dedupe_key, payload, received_at, state)"
            + " VALUES ('inbound', ?, 'From=%2B14155552671&Body=secret', ?, ?)",
        key,
        at,
        state);
  }

  private static void outbox(DataSource ds, String key, String status, Timestamp at)
      throws Exception {
    exec(
        ds,
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
            + " template_variables, status, created_at, updated_at)"
            + " VALUES (?, 'sms', '+14155552671', '+15005550006', 'hello', '{\"a\":1}', ?, ?, ?)",
        key,
        status,
        at,
        at);
  }

  private static void messageState(DataSource ds, String sid, int version, int synced, Timestamp at)
      throws Exception {
    exec(
        ds,
        "INSERT INTO message_state (message_sid, direction, status, body, created_at,"
            + " updated_at, crm_version, crm_synced_version)"
            + " VALUES (?, 'inbound', 'received', 'reply text', ?, ?, ?, ?)",
        sid,
        at,
        at,
        version,
        synced);
  }

  private static void crmAction(DataSource ds, String state, Timestamp at) throws Exception {
    exec(
        ds,
        "INSERT INTO crm_action (kind, phone, detail, state, created_at)"
            + " VALUES ('TASK', '+14155552671', 'reply text', ?, ?)",
        state,
        at);
  }

  private static void exec(DataSource ds, String sql, Object... args) throws Exception {
    try (Connection c = ds.getConnection();
        PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      p.executeUpdate();
    }
  }

  private static List<String> strings(DataSource ds, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement p = c.prepareStatement(sql);
        ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
