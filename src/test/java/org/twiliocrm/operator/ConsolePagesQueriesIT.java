package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The console's dashboard and failed-row queries on each supported database (the hour buckets, the
 * grouping and the guarded retry are plain SQL that must mean the same on all three), with a fixed
 * clock so the windows and ages are exact.
 */
class ConsolePagesQueriesIT {
  private static final Instant NOW = Instant.parse("2026-12-02T10:30:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  @SuppressWarnings("unchecked")
  void theDashboardCountsByHourAndChannelAndNamesErrors(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "console_dash");
        Database db = tdb.open(2)) {
      try (Connection c = db.dataSource().getConnection()) {
        row(c, "d1", "sms", "SENT", "delivered", null, null, "2026-12-02T09:10:00Z");
        row(c, "d2", "sms", "SENT", "undelivered", 30003, null, "2026-12-02T09:59:59Z");
        row(c, "d3", "sms", "FAILED", null, 20429, "RETRIES_EXHAUSTED", "2026-12-02T10:00:00Z");
        row(c, "d4", "whatsapp", "SENT", "sent", null, null, "2026-12-02T10:20:00Z");
        row(c, "d5", "sms", "PENDING", null, null, null, "2026-12-02T10:00:00Z");
        row(c, "d6", "sms", "HELD", null, null, null, "2026-12-02T10:10:00Z");
        // Outside the window: neither charted nor among the error codes, but still backlog.
        row(c, "d7", "sms", "SENT", "undelivered", 30007, null, "2026-11-01T00:00:00Z");
        row(c, "d8", "sms", "RETRY", null, null, null, "2026-12-01T10:30:00Z");
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO message_state (message_sid, direction, channel, status,"
                    + " created_at, updated_at, crm_version, crm_synced_version,"
                    + " crm_dirty_since, crm_last_error) VALUES (?, 'inbound', 'sms', 'received',"
                    + " ?, ?, ?, 1, ?, ?)")) {
          Timestamp t = Timestamp.from(Instant.parse("2026-12-02T10:00:00Z"));
          for (int i = 0; i < 3; i++) {
            ps.setString(1, "SM" + i);
            ps.setTimestamp(2, t);
            ps.setTimestamp(3, t);
            ps.setInt(4, i == 0 ? 1 : 2); // the first one is written already
            ps.setTimestamp(5, Timestamp.from(Instant.parse("2026-12-02T10:0" + i + ":00Z")));
            ps.setString(6, i == 2 ? "503 from the CRM" : null);
            ps.executeUpdate();
          }
        }
        // A sent message's state in the same hour, written to the CRM: not a received one.
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO message_state (message_sid, direction, channel, status, created_at,"
                    + " updated_at, crm_version, crm_synced_version) VALUES ('SMout',"
                    + " 'outbound-api', 'sms', 'delivered', ?, ?, 1, 1)")) {
          Timestamp t = Timestamp.from(Instant.parse("2026-12-02T10:05:00Z"));
          ps.setTimestamp(1, t);
          ps.setTimestamp(2, t);
          ps.executeUpdate();
        }
      }

      Map<String, Object> d = new Dashboard(db.dataSource(), CLOCK).read(24);
      List<Map<String, Object>> hours = (List<Map<String, Object>>) d.get("hours");
      assertThat(hours).hasSize(25);
      assertThat(hours.get(0).get("hour")).isEqualTo("2026-12-01T10:00:00Z");
      assertThat(hours.get(23).get("hour")).isEqualTo("2026-12-02T09:00:00Z");
      assertThat(hours.get(23).get("channels"))
          .isEqualTo(
              Map.of("sms", Map.of("sent", 0L, "delivered", 1L, "undelivered", 1L, "failed", 0L)));
      assertThat(hours.get(24).get("channels"))
          .isEqualTo(
              Map.of(
                  "sms",
                  Map.of("sent", 0L, "delivered", 0L, "undelivered", 0L, "failed", 1L),
                  "whatsapp",
                  Map.of("sent", 1L, "delivered", 0L, "undelivered", 0L, "failed", 0L)));
      assertThat(hours.subList(0, 23))
          .allSatisfy(h -> assertThat((Map<?, ?>) h.get("channels")).isEmpty());
      // The three messages received at 10:00, in that hour; an outbound state is not counted.
      assertThat(hours.get(24).get("received")).isEqualTo(Map.of("sms", 3L));
      assertThat(hours.subList(0, 24))
          .allSatisfy(h -> assertThat((Map<?, ?>) h.get("received")).isEmpty());

      List<Map<String, Object>> errors = (List<Map<String, Object>>) d.get("errors");
      assertThat(errors).extracting(e -> e.get("code")).containsExactly(20429, 30003);
      assertThat(errors.get(1).get("meaning").toString()).contains("unreachable destination");
      assertThat(errors.get(0).get("meaning").toString()).contains("too many concurrent");

      Map<String, Object> backlog = (Map<String, Object>) d.get("backlog");
      assertThat(backlog.get("rows")).isEqualTo(2L);
      assertThat(backlog.get("held")).isEqualTo(1L);
      assertThat(backlog.get("oldestAgeSeconds")).isEqualTo(86_400L);
      Map<String, Object> wb = (Map<String, Object>) d.get("writeBack");
      assertThat(wb.get("pending")).isEqualTo(2L);
      assertThat(wb.get("failing")).isEqualTo(1L);
      assertThat(wb.get("lagSeconds")).isEqualTo(1740L);

      assertThatThrownBy(() -> new Dashboard(db.dataSource(), CLOCK).read(0))
          .isInstanceOf(MessageQueries.BadFilter.class)
          .hasMessageContaining("'hours'");
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void failedRowsGroupAndOnlyTransientNonVerifyRowsAreRetriedOnceAndAudited(TestDatabase.Kind kind)
      throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "console_failed");
        Database db = tdb.open(2)) {
      long transientRow;
      long verifyRow;
      long permanentRow;
      long sentRow;
      try (Connection c = db.dataSource().getConnection()) {
        transientRow = row(c, "f1", "sms", "FAILED", null, 20429, "RETRIES_EXHAUSTED", null);
        row(c, "f2", "sms", "FAILED", null, 20429, "RETRIES_EXHAUSTED", null);
        verifyRow = row(c, "f3", "verify", "FAILED", null, null, "RETRIES_EXHAUSTED", null);
        permanentRow = row(c, "f4", "sms", "FAILED", null, 21211, "TWILIO_REJECTED", null);
        sentRow = row(c, "f5", "sms", "SENT", "sent", null, null, null);
      }
      FailedMessages failed = new FailedMessages(db.dataSource(), CLOCK);
      List<Map<String, Object>> groups = failed.groups();
      assertThat(groups)
          .extracting(
              g ->
                  List.of(g.get("reasonCode"), g.get("count"), g.get("verify"), g.get("retryable")))
          .containsExactly(
              List.of("RETRIES_EXHAUSTED", 2L, 0L, true),
              List.of("RETRIES_EXHAUSTED", 1L, 1L, true),
              List.of("TWILIO_REJECTED", 1L, 0L, false));
      assertThat(groups.get(2).get("meaning").toString()).contains("not a valid phone number");

      List<Map<String, Object>> rows = failed.rows("RETRIES_EXHAUSTED", null, 10, true);
      assertThat(rows)
          .extracting(r -> List.of(r.get("channel"), r.get("recipient"), r.get("retryable")))
          .containsExactly(
              List.of("verify", "+*******0100", false),
              List.of("sms", "+*******0100", true),
              List.of("sms", "+*******0100", true));

      FailedMessages.Retry r =
          failed.retry(
              List.of(transientRow, verifyRow, permanentRow, sentRow, 999_999L, transientRow),
              "bob",
              "outage over");
      assertThat(r.retried()).containsExactly(transientRow);
      assertThat(r.refused())
          .extracting(x -> x.get("id"))
          .containsExactly(verifyRow, permanentRow, sentRow, 999_999L);
      assertThat(r.refused().get(0).get("reason").toString()).contains("Verify");
      assertThat(
              tdb.rows(
                  "SELECT status, attempts, reason_code FROM outbox_message WHERE id = ?",
                  transientRow))
          .containsExactly(java.util.Arrays.asList("PENDING", "0", null));
      assertThat(
              tdb.rows(
                  "SELECT actor, action, subject_type, subject_id, after_state, detail"
                      + " FROM governance_audit"))
          .containsExactly(
              List.of(
                  "bob",
                  "RETRY",
                  "outbox_message",
                  String.valueOf(transientRow),
                  "PENDING",
                  "outage over"));
      // A second operator retrying the same row a moment later changes nothing.
      assertThat(failed.retry(List.of(transientRow), "carol", null).retried()).isEmpty();
      assertThat(tdb.count("SELECT COUNT(*) FROM governance_audit")).isEqualTo(1);
      assertThatThrownBy(() -> failed.retry(List.of(), "bob", null))
          .isInstanceOf(MessageQueries.BadFilter.class);
    }
  }

  /** One outbox row in a given state; created_at null means the database's default. */
  private static long row(
      Connection c,
      String key,
      String channel,
      String status,
      String twilioStatus,
      Integer errorCode,
      String reasonCode,
      String createdAt)
      throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
                + " twilio_status, error_code, reason_code, attempts, created_at) VALUES (?, ?,"
                + " '+14155550100', 'hi', ?, ?, ?, ?, 5, ?)",
            new String[] {"id"})) {
      ps.setString(1, key);
      ps.setString(2, channel);
      ps.setString(3, status);
      ps.setString(4, twilioStatus);
      ps.setObject(5, errorCode, java.sql.Types.INTEGER);
      ps.setString(6, reasonCode);
      ps.setTimestamp(7, Timestamp.from(createdAt == null ? NOW : Instant.parse(createdAt)));
      ps.executeUpdate();
      try (var rs = ps.getGeneratedKeys()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
