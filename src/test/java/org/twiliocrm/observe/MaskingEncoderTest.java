package org.twiliocrm.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** What the log encoders write: phone numbers masked, database row details gone, ids intact. */
class MaskingEncoderTest {
  private final LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
  private final Logger logger = context.getLogger("masking-test");

  private LoggingEvent event(String message, Throwable t, Object... args) {
    return new LoggingEvent("x", logger, Level.WARN, message, t, args);
  }

  private String text(LoggingEvent e) {
    MaskingPatternEncoder enc = new MaskingPatternEncoder();
    enc.setContext(context);
    enc.setPattern("%msg%n%ex");
    enc.start();
    return new String(enc.encode(e), StandardCharsets.UTF_8);
  }

  private String json(LoggingEvent e) {
    MaskingJsonEncoder enc = new MaskingJsonEncoder();
    enc.setContext(context);
    enc.start();
    return new String(enc.encode(e), StandardCharsets.UTF_8);
  }

  @Test
  void masksPhoneNumbersInMessagesAndKeepsTheLastFourDigits() {
    LoggingEvent e =
        event("send to {} from {} failed", null, "+14155550101", "whatsapp:+447700900123");
    assertThat(text(e))
        .doesNotContain("4155550101")
        .doesNotContain("447700900123")
        .contains("+*******0101")
        .contains("whatsapp:+********0123");
    assertThat(json(e)).doesNotContain("4155550101").contains("0101");
  }

  @Test
  void masksFormattedNumbersAndBareRunsButNotSidsTimesOrSmallNumbers() {
    String out =
        text(
            event(
                "to +1 (415) 555-0101 or 14155550102; sid SM0123456789abcdef0123456789abcdef,"
                    + " row 12345, at 2026-12-03 02:55:48, replay 1733190000",
                null));
    assertThat(out)
        .doesNotContain("(415) 555-0101")
        .contains("+* (***) ***-0101")
        .contains("*******0102")
        .contains("SM0123456789abcdef0123456789abcdef")
        .contains("row 12345")
        .contains("2026-12-03 02:55:48");
  }

  @Test
  void masksLocalAndNationalFormatsKeepingTheLastFourDigits() {
    String[][] cases = {
      {"call (415) 555-0101 now", "call (***) ***-0101 now"},
      {"call (415)555-0101.", "call (***)***-0101."},
      {"to 415-555-0101, retry", "to ***-***-0101, retry"},
      {"to 415.555.0101", "to ***.***.0101"},
      {"to 415 555 0101 failed", "to *** *** 0101 failed"},
      {"to 1-415-555-0101", "to *-***-***-0101"},
      {"to 1 (415) 555-0101", "to * (***) ***-0101"},
      {"to +44 20 7946 0958", "to +** ** **** 0958"},
      {"to 020 7946 0958", "to *** **** 0958"},
      {"to (020) 7946 0958", "to (***) **** 0958"},
      {"to 07700 900123", "to ***** **0123"},
      {"to 01 42 68 53 00", "to ** ** ** 53 00"},
      {"to 0412-345-678", "to ****-**5-678"},
      {"whatsapp:(415) 555-0101", "whatsapp:(***) ***-0101"},
      {"recipient=415-555-0101)", "recipient=***-***-0101)"},
    };
    for (String[] c : cases) {
      assertThat(text(event(c[0], null))).as(c[0]).isEqualTo(c[1] + "\n");
      assertThat(json(event(c[0], null))).as(c[0]).contains(c[1]);
    }
  }

  @Test
  void leavesNumbersThatAreNoPhoneNumbersAlone() {
    String[] lines = {
      "at 2026-12-03 06:13:10.364 claimed",
      "window 2026-12-03T06:13:10.364Z..2026-12-03T07:13:10Z",
      "on 03.12.2026 06:13 local",
      "waited PT12.345S, then PT0.5S (P1DT2H3M4S)",
      "sid SM0123456789abcdef0123456789abcdef and CA9876543210fedcba9876543210fedcba",
      "event 550e8400-e29b-41d4-a716-446655440000 seen",
      "trace 4bf92f3577b34da6a3ce929d0e0e4736",
      "connect 10.200.30.4:5432 and 192.168.100.200:8080 failed",
      "took 12345 ms for 200000 rows, 3000 ms each",
      "claimed 123 456 rows in 7890 ms",
      "counts 100-200-3000 and 123-456-7890",
      "version 4.17.0, build 2026.12.03.1234",
      "replay id 1733190000123456789",
      "row 12345678, offset 0 12 345",
    };
    for (String l : lines) {
      assertThat(text(event(l, null))).as(l).isEqualTo(l + "\n");
    }
  }

  @Test
  void masksExceptionTextsAndDropsDatabaseDetails() {
    SQLException cause =
        new SQLException(
            "ERROR: duplicate key value violates unique constraint \"consent_pk\"\n"
                + "  Detail: Key (recipient)=(+14155550101) already exists.");
    RuntimeException t = new RuntimeException("write for 14155550199 failed", cause);
    LoggingEvent e = event("write-back failed", t);
    String out = text(e);
    assertThat(out)
        .doesNotContain("4155550101")
        .doesNotContain("4155550199")
        .doesNotContain("Key (recipient)")
        .contains("consent_pk")
        .contains("[detail removed]")
        .contains("at org.twiliocrm.observe.MaskingEncoderTest");
    assertThat(json(e))
        .doesNotContain("4155550101")
        .doesNotContain("4155550199")
        .contains("consent_pk");
  }

  @Test
  void theJsonLineCarriesTheMdcIdsWithRequestBorneOnesMasked() {
    org.slf4j.MDC.put("outboxId", "123456789012");
    org.slf4j.MDC.put("sid", "SM0123456789abcdef0123456789abcdef");
    try {
      String out = json(event("outbox send: SENT to +14155550101", null));
      assertThat(out)
          .contains("\"outboxId\":\"123456789012\"")
          .contains("\"sid\":\"SM0123456789abcdef0123456789abcdef\"")
          .doesNotContain("4155550101")
          .endsWith("\n");
      assertThat(out.trim()).doesNotContain("\n");
      // A SID comes from a request (an unsigned webhook's MessageSid may be anything): one that is
      // a phone number is masked in the JSON line's mdc as in the text line's ids.
      org.slf4j.MDC.put("sid", "+14155550199");
      String hook = json(event("webhook rejected", null));
      assertThat(hook).contains("\"sid\":\"+*******0199\"").doesNotContain("4155550199");
    } finally {
      org.slf4j.MDC.clear();
    }
  }

  @Test
  void theTextLineNamesTheIdsItHasAndOnlyThose() {
    MaskingPatternEncoder enc = new MaskingPatternEncoder();
    enc.setContext(context);
    java.util.Map<String, String> rules = new java.util.HashMap<>();
    rules.put("ids", MdcIdsConverter.class.getName());
    context.putObject(ch.qos.logback.core.CoreConstants.PATTERN_RULE_REGISTRY, rules);
    enc.setPattern("%logger%ids - %msg%n");
    enc.start();
    try {
      org.slf4j.MDC.put("outboxId", "123456789012");
      org.slf4j.MDC.put("traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
      org.slf4j.MDC.put("camel.routeId", "outbox-send");
      String sent = new String(enc.encode(event("sent", null)), StandardCharsets.UTF_8);
      assertThat(sent)
          .isEqualTo(
              "masking-test [outboxId=123456789012 traceId=4bf92f3577b34da6a3ce929d0e0e4736]"
                  + " - sent\n");
      org.slf4j.MDC.clear();
      // A SID comes from a request: one that is a phone number is masked like the message.
      org.slf4j.MDC.put("sid", "+14155550101");
      org.slf4j.MDC.put("crmRecordId", "003000000000001AAA");
      assertThat(new String(enc.encode(event("hook", null)), StandardCharsets.UTF_8))
          .isEqualTo("masking-test [sid=+*******0101 crmRecordId=003000000000001AAA] - hook\n");
      org.slf4j.MDC.clear();
      assertThat(new String(enc.encode(event("start", null)), StandardCharsets.UTF_8))
          .isEqualTo("masking-test - start\n");
    } finally {
      org.slf4j.MDC.clear();
      context.removeObject(ch.qos.logback.core.CoreConstants.PATTERN_RULE_REGISTRY);
    }
  }

  @Test
  void anEventWithNothingToMaskIsWrittenAsIs() {
    LoggingEvent e = event("outbox: {} rows claimed", null, 200);
    assertThat(MaskedEvent.of(e)).isSameAs(e);
  }

  /**
   * The encoder's cost per written line, printed for the report and docs (no assertion: timing on a
   * shared 2-core machine is noise). Three kinds of line: most log lines (no phone number, no nine
   * digits), lines with a number to mask, and lines with long digit runs that are not phone numbers
   * (the cheap pre-check lets them through to the patterns).
   */
  @Test
  void printsTheEncodersCostPerLine() {
    MaskingPatternEncoder enc = new MaskingPatternEncoder();
    enc.setContext(context);
    enc.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n");
    enc.start();
    String[][] kinds = {
      {"plain", "outbox: 200 rows claimed in 12 ms, 3 senders, next poll in 500 ms"},
      {
        "phone",
        "send to +14155550101 failed: 21610, recipient (415) 555-0102 opted out, from 415.555.0103"
      },
      {
        "digits",
        "replay 1733190000123 at 2026-12-03 06:13:10.364 id 550e8400-e29b-41d4-a716-446655440000"
      }
    };
    for (String[] k : kinds) {
      LoggingEvent e = event(k[1], null);
      long sink = 0;
      for (int i = 0; i < 20_000; i++) {
        sink += enc.encode(e).length;
      }
      int n = 50_000;
      // CPU time of this thread as well as wall time: on a loaded machine the wall time mostly
      // measures waiting for a core.
      java.lang.management.ThreadMXBean threads =
          java.lang.management.ManagementFactory.getThreadMXBean();
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        sink += enc.encode(e).length;
      }
      long ns = (System.nanoTime() - t0) / n;
      long cpu = (threads.getCurrentThreadCpuTime() - c0) / n;
      System.out.println(
          "MaskingPatternEncoder "
              + k[0]
              + ": "
              + cpu
              + " ns/line CPU, "
              + ns
              + " ns/line wall ("
              + sink
              + ")");
    }
  }
}
