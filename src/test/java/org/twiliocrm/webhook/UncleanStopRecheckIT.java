package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;

/**
 * The packaged jar on its embedded default, restarted after an unclean stop that left a batch of
 * status callbacks marked DONE without their change (what H2 can leave when the process dies in the
 * batch's commit, docs/durability.md): the next start applies them again, and leaves alone the ones
 * whose change is in place.
 *
 * <p>The torn batch is made by hand between two runs, from callbacks the sandbox really sent: the
 * messages' state and outbox rows are put back to {@code sent} while their {@code delivered} events
 * stay DONE, and a dead process's note is left in H2's open-marker table, as a SIGKILL leaves it. A
 * real torn commit cannot be produced on demand ({@code bench/run h2-kill} finds one in tens of
 * kills).
 */
class UncleanStopRecheckIT {
  @TempDir Path work;

  @Test
  void statusesMarkedAppliedButMissingAreAppliedAgainAfterAnUncleanStop() throws Exception {
    String reader = "jdbc:h2:file:" + work.resolve("data/connector") + ";AUTO_SERVER=TRUE";
    Map<String, String> env = new HashMap<>();
    env.put("SANDBOX_TWILIO_PORT", "0");
    env.put("SANDBOX_SALESFORCE_PORT", "0");

    // 1. Three messages sent and delivered by the sandbox, then a clean stop.
    int port = FreePort.find();
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + port);
    try (ConnectorProcess first = ConnectorProcess.start(work, env, port)) {
      first.awaitReady(Duration.ofSeconds(120));
      try (Connection c = DriverManager.getConnection(reader, "", "");
          PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                      + " VALUES (?, 'sms', ?, '+15005550006', 'hello')")) {
        for (int i = 0; i < 3; i++) {
          ps.setString(1, "torn-" + i);
          ps.setString(2, "+141555520" + (10 + i));
          ps.executeUpdate();
        }
      }
      await("3 messages delivered")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> count(reader, "SELECT COUNT(*) FROM message_state WHERE status = 'delivered'"),
              n -> n == 3);
    }
    List<String> sids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(reader, "", "");
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery("SELECT twilio_sid FROM outbox_message ORDER BY idempotency_key")) {
        while (rs.next()) {
          sids.add(rs.getString(1));
        }
      }
      assertThat(sids).hasSize(3).doesNotContainNull();
      assertThat(count(reader, "SELECT COUNT(*) FROM CONNECTOR_H2_OPEN"))
          .as("a clean stop removes its note")
          .isZero();

      // 2. The torn batch: the first two messages' delivered callbacks are DONE, their change is
      // not (the first in both tables, the second in the outbox only). The third is whole.
      st.executeUpdate(
          "UPDATE message_state SET status = 'sent', delivered_at = NULL WHERE message_sid = '"
              + sids.get(0)
              + "'");
      st.executeUpdate(
          "UPDATE outbox_message SET twilio_status = 'sent' WHERE twilio_sid IN ('"
              + sids.get(0)
              + "', '"
              + sids.get(1)
              + "')");
      // What a SIGKILL leaves: the dead process's note that it had the file open.
      st.executeUpdate(
          "INSERT INTO CONNECTOR_H2_OPEN (owner, opened_at) VALUES ('1@gone', CURRENT_TIMESTAMP)");
    }
    Map<Long, String> doneBefore = doneEvents(reader);

    // 3. The restart applies the two again, and only them.
    port = FreePort.find();
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + port);
    try (ConnectorProcess second = ConnectorProcess.start(work, env, port)) {
      second.awaitReady(Duration.ofSeconds(120));
      await("the lost statuses applied again")
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  count(reader, "SELECT COUNT(*) FROM message_state WHERE status = 'delivered'")
                          == 3
                      && count(
                              reader,
                              "SELECT COUNT(*) FROM outbox_message WHERE twilio_status ="
                                  + " 'delivered'")
                          == 3
                      && count(reader, "SELECT COUNT(*) FROM webhook_event WHERE state <> 'DONE'")
                          == 0);
      assertThat(second.output())
          .contains("left 2 of the")
          .contains("webhook events applied last marked DONE without their change");
      Map<Long, String> doneAfter = doneEvents(reader);
      assertThat(doneAfter.keySet()).isEqualTo(doneBefore.keySet());
      List<Long> reapplied = new ArrayList<>();
      for (Map.Entry<Long, String> e : doneAfter.entrySet()) {
        if (!e.getValue().equals(doneBefore.get(e.getKey()))) {
          reapplied.add(e.getKey());
        }
      }
      assertThat(reapplied)
          .as("only the two events whose change was missing were applied again")
          .hasSize(2);
      try (Connection c = DriverManager.getConnection(reader, "", "");
          PreparedStatement ps =
              c.prepareStatement("SELECT sid, status FROM webhook_event WHERE id = ?")) {
        for (long id : reapplied) {
          ps.setLong(1, id);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertThat(rs.getString(1)).isIn(sids.get(0), sids.get(1));
            assertThat(rs.getString(2)).isEqualTo("delivered");
          }
        }
      }
    }

    // 4. After a clean stop, the next start checks nothing.
    port = FreePort.find();
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + port);
    try (ConnectorProcess third = ConnectorProcess.start(work, env, port)) {
      third.awaitReady(Duration.ofSeconds(120));
      assertThat(third.output()).doesNotContain("H2 was not closed cleanly");
    }
  }

  /** Each DONE event's id and when it was applied. */
  private static Map<Long, String> doneEvents(String url) throws SQLException {
    Map<Long, String> out = new HashMap<>();
    try (Connection c = DriverManager.getConnection(url, "", "");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT id, processed_at FROM webhook_event WHERE state = 'DONE'")) {
      while (rs.next()) {
        out.put(rs.getLong(1), rs.getString(2));
      }
    }
    return out;
  }

  private static long count(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "", "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
