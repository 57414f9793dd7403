package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.ConsentLedger;
import org.twiliocrm.governance.ConsentRequests;
import org.twiliocrm.governance.PhoneRules;
import org.twiliocrm.governance.RecipientPolicies;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * Keywords from a phone as consent by purpose, on a real database: Advanced Opt-Out's OptOutType
 * wins over the body (a custom keyword), every keyword is a consent event with the message SID as
 * evidence, and a double opt-in asked through the API is confirmed by YES within its window and not
 * after it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConsentKeywordsContract {
  abstract TestDatabase.Kind kind();

  static final AtomicInteger NEXT = new AtomicInteger(100);

  TestDatabase database;
  Database db;
  InboundMessageHandler handler;
  RecipientPolicies policies;
  ConsentLedger ledger;
  Path file;

  @BeforeAll
  void start() throws Exception {
    database = TestDatabase.of(kind(), "consent_keywords");
    db = database.open(4);
    file = Files.createTempFile("recipients", ".yaml");
    Files.writeString(
        file,
        """
        purposes:
          transactional: {}
          marketing: { consent: opt-in }
        double-opt-in:
          purposes: [marketing]
          window: 1h
          sender: "+15005550006"
          prompt: Reply YES to get our offers.
        """,
        StandardCharsets.UTF_8);
    policies = new RecipientPolicies(file.toString(), new Audit(db.dataSource()));
    ledger = new ConsentLedger(db.dataSource());
    handler =
        new InboundMessageHandler(
            new MessageStateStore(db.dataSource()),
            new CrmActionQueue(db.dataSource()),
            Keywords.of(WebhookSettings.from(k -> null)),
            true);
  }

  @AfterAll
  void stop() throws Exception {
    db.close();
    database.close();
    Files.deleteIfExists(file);
  }

  static String number() {
    return "+1415558" + String.format("%04d", NEXT.incrementAndGet());
  }

  String inbound(String from, String body, String optOutType) throws Exception {
    String sid = "SM" + String.format("%032d", NEXT.incrementAndGet());
    apply(sid, from, body, optOutType);
    return sid;
  }

  /** Applies one inbound message with this SID (again, when called twice with it). */
  void apply(String sid, String from, String body, String optOutType) throws Exception {
    Map<String, List<String>> p = new java.util.HashMap<>();
    p.put("From", List.of(from));
    p.put("To", List.of("+15005550006"));
    p.put("Body", List.of(body));
    if (optOutType != null) {
      p.put("OptOutType", List.of(optOutType));
    }
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      handler.apply(c, new StoredEvent(NEXT.incrementAndGet(), "inbound", sid, "received", p));
      c.commit();
    }
  }

  long count(String sql, String arg) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  void update(String sql, String arg) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      ps.executeUpdate();
    }
  }

  /**
   * What UncleanStopRecheck relies on: an inbound message applied again (after H2 lost part of the
   * transaction that first applied it) adds only what is missing, never a second Task or consent
   * event, and a STOP applied again does not undo a START that came after it.
   */
  @Test
  void aReplyAppliedAgainAddsOnlyWhatIsMissing() throws Exception {
    String n = number();
    String stop = inbound(n, "STOP", null);
    String actions = "SELECT COUNT(*) FROM crm_action WHERE message_sid = ?";
    String events = "SELECT COUNT(*) FROM consent_event WHERE evidence LIKE ?";
    String evidence = "message " + stop + " %";
    assertThat(count(actions, stop)).isEqualTo(1);
    assertThat(count(events, evidence)).isEqualTo(1);
    // Applied again whole: nothing changes.
    apply(stop, n, "STOP", null);
    assertThat(count(actions, stop)).isEqualTo(1);
    assertThat(count(events, evidence)).isEqualTo(1);
    // The row survived, the consent event and the opt-out flag did not: both come back, once.
    update("DELETE FROM crm_action WHERE message_sid = ?", stop);
    update("DELETE FROM consent_event WHERE evidence LIKE ?", evidence);
    apply(stop, n, "STOP", null);
    assertThat(count(actions, stop)).isEqualTo(1);
    assertThat(count(events, evidence)).isEqualTo(1);
    assertThat(states(n)).containsExactly("*=OPTED_OUT/inbound-sms");
    // A START later; the STOP applied once more leaves the START in force.
    inbound(n, "START", null);
    apply(stop, n, "STOP", null);
    assertThat(states(n)).containsExactly("*=OPTED_IN/inbound-sms");
    assertThat(count(events, evidence)).isEqualTo(1);
    // A Task reply whose row was lost and whose Task survived: the row comes back, one Task.
    String task = inbound(n, "Can you call me?", null);
    update("DELETE FROM message_state WHERE message_sid = ?", task);
    apply(task, n, "Can you call me?", null);
    assertThat(count("SELECT COUNT(*) FROM message_state WHERE message_sid = ?", task))
        .isEqualTo(1);
    assertThat(
            count("SELECT COUNT(*) FROM crm_action WHERE kind = 'TASK' AND message_sid = ?", task))
        .isEqualTo(1);
  }

  List<String> states(String number) throws Exception {
    List<String> out = new ArrayList<>();
    ledger
        .states(List.of(number))
        .getOrDefault(number, Map.of())
        .forEach((k, v) -> out.add(k + "=" + v.status() + "/" + v.source()));
    return out;
  }

  ConsentRequests requests(Clock clock) {
    return new ConsentRequests(db.dataSource(), policies, new PhoneRules("US"), clock);
  }

  @Test
  void advancedOptOutsTypeWinsOverTheBodyAndIsRecordedWithItsEvidence() throws Exception {
    String n = number();
    inbound(n, "ARRET", "STOP");
    assertThat(states(n)).containsExactly("*=OPTED_OUT/inbound-sms");
    assertThat(ledger.history(n, 10))
        .singleElement()
        .satisfies(
            h ->
                assertThat((String) h.get("evidence"))
                    .startsWith("message SM")
                    .contains("keyword ARRET"));
    // START via OptOutType lifts it; a plain body without OptOutType is classified as before
    inbound(n, "REPRENDRE", "START");
    assertThat(states(n)).containsExactly("*=OPTED_IN/inbound-sms");
    inbound(n, "stop", null);
    assertThat(states(n)).containsExactly("*=OPTED_OUT/inbound-sms");
    assertThat(ledger.history(n, 10)).hasSize(3);
  }

  @Test
  void aDoubleOptInIsPendingUntilYesAndTheApiQueuesThePrompt() throws Exception {
    String n = number();
    ConsentRequests.Result r =
        requests(Clock.systemUTC()).submit(n, "marketing", "opted_in", "web form", "alice");
    assertThat(r.status()).isEqualTo(ConsentLedger.PENDING);
    assertThat(r.promptRowId()).isNotNull();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT recipient, sender, body FROM outbox_message WHERE id = ?")) {
      ps.setLong(1, r.promptRowId());
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo(n);
        assertThat(rs.getString(2)).isEqualTo("+15005550006");
        assertThat(rs.getString(3)).isEqualTo("Reply YES to get our offers.");
      }
    }
    assertThat(states(n)).containsExactly("marketing=PENDING_CONFIRMATION/api");
    inbound(n, "Yes", null);
    assertThat(states(n))
        .containsExactlyInAnyOrder("marketing=OPTED_IN/inbound-sms", "*=OPTED_IN/inbound-sms");
    assertThat(ledger.history(n, 10))
        .extracting(h -> h.get("purpose") + ":" + h.get("status"))
        .contains("marketing:PENDING_CONFIRMATION", "marketing:OPTED_IN");
  }

  @Test
  void aConfirmationAfterTheWindowIsRejectedAndConfirmsNothing() throws Exception {
    String n = number();
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
    requests(past).submit(n, "marketing", "OPTED_IN", null, "alice");
    inbound(n, "YES", null);
    assertThat(states(n))
        .containsExactlyInAnyOrder("marketing=PENDING_CONFIRMATION/api", "*=OPTED_IN/inbound-sms");
    assertThat(ledger.history(n, 10))
        .anySatisfy(
            h -> {
              assertThat(h.get("status")).isEqualTo("REJECTED");
              assertThat((String) h.get("reason")).contains("after its deadline");
            });
  }

  @Test
  void theApiRecordsAnOptOutDirectlyAndRefusesBadInput() throws Exception {
    String n = number();
    ConsentRequests api = requests(Clock.systemUTC());
    assertThat(api.submit(n, "marketing", "OPTED_OUT", "call", "bob").applied()).isTrue();
    assertThat(states(n)).containsExactly("marketing=OPTED_OUT/api");
    assertThat(ledger.history(n, 1).get(0).get("evidence")).isEqualTo("operator bob: call");
    assertThatThrownBy(() -> api.submit("12", "marketing", "OPTED_OUT", null, "bob"))
        .isInstanceOf(ConsentRequests.Invalid.class)
        .hasMessageContaining("phone");
    assertThatThrownBy(() -> api.submit(n, "gossip", "OPTED_OUT", null, "bob"))
        .isInstanceOf(ConsentRequests.Invalid.class)
        .hasMessageContaining("unknown purpose 'gossip'");
    assertThatThrownBy(() -> api.submit(n, "marketing", "MAYBE", null, "bob"))
        .isInstanceOf(ConsentRequests.Invalid.class);
    // an older event arriving later is history, not the state
    ledger.record(
        new ConsentLedger.Event(
            n,
            "marketing",
            "OPTED_IN",
            "crm",
            "Contact 003",
            Instant.now().minusSeconds(3600),
            null));
    assertThat(states(n)).containsExactly("marketing=OPTED_OUT/api");
  }
}
