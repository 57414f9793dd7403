package org.twiliocrm.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.twiliocrm.testsupport.TestOperators.ADMIN_USER;
import static org.twiliocrm.testsupport.TestOperators.password;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.twiliocrm.testsupport.FirefoxBidi;

/**
 * The operator console's JavaScript modules in Firefox: Debian's headless Firefox ESR driven over
 * WebDriver BiDi (FirefoxBidi, no geckodriver), against the connector in sandbox mode as in
 * ConsoleBrowserIT. Signs in through the sign-in form, then opens each page in a fresh document and
 * checks that the module rendered the page's content from data the test made, and that no
 * JavaScript error was reported (BiDi log entries and a window error listener installed before the
 * page's own scripts). The interactions themselves are covered in Chromium by ConsoleBrowserIT.
 *
 * <p>Skipped, with the reason, only when no /usr/bin/firefox-esr is installed; .ci/run installs it.
 * Firefox's output goes to target/firefox.log.
 */
class ConsoleFirefoxIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Runs before the page's scripts in each document: records uncaught errors and rejections. */
  private static final String ERROR_TRAP =
      "() => { window.__jsErrors = [];"
          + " window.addEventListener('error', e => window.__jsErrors.push('error: ' +"
          + " (e.message || (e.target && e.target.src) || e.type)), true);"
          + " window.addEventListener('unhandledrejection', e => window.__jsErrors.push("
          + "'unhandled rejection: ' + e.reason)); }";

  private static ConsoleConnector connector;
  private static FirefoxBidi firefox;
  private int errorsBefore;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(FirefoxBidi.FIREFOX),
        "Firefox tests skipped: no /usr/bin/firefox-esr (install it with apt-get install"
            + " firefox-esr; .ci/run does)");
    connector = ConsoleConnector.start("it_console_firefox");
    firefox = FirefoxBidi.start(Path.of("target", "firefox.log"));
    firefox.addPreloadScript(ERROR_TRAP);
    signIn();
  }

  @AfterAll
  static void stop() {
    if (firefox != null) {
      firefox.close();
    }
    if (connector != null) {
      connector.close();
    }
  }

  @BeforeEach
  void countErrors() {
    errorsBefore = firefox.jsErrors().size();
  }

  @AfterEach
  void noJavaScriptErrors() throws Exception {
    assertThat(String.valueOf(firefox.evaluate("JSON.stringify(window.__jsErrors)")))
        .as("errors caught in the page")
        .isEqualTo("[]");
    assertThat(firefox.jsErrors().subList(errorsBefore, firefox.jsErrors().size()))
        .as("JavaScript errors Firefox logged")
        .isEmpty();
  }

  // ---- helpers ----

  /** The real sign-in form: fields filled and the submit button clicked by the page's script. */
  static void signIn() throws Exception {
    firefox.navigate(connector.url("/console/"));
    awaitTrue("!!document.getElementById('signin-submit')");
    firefox.evaluate(
        "document.getElementById('signin-name').value = "
            + js(ADMIN_USER)
            + "; document.getElementById('signin-password').value = "
            + js(password(ADMIN_USER))
            + "; document.getElementById('signin-submit').click(); true");
    awaitText("#who-name", ADMIN_USER);
  }

  /** A fresh document for each page, so the module is loaded and run again. */
  static void open(String hash) throws Exception {
    firefox.navigate("about:blank");
    firefox.navigate(connector.url("/console/" + hash));
  }

  static String text(String selector) throws Exception {
    return String.valueOf(
        firefox.evaluate("document.querySelector(" + js(selector) + ")?.textContent ?? ''"));
  }

  static void awaitTrue(String expression) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> Boolean.TRUE.equals(firefox.evaluate("!!(" + expression + ")")));
  }

  static void awaitText(String selector, String expected) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(text(selector)).contains(expected));
  }

  /** A JavaScript string literal. */
  static String js(String s) {
    StringBuilder b = new StringBuilder("'");
    for (char c : s.toCharArray()) {
      if (c == '\'' || c == '\\' || c < 0x20 || c == '<' || c > 0x7e) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('\'').toString();
  }

  static void awaitStatus(long id, String status) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                status.equals(
                    connector.db.string("SELECT status FROM outbox_message WHERE id = ?", id)));
  }

  static void awaitDelivered(long id) {
    awaitStatus(id, "SENT");
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM webhook_event w JOIN outbox_message o ON"
                            + " o.twilio_sid = w.sid WHERE o.id = ? AND w.status = 'delivered'"
                            + " AND w.state = 'DONE'",
                        id)
                    == 1);
  }

  // ---- tests ----

  @Test
  void messagesSearchAndAMessagesTimeline() throws Exception {
    String to = "+14155550401";
    long id = connector.insert("ff-send-1", to, "Firefox order shipped", null, null);
    awaitDelivered(id);

    open("#/messages?phone=%2B14155550401");
    awaitTrue("document.querySelector(\"#results a[href='#/messages/" + id + "']\")");
    assertThat(text("#results")).contains("SENT");

    open("#/messages/" + id);
    awaitText("#message-body", "Firefox order shipped");
    assertThat(text("main")).contains("Message " + id).contains(to);
    awaitText("#events", "delivered");
  }

  @Test
  void dashboard() throws Exception {
    long id = connector.insert("ff-dash-1", "+14155550402", "Firefox dashboard", null, null);
    awaitDelivered(id);

    open("#/dashboard");
    awaitTrue("document.querySelector(\"#chart figure[data-channel='sms'] .plot canvas\")");
    awaitTrue(
        "JSON.parse(document.querySelector(\"#chart figure[data-channel='sms'] .plot\")"
            + ".dataset.series).delivered.some((n) => n > 0)");
    assertThat(text("#chart figure[data-channel='sms'] figcaption"))
        .containsPattern("[1-9][0-9]* delivered");
    awaitText("#backlog", "Outbox backlog");
  }

  @Test
  void approvals() throws Exception {
    connector.insertCampaign("ff-camp", 4, "+14155550403", "someone-else");
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM outbox_message WHERE campaign = 'ff-camp' AND"
                            + " status = 'HELD'")
                    == 4);
    long requestId =
        Long.parseLong(
            connector.db.string("SELECT id FROM approval_request WHERE campaign = 'ff-camp'"));

    open("#/approvals");
    awaitText("[data-approval='" + requestId + "']", "Winter sale ff-camp");
    awaitTrue("document.querySelector(\"[data-approval='" + requestId + "'] button.approve\")");
  }

  @Test
  void templates() throws Exception {
    String approved = "cccccccccccc00000000000000000000000000000000000000000000000000c1";
    String pending = "dddddddddddd00000000000000000000000000000000000000000000000000d2";
    connector.db.exec(
        "INSERT INTO template_version (template_name, version, purpose, content, source, state,"
            + " decided_by) VALUES ('console-reminder', ?, 'transactional', ?, 'test',"
            + " 'APPROVED', 'someone')",
        approved,
        ConsoleBrowserIT.template("your visit is on {{date}}."));
    connector.db.exec(
        "INSERT INTO template_version (template_name, version, purpose, content, source, state)"
            + " VALUES ('console-reminder', ?, 'transactional', ?, 'test', 'PENDING_APPROVAL')",
        pending,
        ConsoleBrowserIT.template("your visit moved to {{date}}."));

    open("#/templates");
    awaitTrue("document.getElementById('diff-dddddddddddd')");
    assertThat(text("[data-template='console-reminder']"))
        .contains("cccccccccccc")
        .contains("pending approval");
    assertThat(text("#diff-dddddddddddd ins")).contains("your visit moved to {{date}}.");
  }

  @Test
  void consent() throws Exception {
    open("#/consent?phone=%2B14155550404");
    awaitText("#consent-none", "No consent recorded");
    awaitTrue("document.getElementById('opt-out-form')");
  }

  @Test
  void failed() throws Exception {
    connector.db.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body, status,"
            + " reason_code, reason, attempts) VALUES ('ff-failed-1', 'sms', '+14155550405', ?,"
            + " 'Failed before', 'FAILED', 'RETRIES_EXHAUSTED', 'made up by the test', 5)",
        ConsoleConnector.FROM);

    open("#/failed?group=1&reasonCode=RETRIES_EXHAUSTED");
    awaitText("#failed-groups", "RETRIES_EXHAUSTED");
    awaitText("#failed-rows", "0405");
    awaitTrue("document.getElementById('retry-selected')");
  }

  @Test
  void senders() throws Exception {
    open("#/senders");
    awaitTrue("document.querySelector('#senders-table tbody tr')");
    assertThat(text("#senders-table thead"))
        .contains("SENDER")
        .contains("A2P 10DLC")
        .contains("INBOUND");
    awaitTrue("document.getElementById('senders-refresh')");
  }

  @Test
  void sandboxPhone() throws Exception {
    long id = connector.insert("ff-phone-1", "+14155550406", "Hello Firefox phone", null, null);
    awaitDelivered(id);

    open("#/phone?handset=%2B14155550406");
    awaitText("#phone-inbox", "Hello Firefox phone");
    awaitTrue("document.getElementById('phone-reply')");
    awaitTrue("document.getElementById('live')?.dataset.state === 'on'");
  }
}
