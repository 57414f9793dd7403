package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.webhook.MessageStateStore;

/**
 * A status callback processed before the result writer recorded the send's SID creates a message
 * record with no text and no CRM link; once the SID is recorded, {@link SentLink} gives the record
 * the outbox row's text and link and makes it due for the write-back again, and the outbox row
 * takes the record's later Twilio status. On H2, PostgreSQL and MariaDB.
 */
class SentLinkIT {

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void aRecordCreatedBeforeItsSidWasRecordedGetsTheRowsTextAndLink(TestDatabase.Kind kind)
      throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "sent_link");
        Database db = tdb.open(4)) {
      Rows rows = new Rows(db.dataSource());
      OutboxStore store = new OutboxStore(db.dataSource(), db.vendor());
      rows.insert(
          "link-early",
          "channel",
          "sms",
          "recipient",
          "+14155550100",
          "sender",
          "+15005550006",
          "body",
          "Hello from the outbox",
          "crm_object",
          "Contact",
          "crm_record_id",
          "003000000000001AAA");
      rows.insert(
          "link-normal",
          "channel",
          "sms",
          "recipient",
          "+14155550101",
          "sender",
          "+15005550006",
          "body",
          "Second",
          "crm_object",
          "Contact",
          "crm_record_id",
          "003000000000002AAA");
      rows.insert(
          "link-behind",
          "channel",
          "sms",
          "recipient",
          "+14155550102",
          "sender",
          "+15005550006",
          "body",
          "Third");
      List<OutboxRow> claimed = store.claim("me", 10, 60_000);
      assertThat(claimed).hasSize(3);

      // The first one's delivered callback came first, found no outbox row, and the write-back
      // already wrote the record it made (synced version = version).
      bare(tdb, "SMlinkearly", 2);
      // The second one's record was made the normal way, with its text and link.
      tdb.exec(
          "INSERT INTO message_state (message_sid, direction, channel, status, body, crm_object,"
              + " crm_record_id, created_at, updated_at, crm_version, crm_synced_version)"
              + " VALUES (?, 'outbound', 'sms', 'delivered', 'Second', 'Contact',"
              + " '003000000000002AAA', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 2, 2)",
          "SMlinknormal");
      // The third one's record is at a status before Twilio's answer to the create.
      tdb.exec(
          "INSERT INTO message_state (message_sid, direction, channel, status, body, created_at,"
              + " updated_at, crm_version, crm_synced_version) VALUES (?, 'outbound', 'sms',"
              + " 'accepted', 'Third', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 1)",
          "SMlinkbehind");

      List<OutboxStore.Result> results =
          claimed.stream()
              .map(
                  r ->
                      new OutboxStore.Result(
                          r,
                          1,
                          Outcome.sent(
                              switch (r.idempotencyKey()) {
                                case "link-early" -> "SMlinkearly";
                                case "link-normal" -> "SMlinknormal";
                                default -> "SMlinkbehind";
                              },
                              "queued",
                              1,
                              null),
                          List.of()))
              .toList();
      store.record(results, "me");
      SentLink link =
          new SentLink(db.dataSource(), org.twiliocrm.webhook.MessageStatus::predecessors);
      link.afterRecorded(results);

      Map<String, Object> early = state(rows, "SMlinkearly");
      assertThat(body(db, "SMlinkearly")).isEqualTo("Hello from the outbox");
      assertThat(early.get("crm_object")).isEqualTo("Contact");
      assertThat(early.get("crm_record_id")).isEqualTo("003000000000001AAA");
      assertThat(((Number) early.get("crm_version")).intValue()).isEqualTo(3);
      assertThat(early.get("status")).as("the status is the callback's").isEqualTo("delivered");
      assertThat(link.linked()).isEqualTo(1);
      // Due for the write-back again, so the CRM record gets its text and link.
      assertThat(new MessageStateStore(db.dataSource(), Duration.ZERO).dirty(10))
          .extracting(MessageStateStore.Dirty::sid)
          .containsExactly("SMlinkearly");

      Map<String, Object> normal = state(rows, "SMlinknormal");
      assertThat(((Number) normal.get("crm_version")).intValue())
          .as("a record made with its text is left alone")
          .isEqualTo(2);

      // The result writer stored Twilio's answer to the create (queued); the callbacks had
      // already taken both records to delivered, so the outbox rows follow. Never backwards.
      assertThat(twilioStatus(rows, "SMlinkearly")).isEqualTo("delivered");
      assertThat(twilioStatus(rows, "SMlinknormal")).isEqualTo("delivered");
      assertThat(twilioStatus(rows, "SMlinkbehind")).isEqualTo("queued");
      assertThat(link.statusesForward()).isEqualTo(2);

      // Once is enough: the same results again change nothing.
      link.afterRecorded(results);
      assertThat(link.statusesForward()).isEqualTo(2);
      assertThat(((Number) state(rows, "SMlinkearly").get("crm_version")).intValue()).isEqualTo(3);
      assertThat(link.linked()).isEqualTo(1);
    }
  }

  /** A record as a callback makes it when it finds no outbox row: no text, no CRM link. */
  private static void bare(TestDatabase tdb, String sid, int syncedVersion) {
    tdb.exec(
        "INSERT INTO message_state (message_sid, direction, channel, status, created_at,"
            + " updated_at, crm_version, crm_synced_version) VALUES (?, 'outbound', 'sms',"
            + " 'delivered', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
            + syncedVersion
            + ", "
            + syncedVersion
            + ")",
        sid);
  }

  /** The record's text, read as a string (H2 and MariaDB keep it as a large object). */
  private static String body(Database db, String sid) throws java.sql.SQLException {
    try (java.sql.Connection c = db.dataSource().getConnection();
        java.sql.PreparedStatement ps =
            c.prepareStatement("SELECT body FROM message_state WHERE message_sid = ?")) {
      ps.setString(1, sid);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static Object twilioStatus(Rows rows, String sid) {
    return rows.query("SELECT twilio_status FROM outbox_message WHERE twilio_sid = '" + sid + "'")
        .get(0)
        .get("twilio_status");
  }

  private static Map<String, Object> state(Rows rows, String sid) {
    return rows.query("SELECT * FROM message_state WHERE message_sid = '" + sid + "'").get(0);
  }
}
