package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * webhook events marked DONE without their change (what H2 can leave when the process dies in the
 * batch's commit, docs/durability.md): the next start applies them again, adds only what is missing
 * (no second Task), and leaves alone the events whose change is in place.
 *
 * <p>The torn batch is made by hand between two runs, from callbacks the sandbox really sent: the
 * messages' state and outbox rows are put back to {@code sent} while their {@code delivered} events
 * stay DONE; one reply (a STOP) loses its consent event and opt-out flag but keeps its row, another
 * loses its row but keeps its Task, a third (a STOP) loses only the legacy consent row its keyword
 * set; and a dead process's note is left in H2's open-marker table, as a SIGKILL leaves it. A real
 * torn commit cannot be produced on demand ({@code bench/run h2-kill} finds one in tens of kills).
 */
class UncleanStopRecheckIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void eventsMarkedAppliedButMissingAreAppliedAgainAfterAnUncleanStop() throws Exception {
    String reader = "jdbc:h2:file:" + work.resolve("data/connector") + ";AUTO_SERVER=TRUE";
    Map<String, String> env = new HashMap<>();
    env.put("SANDBOX_TWILIO_PORT", "0");
    env.put("SANDBOX_SALESFORCE_PORT", "0");

    // 1. Three messages sent and delivered by the sandbox, four replies (a STOP, two that become
    // Tasks, a HELP), then a clean stop.
    int port = FreePort.find();
    int twilioPort = FreePort.find();
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + port);
    env.put("SANDBOX_TWILIO_PORT", String.valueOf(twilioPort));
    List<String> replies = new ArrayList<>();
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
      // The fourth, HELP, asks for nothing in the CRM: it must not be taken for a torn one. The
      // fifth, a STOP, will lose only its legacy consent row; the sixth and seventh, a STOP then a
      // START from one handset, stay whole: their row must keep saying what the START said.
      String[][] texts = {
        {"+14155552010", "STOP"},
        {"+14155552011", "Can you call me?"},
        {"+14155552012", "Thanks"},
        {"+14155552013", "HELP"},
        {"+14155552014", "STOP"},
        {"+14155552015", "STOP"},
        {"+14155552015", "START"}
      };
      for (String[] t : texts) {
        replies.add(reply(twilioPort, t[0], t[1]));
      }
      await("the replies applied: consent events, opt-out and opt-in flags, two Tasks queued")
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  count(reader, "SELECT COUNT(*) FROM crm_action WHERE kind = 'TASK'") == 2
                      && count(reader, "SELECT COUNT(*) FROM crm_action WHERE kind = 'OPT_OUT'")
                          == 3
                      && count(reader, "SELECT COUNT(*) FROM crm_action WHERE kind = 'OPT_IN'") == 1
                      && count(reader, consentEvents(replies.get(0))) == 1
                      && count(reader, consentEvents(replies.get(4))) == 1
                      && count(
                              reader,
                              "SELECT COUNT(*) FROM message_state WHERE direction = 'inbound'")
                          == 7);
      assertThat(consentRow(reader, "+14155552014")).isEqualTo("OPTED_OUT STOP");
      assertThat(consentRow(reader, "+14155552015")).isEqualTo("OPTED_IN START");
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
      // The STOP's row survived, its consent event and opt-out flag did not; the first Task
      // reply's row was lost, its Task survived. The third reply is whole.
      st.executeUpdate("DELETE FROM crm_action WHERE message_sid = '" + replies.get(0) + "'");
      st.executeUpdate(
          "DELETE FROM consent_event WHERE evidence LIKE 'message " + replies.get(0) + " %'");
      st.executeUpdate("DELETE FROM message_state WHERE message_sid = '" + replies.get(1) + "'");
      // The fifth reply's STOP kept its consent event and opt-out flag and lost the legacy
      // per-sender row that ConsentChecker reads before a send (its first keyword inserted it).
      st.executeUpdate("DELETE FROM consent WHERE recipient = '+14155552014'");
      // What a SIGKILL leaves: the dead process's note that it had the file open.
      st.executeUpdate(
          "INSERT INTO CONNECTOR_H2_OPEN (owner, opened_at) VALUES ('1@gone', CURRENT_TIMESTAMP)");
    }
    Map<Long, String> doneBefore = doneEvents(reader);

    // 3. The restart applies those four again, and only them.
    port = FreePort.find();
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + port);
    env.put("SANDBOX_TWILIO_PORT", "0");
    try (ConnectorProcess second = ConnectorProcess.start(work, env, port)) {
      second.awaitReady(Duration.ofSeconds(120));
      await("the lost changes applied again")
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
                      && count(reader, consentEvents(replies.get(0))) == 1
                      && count(reader, "SELECT COUNT(*) FROM crm_action WHERE kind = 'OPT_OUT'")
                          == 3
                      && count(
                              reader,
                              "SELECT COUNT(*) FROM message_state WHERE message_sid = '"
                                  + replies.get(1)
                                  + "'")
                          == 1
                      && count(reader, "SELECT COUNT(*) FROM webhook_event WHERE state <> 'DONE'")
                          == 0);
      assertThat(count(reader, "SELECT COUNT(*) FROM crm_action WHERE kind = 'TASK'"))
          .as("the reply applied again did not queue its Task a second time")
          .isEqualTo(2);
      assertThat(
              count(
                  reader,
                  "SELECT COUNT(*) FROM crm_action WHERE kind = 'OPT_OUT' AND message_sid = '"
                      + replies.get(0)
                      + "'"))
          .isEqualTo(1);
      assertThat(consentRow(reader, "+14155552014"))
          .as("the STOP's consent row, set again from it at the start")
          .isEqualTo("OPTED_OUT STOP");
      assertThat(consentRow(reader, "+14155552015"))
          .as("a STOP followed by a START: the row keeps what the latest said")
          .isEqualTo("OPTED_IN START");
      assertThat(count(reader, consentEvents(replies.get(4))))
          .as("the fifth reply was not applied again")
          .isEqualTo(1);
      assertThat(second.output())
          .contains("left the consent row of 1 recipient(s)")
          .contains("left 4 of the")
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
          .as("only the four events whose change was missing were applied again")
          .hasSize(4);
      List<String> reappliedSids = new ArrayList<>();
      try (Connection c = DriverManager.getConnection(reader, "", "");
          PreparedStatement ps =
              c.prepareStatement("SELECT sid, status, kind FROM webhook_event WHERE id = ?")) {
        for (long id : reapplied) {
          ps.setLong(1, id);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            reappliedSids.add(rs.getString(1));
            if ("message-status".equals(rs.getString(3))) {
              assertThat(rs.getString(2)).isEqualTo("delivered");
            } else {
              assertThat(rs.getString(3)).isEqualTo("inbound");
            }
          }
        }
      }
      assertThat(reappliedSids)
          .containsExactlyInAnyOrder(sids.get(0), sids.get(1), replies.get(0), replies.get(1));
    }

    // 4. After a clean stop, the next start checks nothing.
    port = FreePort.find();
    env.put("CONNECTOR_PUBLIC_URL", "http://127.0.0.1:" + port);
    try (ConnectorProcess third = ConnectorProcess.start(work, env, port)) {
      third.awaitReady(Duration.ofSeconds(120));
      assertThat(third.output()).doesNotContain("H2 was not closed cleanly");
    }
  }

  /** A handset texts the sandbox's number; the answer comes once the webhook has answered. */
  private static String reply(int twilioPort, String from, String body) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + twilioPort
                                + "/sandbox/handsets/"
                                + URLEncoder.encode(from, StandardCharsets.UTF_8)
                                + "/messages"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            JSON.writeValueAsString(Map.of("to", "+15005550006", "body", body))))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode answer = JSON.readTree(r.body());
    assertThat(answer.path("webhook").path("httpStatus").asInt()).as(r.body()).isEqualTo(200);
    return answer.path("sid").asText();
  }

  /** The keyword's consent event of an inbound message, counted. */
  private static String consentEvents(String sid) {
    return "SELECT COUNT(*) FROM consent_event WHERE source = 'inbound-sms' AND evidence LIKE"
        + " 'message "
        + sid
        + " %'";
  }

  /** The legacy consent row of a handset for the sandbox's number: status and keyword. */
  private static String consentRow(String url, String recipient) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "", "");
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT status, keyword FROM consent WHERE recipient = ?"
                    + " AND sender_scope = '+15005550006'")) {
      ps.setString(1, recipient);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) + " " + rs.getString(2) : null;
      }
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
