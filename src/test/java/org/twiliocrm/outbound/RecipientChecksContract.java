package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.ConsentLedger;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The recipient checks (governance/recipients.yaml) in the shipped outbox route, over a real
 * database and the Twilio sandbox over HTTP: consent by purpose (BLOCKED NO_OPT_IN / OPTED_OUT,
 * latest event wins), quiet hours by the recipient's local time on an injected clock (HELD
 * QUIET_HOURS, released when the window opens), frequency caps (held until allowed, or FAILED), geo
 * permissions (FAILED GEO_NOT_ALLOWED), OTP limits (FAILED OTP_RATE_LIMITED, counted).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RecipientChecksContract {
  abstract TestDatabase.Kind kind();

  static final String FROM = "+15005550006";
  static final AtomicInteger NEXT = new AtomicInteger(100);
  static final Duration WAIT = Duration.ofSeconds(30);

  static final String POLICY =
      """
      default-purpose: transactional
      purposes:
        transactional:
          consent: { default: no-opt-out, whatsapp: opt-in }
        marketing:
          consent: opt-in
          quiet-hours:
            - { from: "21:00", to: "08:00" }
        otp:
          consent: no-opt-out
        reminder:
          frequency-cap: { max: 2, window: 1h, over: fail }
        nudge:
          frequency-cap: { max: 1, window: 3s, over: hold }
      geo-permissions:
        sms: [US, DE]
      otp-limits:
        purposes: [otp]
        per-number: { max: 2, window: 1h }
        per-prefix: { digits: 9, max: 3, window: 1h }
      """;

  TestDatabase database;
  SandboxControl sandbox;
  OutboxNode node;
  Rows rows;
  Path policyFile;

  @BeforeAll
  void start() throws Exception {
    sandbox = new SandboxControl(Map.of());
    policyFile = Files.createTempFile("recipients", ".yaml");
    Files.writeString(policyFile, POLICY, StandardCharsets.UTF_8);
    database = TestDatabase.of(kind(), "recipient_checks");
    ConnectorConfig.Db db = database.config(kind() == TestDatabase.Kind.POSTGRES ? 30 : 20);
    Map<String, String> overrides = new HashMap<>();
    overrides.put("outbox.poll-interval", "200ms");
    overrides.put("outbox.instance-id", "recipients-a");
    overrides.put("governance.recipients.location", policyFile.toString());
    node = OutboxNode.start(db, sandbox.baseUrl(), overrides);
    rows = new Rows(node.db.dataSource());
  }

  @AfterAll
  void stop() throws Exception {
    node.close();
    sandbox.close();
    database.close();
    Files.deleteIfExists(policyFile);
  }

  @BeforeEach
  void realTime() {
    gate().clock(Clock.systemUTC());
  }

  RecipientGate gate() {
    return node.ctx.getRegistry().lookupByNameAndType("recipientGate", RecipientGate.class);
  }

  ConsentLedger ledger() {
    return node.ctx.getRegistry().lookupByNameAndType("consentLedger", ConsentLedger.class);
  }

  static String us() {
    return "+1415557" + String.format("%04d", NEXT.incrementAndGet());
  }

  long send(String key, String to, String purpose) {
    return purpose == null
        ? rows.insert(key, "channel", "sms", "recipient", to, "sender", FROM, "body", "hello")
        : rows.insert(
            key,
            "channel",
            "sms",
            "recipient",
            to,
            "sender",
            FROM,
            "body",
            "hello",
            "purpose",
            purpose);
  }

  void awaitStatus(long id, String status) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> assertThat(rows.status(id)).as(() -> "" + rows.row(id)).isEqualTo(status));
  }

  void optIn(String to, String purpose, Instant at, String status, String source) throws Exception {
    ledger().record(new ConsentLedger.Event(to, purpose, status, source, "test", at, null));
  }

  /** Long enough for several claim passes (poll interval 200 ms) to have seen a row. */
  void severalClaimPasses() {
    long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    await().atMost(Duration.ofSeconds(5)).until(() -> System.nanoTime() > until);
  }

  /** 20:00Z: daytime in every US zone (15:00 in New York, 10:00 in Honolulu). */
  void usDaytime() {
    gate().clock(Clock.fixed(Instant.parse("2026-12-02T20:00:00Z"), ZoneOffset.UTC));
  }

  static Instant instant(Object v) {
    return v instanceof Timestamp t
        ? t.toInstant()
        : v instanceof java.time.OffsetDateTime o ? o.toInstant() : (Instant) v;
  }

  @Test
  void marketingWithoutAnOptInIsBlockedAndSentOnceOneIsRecorded() throws Exception {
    usDaytime();
    String to = us();
    long blocked = send("mkt-1-" + to, to, "marketing");
    awaitStatus(blocked, "BLOCKED");
    assertThat(rows.row(blocked)).containsEntry("reason_code", "NO_OPT_IN");
    // a transactional send to the same number needs no opt-in
    long tx = send("tx-1-" + to, to, null);
    awaitStatus(tx, "SENT");

    optIn(to, "marketing", Instant.now(), ConsentLedger.OPTED_IN, ConsentLedger.SOURCE_API);
    long ok = send("mkt-2-" + to, to, "marketing");
    awaitStatus(ok, "SENT");
    assertThat(sandbox.messagesTo(to)).hasSize(2);
    // the decision is audited against the row
    assertThat(
            node.ctx
                .getRegistry()
                .lookupByNameAndType("governanceAudit", Audit.class)
                .query(Audit.Filter.all().subject("outbox_message", String.valueOf(blocked))))
        .singleElement()
        .satisfies(e -> assertThat(e.after()).isEqualTo("BLOCKED NO_OPT_IN"));
    assertThat(
            gate()
                .meters()
                .count(
                    "twiliocrm.governance.recipient.decisions",
                    "check",
                    "consent",
                    "code",
                    "NO_OPT_IN"))
        .isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void aWhatsAppSendNeedsAnOptInEvenWhenTransactional() throws Exception {
    String to = us();
    long id =
        rows.insert(
            "wa-" + to, "channel", "whatsapp", "recipient", to, "sender", FROM, "body", "hi");
    awaitStatus(id, "BLOCKED");
    assertThat(rows.row(id)).containsEntry("reason_code", "NO_OPT_IN");
  }

  @Test
  void anOptOutOfOnePurposeBlocksItAndTheLatestEventWins() throws Exception {
    String to = us();
    Instant t0 = Instant.now().minusSeconds(60);
    optIn(to, "marketing", t0, ConsentLedger.OPTED_IN, ConsentLedger.SOURCE_API);
    optIn(to, "marketing", t0.plusSeconds(10), ConsentLedger.OPTED_OUT, ConsentLedger.SOURCE_CRM);
    // an older opt-in arriving late is kept in the history but changes nothing
    optIn(to, "marketing", t0.plusSeconds(5), ConsentLedger.OPTED_IN, ConsentLedger.SOURCE_API);
    long id = send("out-" + to, to, "marketing");
    awaitStatus(id, "BLOCKED");
    assertThat(rows.row(id))
        .containsEntry("reason_code", "OPTED_OUT")
        .satisfies(r -> assertThat((String) r.get("reason")).contains("source crm"));
    assertThat(ledger().history(to, 10))
        .extracting(h -> h.get("status") + "/" + h.get("applied"))
        .containsExactly("OPTED_OUT/true", "OPTED_IN/false", "OPTED_IN/true");
    // other purposes are untouched by a marketing opt-out
    long tx = send("out-tx-" + to, to, null);
    awaitStatus(tx, "SENT");
    // an opt-out of every purpose blocks transactional too
    optIn(to, "*", Instant.now(), ConsentLedger.OPTED_OUT, ConsentLedger.SOURCE_CRM);
    long tx2 = send("out-tx2-" + to, to, null);
    awaitStatus(tx2, "BLOCKED");
    assertThat((String) rows.row(tx2).get("reason")).contains("all purposes");
  }

  @Test
  void threeInTheMorningLocalIsHeldUntilEightThereAndOtpIsExempt() throws Exception {
    String berlin = "+4915112" + String.format("%06d", NEXT.incrementAndGet());
    optIn(berlin, "marketing", Instant.now(), ConsentLedger.OPTED_IN, ConsentLedger.SOURCE_API);
    // 02:00Z in December is 03:00 in Berlin
    gate().clock(Clock.fixed(Instant.parse("2026-12-02T02:00:00Z"), ZoneOffset.UTC));
    long id = send("quiet-" + berlin, berlin, "marketing");
    awaitStatus(id, "HELD");
    Map<String, Object> row = rows.row(id);
    assertThat(row).containsEntry("reason_code", "QUIET_HOURS");
    assertThat(instant(row.get("send_after"))).isEqualTo(Instant.parse("2026-12-02T07:00:00Z"));
    long otp = send("quiet-otp-" + berlin, berlin, "otp");
    awaitStatus(otp, "SENT");
    severalClaimPasses();
    assertThat(rows.status(id)).isEqualTo("HELD");
    assertThat(sandbox.messagesTo(berlin)).hasSize(1);

    // 08:00 in Berlin: the next release tick (one statement for all due rows) frees it
    gate().clock(Clock.fixed(Instant.parse("2026-12-02T07:00:00Z"), ZoneOffset.UTC));
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo(berlin)).hasSize(2);
  }

  @Test
  void overTheCapARowFailsOrWaitsUntilAllowedAsConfigured() {
    String to = us();
    long a = send("cap-a-" + to, to, "reminder");
    awaitStatus(a, "SENT");
    long b = send("cap-b-" + to, to, "reminder");
    awaitStatus(b, "SENT");
    long c = send("cap-c-" + to, to, "reminder");
    awaitStatus(c, "FAILED");
    assertThat(rows.row(c)).containsEntry("reason_code", "FREQUENCY_CAP");

    String other = us();
    long n1 = send("nudge-1-" + other, other, "nudge");
    awaitStatus(n1, "SENT");
    long n2 = send("nudge-2-" + other, other, "nudge");
    awaitStatus(n2, "HELD");
    assertThat(rows.row(n2)).containsEntry("reason_code", "FREQUENCY_CAP");
    assertThat(rows.row(n2).get("send_after")).isNotNull();
    // once the first send leaves the 3 s window, the held row is released and sent
    awaitStatus(n2, "SENT");
    assertThat(sandbox.messagesTo(other)).hasSize(2);
  }

  @Test
  void aCountryOutsideTheChannelsAllowListFails() {
    long id = send("geo-gb", "+4474001" + String.format("%05d", NEXT.incrementAndGet()), null);
    awaitStatus(id, "FAILED");
    assertThat(rows.row(id))
        .containsEntry("reason_code", "GEO_NOT_ALLOWED")
        .satisfies(r -> assertThat((String) r.get("reason")).contains("GB"));
  }

  @Test
  void otpSendsBeyondTheNumberAndPrefixLimitsFailAndAreCounted() {
    double before = gate().meters().count("twiliocrm.governance.otp.rate.limited");
    // per number: 2 an hour
    String to = "+12125550" + (100 + NEXT.incrementAndGet() % 800);
    List<Long> ids = List.of(send("otp-1-" + to, to, "otp"), send("otp-2-" + to, to, "otp"));
    ids.forEach(i -> awaitStatus(i, "SENT"));
    long third = send("otp-3-" + to, to, "otp");
    awaitStatus(third, "FAILED");
    assertThat(rows.row(third)).containsEntry("reason_code", "OTP_RATE_LIMITED");
    assertThat(gate().meters().count("twiliocrm.governance.otp.rate.limited", "limit", "number"))
        .isGreaterThanOrEqualTo(1.0);
    // per prefix (9 digits): the range +1212555xx... already has 2 sends; a 3rd number may send
    // once more, a 4th not
    String prefix = to.substring(0, 10);
    long p1 = send("otp-p1-" + to, prefix + "77", "otp");
    awaitStatus(p1, "SENT");
    long p2 = send("otp-p2-" + to, prefix + "88", "otp");
    awaitStatus(p2, "FAILED");
    assertThat(rows.row(p2)).containsEntry("reason_code", "OTP_RATE_LIMITED");
    assertThat((String) rows.row(p2).get("reason")).contains("starting " + to.substring(0, 10));
    assertThat(gate().meters().count("twiliocrm.governance.otp.rate.limited"))
        .isEqualTo(before + 2);
  }

  @Test
  void aRowNamingAnUndeclaredPurposeFails() {
    String to = us();
    long id = send("purpose-" + to, to, "gossip");
    awaitStatus(id, "FAILED");
    assertThat(rows.row(id)).containsEntry("reason_code", "UNKNOWN_PURPOSE");
  }
}
