package org.twiliocrm.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.twiliocrm.testsupport.TestOperators.ADMIN_USER;
import static org.twiliocrm.testsupport.TestOperators.APPROVER_USER;
import static org.twiliocrm.testsupport.TestOperators.VIEWER_USER;
import static org.twiliocrm.testsupport.TestOperators.password;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real browser: Debian's headless Chromium driven by Selenium through
 * chromedriver, against the connector started in sandbox mode (PostgreSQL, the Twilio and
 * Salesforce sandboxes, the shipped routes). Each page is also checked with axe-core for serious or
 * critical accessibility violations. A failing test leaves a screenshot and the page's HTML in
 * target/browser-failures/.
 *
 * <p>Skipped, with the reason, only when no Chromium or chromedriver is installed; .ci/run installs
 * both.
 */
class ConsoleBrowserIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static ConsoleConnector connector;
  private static WebDriver browser;
  private static String axe;

  @RegisterExtension
  static final TestWatcher SCREENSHOTS =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
          if (browser == null) {
            return;
          }
          try {
            Path dir = Path.of("target", "browser-failures");
            Files.createDirectories(dir);
            String name = context.getRequiredTestMethod().getName();
            Files.write(
                dir.resolve(name + ".png"),
                ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            Files.writeString(dir.resolve(name + ".html"), browser.getPageSource());
          } catch (IOException | RuntimeException e) {
            System.err.println("could not save the failure screenshot: " + e);
          }
        }
      };

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Browser tests skipped: no /usr/bin/chromium or /usr/bin/chromedriver (install them with"
            + " apt-get install chromium chromium-driver; .ci/run does)");
    try (InputStream in =
        ConsoleBrowserIT.class.getClassLoader().getResourceAsStream("axe.min.js")) {
      axe = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    connector = ConsoleConnector.start("it_console_browser");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (connector != null) {
      connector.close();
    }
  }

  @BeforeEach
  void signedOut() {
    browser.manage().deleteAllCookies();
  }

  // ---- helpers ----

  static WebDriverWait waiting() {
    return new WebDriverWait(browser, WAIT);
  }

  static void open(String hash) {
    browser.get(connector.url("/console/" + hash));
  }

  static void signIn(String user) {
    browser.manage().deleteAllCookies();
    open("");
    WebElement name =
        waiting().until(ExpectedConditions.elementToBeClickable(By.id("signin-name")));
    name.sendKeys(user);
    browser.findElement(By.id("signin-password")).sendKeys(password(user));
    browser.findElement(By.id("signin-submit")).click();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who-name"), user));
  }

  static void go(String hash, By ready) {
    browser.get(connector.url("/console/" + hash));
    waiting().until(ExpectedConditions.presenceOfElementLocated(ready));
  }

  /** axe-core on the current page: no serious or critical violations. */
  @SuppressWarnings("unchecked")
  static void assertAccessible(String page) {
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript(axe);
    Object result =
        js.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']})"
                + ".then(r => done(r.violations.filter(v => v.impact === 'serious' ||"
                + " v.impact === 'critical').map(v => v.id + ': ' + v.help + ' ' +"
                + " v.nodes.map(n => n.target.join(' ')).join(', '))))"
                + ".catch(e => done(['axe failed: ' + e]));");
    assertThat((List<String>) result).as("serious accessibility violations on " + page).isEmpty();
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
  void signInShowsTheUserAndAWrongPasswordShowsAnError() {
    open("");
    waiting().until(ExpectedConditions.elementToBeClickable(By.id("signin-name")));
    assertAccessible("sign-in");
    browser.findElement(By.id("signin-name")).sendKeys(ADMIN_USER);
    browser.findElement(By.id("signin-password")).sendKeys("not-the-password");
    browser.findElement(By.id("signin-submit")).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("signin-error"), "wrong user name or password"));
    assertThat(browser.manage().getCookieNamed("tcop_console")).isNull();

    signIn(ADMIN_USER);
    assertThat(browser.findElement(By.id("who-name")).getText()).isEqualTo("carol (admin)");
    // The session cookie is HttpOnly: the page's scripts cannot read it.
    assertThat(((JavascriptExecutor) browser).executeScript("return document.cookie"))
        .isEqualTo("");
    assertThat(browser.manage().getCookieNamed("tcop_console").isHttpOnly()).isTrue();
    assertThat(browser.manage().getCookieNamed("tcop_console").getSameSite()).isEqualTo("Strict");

    browser.findElement(By.id("sign-out")).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("signin-error"), "Signed out"));
    open("#/messages");
    waiting().until(ExpectedConditions.elementToBeClickable(By.id("signin-name")));
  }

  @Test
  void aViewerSeesNoActionButtonsAndMaskedNumbersAndTheApiRefusesTheAction() throws Exception {
    String to = "+14155550301";
    connector.insertCampaign("viewer-camp", 4, to, "someone-else");
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM outbox_message WHERE campaign = 'viewer-camp' AND"
                            + " status = 'HELD'")
                    == 4);
    long requestId =
        Long.parseLong(
            connector.db.string("SELECT id FROM approval_request WHERE campaign = 'viewer-camp'"));

    signIn(VIEWER_USER);
    go("#/approvals", By.cssSelector("[data-approval='" + requestId + "']"));
    WebElement card = browser.findElement(By.cssSelector("[data-approval='" + requestId + "']"));
    assertThat(card.getText()).contains("Winter sale viewer-camp");
    assertThat(browser.findElements(By.tagName("button")))
        .extracting(WebElement::getText)
        .containsExactly("Sign out");
    assertAccessible("approvals (viewer)");

    // The page's own session, CSRF token included: the API refuses a viewer all the same.
    @SuppressWarnings("unchecked")
    Map<String, Object> refused =
        (Map<String, Object>)
            ((JavascriptExecutor) browser)
                .executeAsyncScript(
                    "const done = arguments[arguments.length - 1];"
                        + "(async () => {"
                        + "const s = await (await fetch('/console/session')).json();"
                        + "const r = await fetch('/api/approvals/"
                        + requestId
                        + "/approve', {method: 'POST', headers: {'Content-Type':"
                        + " 'application/json', 'X-CSRF-Token': s.csrf}, body: '{}'});"
                        + "done({status: r.status, body: await r.json()});"
                        + "})();");
    assertThat(((Number) refused.get("status")).intValue()).isEqualTo(403);
    assertThat(connector.db.string("SELECT status FROM approval_request WHERE id = ?", requestId))
        .isEqualTo("PENDING");

    go(
        "#/messages?phone=" + java.net.URLEncoder.encode(to, StandardCharsets.UTF_8),
        By.cssSelector("#results table"));
    String results = browser.findElement(By.id("results")).getText();
    assertThat(results).contains("+*******0301").doesNotContain("4155550301");
  }

  @Test
  void aMessagesTimelineAfterARealSendThroughTheSandbox() {
    String to = "+14155550302";
    long id = connector.insert("browser-send-1", to, "Your order has shipped", null, null);
    awaitDelivered(id);

    signIn(ADMIN_USER);
    go("#/messages", By.id("search-form"));
    assertAccessible("messages");
    browser.findElement(By.id("f-phone")).sendKeys(to);
    browser.findElement(By.id("search-submit")).click();
    By link = By.cssSelector("#results a[href='#/messages/" + id + "']");
    waiting().until(ExpectedConditions.elementToBeClickable(link)).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("message-body")));
    assertThat(browser.findElement(By.id("message-body")).getText())
        .isEqualTo("Your order has shipped");
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("Message " + id)
        .contains(to)
        .contains("SENT");
    List<String> statuses = new ArrayList<>();
    for (WebElement row : browser.findElements(By.cssSelector("#events tbody tr"))) {
      statuses.add(row.findElements(By.tagName("td")).get(2).getText());
    }
    assertThat(statuses).contains("delivered");
    assertThat(browser.findElement(By.id("fallback")).getText()).isEqualTo("No channel fallback.");
    // A part the page leaves out is not shown as the text "null".
    assertThat(browser.findElement(By.tagName("main")).getText()).doesNotContain("null");
    assertAccessible("message timeline");

    // The write-back reaches the Salesforce sandbox a moment later; reloading shows it.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              browser.navigate().refresh();
              waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("crm")));
              assertThat(browser.findElement(By.id("crm")).getText()).contains("in the CRM");
            });
  }

  @Test
  void aBodyHoldingScriptShowsAsText() {
    String body =
        "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\"> & <b>bold</b>";
    long id = connector.insert("browser-script-1", "+14155550303", body, null, null);
    awaitStatus(id, "SENT");

    signIn(ADMIN_USER);
    go("#/messages/" + id, By.id("message-body"));
    assertThat(browser.findElement(By.id("message-body")).getText()).isEqualTo(body);
    assertThat(browser.findElements(By.cssSelector("main img, main b, main script"))).isEmpty();
    assertThat(((JavascriptExecutor) browser).executeScript("return window.pwned === undefined"))
        .isEqualTo(true);
  }

  @Test
  void anUnknownMessageIsA404Page() {
    signIn(VIEWER_USER);
    go("#/messages/987654321", By.id("not-found"));
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("404")
        .contains("no message 987654321")
        .doesNotContain("Exception");
    assertAccessible("404");
  }

  @Test
  void aHeldCampaignIsApprovedByASecondUserNotByItsRequester() {
    String to = "+14155550304";
    try {
      connector.insertCampaign("spring-camp", 4, to, APPROVER_USER);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM outbox_message WHERE campaign = 'spring-camp' AND"
                            + " status = 'HELD'")
                    == 4);
    long requestId =
        Long.parseLong(
            connector.db.string("SELECT id FROM approval_request WHERE campaign = 'spring-camp'"));
    By card = By.cssSelector("[data-approval='" + requestId + "']");

    // bob asked for the campaign: four eyes keeps him from approving it.
    signIn(APPROVER_USER);
    go("#/approvals", card);
    WebElement bobs = browser.findElement(card);
    bobs.findElement(By.tagName("textarea")).sendKeys("my own campaign");
    bobs.findElement(By.cssSelector("button.approve")).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("[data-approval='" + requestId + "'] .result"), "caused this hold"));
    assertThat(connector.db.string("SELECT status FROM approval_request WHERE id = ?", requestId))
        .isEqualTo("PENDING");

    // carol, a second user, approves it with a comment; the rows are released and sent.
    signIn(ADMIN_USER);
    go("#/approvals", card);
    assertAccessible("approvals (approver)");
    WebElement carols = browser.findElement(card);
    carols.findElement(By.tagName("textarea")).sendKeys("Checked the sample <ok>");
    carols.findElement(By.cssSelector("button.approve")).click();
    waiting()
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "approved"));
    waiting().until(ExpectedConditions.invisibilityOfElementLocated(card));
    assertThat(
            connector.db.rows(
                "SELECT status, decided_by, decision_comment FROM approval_request WHERE id = ?",
                requestId))
        .containsExactly(List.of("APPROVED", ADMIN_USER, "Checked the sample <ok>"));
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM outbox_message WHERE campaign = 'spring-camp' AND"
                            + " status = 'SENT'")
                    == 4);

    go("#/approvals?status=APPROVED", card);
    assertThat(browser.findElement(card).getText())
        .contains("Decided by")
        .contains(ADMIN_USER)
        .contains("Checked the sample <ok>");
    assertThat(browser.findElement(card).findElements(By.tagName("button"))).isEmpty();
  }

  @Test
  void theDashboardChartsOutcomesAndNamesErrorCodes() {
    long delivered =
        connector.insert("browser-dash-1", "+14155550310", "Dashboard one", null, null);
    // The Twilio sandbox reports this number undelivered with 30003 (TwilioSandboxSettings).
    long undelivered =
        connector.insert("browser-dash-2", "+15005553003", "Dashboard two", null, null);
    awaitDelivered(delivered);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                "undelivered"
                    .equals(
                        connector.db.string(
                            "SELECT twilio_status FROM outbox_message WHERE id = ?", undelivered)));

    signIn(VIEWER_USER);
    go("#/dashboard", By.cssSelector("#chart figure[data-channel='sms'] .plot canvas"));
    WebElement chart = browser.findElement(By.cssSelector("#chart figure[data-channel='sms']"));
    assertThat(chart.findElement(By.tagName("figcaption")).getText())
        .containsPattern("[1-9][0-9]* delivered")
        .containsPattern("[1-9][0-9]* undelivered");
    WebElement plot = chart.findElement(By.cssSelector(".plot[role='img']"));
    assertThat(plot.getAttribute("aria-label")).containsPattern("[1-9][0-9]* undelivered");
    // uPlot drew the bars on its canvas and named every outcome in its legend.
    assertThat(chart.findElements(By.cssSelector(".u-legend .u-label")))
        .extracting(WebElement::getText)
        .containsExactlyInAnyOrder("sent", "delivered", "undelivered", "failed");
    JavascriptExecutor js = (JavascriptExecutor) browser;
    // The chart's data: the undelivered series sums to at least the one message inserted above.
    assertThat(
            ((Number)
                    js.executeScript(
                        "return JSON.parse(arguments[0].dataset.series).undelivered"
                            + ".reduce((a, b) => a + b, 0)",
                        plot))
                .longValue())
        .isPositive();
    // Some pixel of the canvas is painted in the undelivered colour (#b35c00).
    assertThat(
            (Boolean)
                js.executeScript(
                    "const c = arguments[0].querySelector('canvas');"
                        + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + " for (let i = 0; i < d.length; i += 4)"
                        + "   if (d[i] === 0xb3 && d[i + 1] === 0x5c && d[i + 2] === 0) return true;"
                        + " return false;",
                    plot))
        .isTrue();
    String errors = browser.findElement(By.id("errors")).getText();
    assertThat(errors).contains("30003").contains("unreachable destination handset");
    assertThat(browser.findElement(By.id("backlog")).getText())
        .contains("Outbox backlog")
        .contains("Write-back lag");
    assertThat(browser.findElements(By.tagName("button")))
        .extracting(WebElement::getText)
        .containsExactly("Sign out");
    assertAccessible("dashboard");
  }

  @Test
  void aConsentLookupAndAnOptOutRecordedByHandAreShownAndAudited() {
    String number = "+14155550311";
    // A viewer looks the number up, sees no form, and the API refuses the opt-out anyway.
    signIn(VIEWER_USER);
    go("#/consent?phone=" + "%2B14155550311", By.id("consent-result"));
    assertThat(browser.findElement(By.id("consent-none")).getText())
        .contains("No consent recorded");
    assertThat(browser.findElements(By.id("opt-out-form"))).isEmpty();
    assertAccessible("consent (viewer)");
    assertThat(
            postFromThePage(
                "/api/consent/opt-out",
                "{\"phone\": \"" + number + "\", \"reason\": \"viewer tries\"}"))
        .isEqualTo(403);
    assertThat(connector.db.count("SELECT COUNT(*) FROM consent_event WHERE recipient = ?", number))
        .isZero();

    // An approver types the number with spaces, then records an opt-out with a reason.
    signIn(APPROVER_USER);
    go("#/consent", By.id("consent-form"));
    browser.findElement(By.id("c-phone")).sendKeys("+1 415 555 0311");
    browser.findElement(By.id("consent-lookup")).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("opt-out-form")));
    assertAccessible("consent (approver)");
    browser.findElement(By.id("opt-out-submit")).click();
    // The reason is required: the browser's own check or the API's message stops it.
    assertThat(connector.db.count("SELECT COUNT(*) FROM consent_event WHERE recipient = ?", number))
        .isZero();
    String reason = "Asked on the phone <b>call 42</b>";
    browser.findElement(By.id("o-reason")).sendKeys(reason);
    browser.findElement(By.id("opt-out-submit")).click();
    waiting()
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "recorded"));
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("consent-history"), "OPTED_OUT"));
    assertThat(browser.findElement(By.id("consent-result")).getText())
        .contains("Consent of " + number)
        .contains("operator bob: " + reason);
    assertThat(browser.findElements(By.cssSelector("main b"))).isEmpty();
    assertThat(
            connector.db.rows(
                "SELECT status, source FROM consent_event WHERE recipient = ? AND applied = TRUE",
                number))
        .containsExactly(List.of("OPTED_OUT", "api"));
    assertThat(
            connector.db.rows(
                "SELECT actor, after_state, detail FROM governance_audit WHERE action ="
                    + " 'CONSENT_OPT_OUT' AND subject_id = ?",
                number + " *"))
        .containsExactly(List.of(APPROVER_USER, "OPTED_OUT", reason));
  }

  @Test
  void failedRowsAreGroupedAndOnlyTransientNonVerifyRowsAreRetried() {
    long transientRow = failedRow("browser-failed-1", "sms", "+14155550312", "RETRIES_EXHAUSTED");
    long verifyRow = failedRow("browser-failed-2", "verify", "+14155550313", "RETRIES_EXHAUSTED");
    long permanentRow = failedRow("browser-failed-3", "sms", "+14155550314", "TWILIO_REJECTED");

    signIn(VIEWER_USER);
    go("#/failed?group=1&reasonCode=RETRIES_EXHAUSTED", By.id("failed-rows"));
    assertThat(browser.findElement(By.id("failed-groups")).getText())
        .contains("RETRIES_EXHAUSTED")
        .contains("TWILIO_REJECTED");
    assertThat(browser.findElements(By.cssSelector("#failed-rows input"))).isEmpty();
    assertThat(browser.findElement(By.id("failed-rows")).getText()).contains("+*******0312");
    assertThat(postFromThePage("/api/failed/retry", "{\"ids\": [" + transientRow + "]}"))
        .isEqualTo(403);
    assertAccessible("failed (viewer)");

    signIn(APPROVER_USER);
    go("#/failed?group=1&reasonCode=RETRIES_EXHAUSTED", By.id("retry-selected"));
    assertAccessible("failed (approver)");
    assertThat(browser.findElement(By.id("failed-rows")).getText()).contains("never (Verify)");
    assertThat(
            browser.findElements(
                By.cssSelector("#failed-rows input.pick[value='" + verifyRow + "']")))
        .isEmpty();
    browser
        .findElement(By.cssSelector("#failed-rows input.pick[value='" + transientRow + "']"))
        .click();
    browser.findElement(By.id("retry-comment")).sendKeys("carrier outage over");
    browser.findElement(By.id("retry-selected")).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("status"), "1 row(s) put back to PENDING"));
    // The retried row is sent again; the others stay FAILED, and the API refuses them by name.
    awaitStatus(transientRow, "SENT");
    @SuppressWarnings("unchecked")
    Map<String, Object> refused =
        (Map<String, Object>)
            ((JavascriptExecutor) browser)
                .executeAsyncScript(
                    "const done = arguments[arguments.length - 1];"
                        + "(async () => {"
                        + "const s = await (await fetch('/console/session')).json();"
                        + "const r = await fetch('/api/failed/retry', {method: 'POST', headers:"
                        + " {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf}, body:"
                        + " JSON.stringify({ids: ["
                        + verifyRow
                        + ", "
                        + permanentRow
                        + "]})});"
                        + "done(await r.json());"
                        + "})();");
    assertThat((List<?>) refused.get("retried")).isEmpty();
    assertThat(refused.get("refused").toString()).contains("Verify").contains("not transient");
    assertThat(
            connector.db.rows(
                "SELECT id, status FROM outbox_message WHERE id IN (?, ?) ORDER BY id",
                verifyRow,
                permanentRow))
        .containsExactly(
            List.of(String.valueOf(verifyRow), "FAILED"),
            List.of(String.valueOf(permanentRow), "FAILED"));
    assertThat(
            connector.db.rows(
                "SELECT actor, subject_id, after_state, detail FROM governance_audit WHERE action"
                    + " = 'RETRY'"))
        .containsExactly(
            List.of(APPROVER_USER, String.valueOf(transientRow), "PENDING", "carrier outage over"));
  }

  @Test
  void aPendingTemplateVersionShowsItsDiffAndIsApprovedByASecondPerson() {
    String approved = "aaaaaaaaaaaa00000000000000000000000000000000000000000000000000a1";
    String pending = "bbbbbbbbbbbb00000000000000000000000000000000000000000000000000b2";
    connector.db.exec(
        "INSERT INTO template_version (template_name, version, purpose, content, source, state,"
            + " decided_by) VALUES ('console-reminder', ?, 'transactional', ?, 'test',"
            + " 'APPROVED', 'someone')",
        approved,
        template("your visit is on {{date}}."));
    connector.db.exec(
        "INSERT INTO template_version (template_name, version, purpose, content, source, state)"
            + " VALUES ('console-reminder', ?, 'transactional', ?, 'test', 'PENDING_APPROVAL')",
        pending,
        template("your visit <b>moved</b> to {{date}}."));
    By diff = By.id("diff-bbbbbbbbbbbb");

    // A viewer sees the versions and the diff, no buttons; the API refuses the approval anyway.
    signIn(VIEWER_USER);
    go("#/templates", diff);
    assertThat(browser.findElement(By.cssSelector("[data-template='console-reminder']")).getText())
        .contains("aaaaaaaaaaaa")
        .contains("pending approval");
    // The stored text is canonical JSON; the diff shows it a field a line: only the SMS changed.
    assertThat(browser.findElements(By.cssSelector("#diff-bbbbbbbbbbbb del")))
        .extracting(WebElement::getText)
        .singleElement()
        .asString()
        .startsWith("-")
        .endsWith("\"sms\": \"Hello {{name}}, your visit is on {{date}}.\"");
    assertThat(browser.findElements(By.cssSelector("#diff-bbbbbbbbbbbb ins")))
        .extracting(WebElement::getText)
        .singleElement()
        .asString()
        .startsWith("+")
        .endsWith("\"sms\": \"Hello {{name}}, your visit <b>moved</b> to {{date}}.\"");
    assertThat(browser.findElements(By.cssSelector("main b"))).isEmpty();
    assertThat(browser.findElements(By.tagName("button")))
        .extracting(WebElement::getText)
        .containsExactly("Sign out");
    assertAccessible("templates (viewer)");
    assertThat(postFromThePage("/api/template-approvals/" + pending + "/approve", "{}"))
        .isEqualTo(403);

    // bob submits the edit: four eyes then keeps him from approving it.
    signIn(APPROVER_USER);
    go("#/templates", diff);
    assertAccessible("templates (approver)");
    By box = By.cssSelector(".pending[data-version='" + pending + "']");
    browser.findElement(box).findElement(By.cssSelector("button.submit")).click();
    waiting()
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "submitted"));
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(box, "submitted by bob"));
    browser.findElement(box).findElement(By.cssSelector("button.approve")).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector(".pending[data-version='" + pending + "'] .result"),
                "submitted this version"));
    assertThat(connector.db.string("SELECT state FROM template_version WHERE version = ?", pending))
        .isEqualTo("PENDING_APPROVAL");

    // carol, a second person, approves it.
    signIn(ADMIN_USER);
    go("#/templates", box);
    browser.findElement(box).findElement(By.tagName("textarea")).sendKeys("wording checked");
    browser.findElement(box).findElement(By.cssSelector("button.approve")).click();
    waiting()
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "approved"));
    assertThat(
            connector.db.rows(
                "SELECT state, decided_by, decision_comment FROM template_version WHERE version = ?",
                pending))
        .containsExactly(List.of("APPROVED", ADMIN_USER, "wording checked"));
    assertThat(browser.findElements(box)).isEmpty();
  }

  @Test
  void theSendersPageShowsTheHealthTableAndOnlyAnAdminReadsTheAccountAgain() {
    signIn(VIEWER_USER);
    go("#/senders", By.cssSelector("#senders-table table"));
    assertThat(browser.findElement(By.cssSelector("#senders-table thead")).getText())
        .contains("SENDER")
        .contains("A2P 10DLC")
        .contains("INBOUND");
    assertThat(browser.findElements(By.cssSelector("#senders-table tbody tr"))).isNotEmpty();
    assertThat(browser.findElements(By.id("senders-refresh"))).isEmpty();
    assertAccessible("senders (viewer)");
    assertThat(postFromThePage("/api/senders/refresh", "{}")).isEqualTo(403);

    signIn(ADMIN_USER);
    go("#/senders", By.id("senders-refresh"));
    assertAccessible("senders (admin)");
    browser.findElement(By.id("senders-refresh")).click();
    waiting()
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "read again"));
  }

  @Test
  void theSandboxPhoneSeesItsInboxLiveAndItsStopBlocksTheNextSend() {
    String to = "+14155550320";
    long first =
        connector.insert("browser-phone-1", to, "First <i>hello</i> to the phone", null, null);
    awaitDelivered(first);

    // A viewer sees the inbox but no reply box.
    signIn(VIEWER_USER);
    go("#/phone?handset=%2B14155550320", By.cssSelector("#phone-inbox table"));
    assertThat(browser.findElement(By.id("phone-inbox")).getText())
        .contains("First <i>hello</i> to the phone");
    assertThat(browser.findElements(By.id("phone-reply"))).isEmpty();
    assertAccessible("sandbox phone (viewer)");

    signIn(APPROVER_USER);
    go("#/phone", By.id("phone-pick"));
    browser.findElement(By.id("p-handset")).sendKeys(to);
    browser.findElement(By.id("phone-open")).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("phone-reply")));
    assertAccessible("sandbox phone (approver)");
    waiting().until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "on"));
    // A message sent now appears without reloading (live updates).
    long second = connector.insert("browser-phone-2", to, "Second message, live", null, null);
    awaitDelivered(second);
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("phone-inbox"), "Second message, live"));

    browser.findElement(By.id("p-body")).sendKeys("Thanks, see you");
    browser.findElement(By.id("phone-send")).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Thanks, see you"));
    // The reply's own timeline (a received message, by its SID) and the dashboard's count of it.
    waiting().until(ExpectedConditions.elementToBeClickable(By.id("phone-sent-link"))).click();
    waiting()
        .until(
            ExpectedConditions.textToBePresentInElementLocated(
                By.id("message-body"), "Thanks, see you"));
    assertThat(browser.findElement(By.tagName("h1")).getText()).startsWith("Received message SM");
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("received (inbound)")
        .contains(to);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              browser.navigate().refresh();
              waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("crm")));
              assertThat(browser.findElement(By.cssSelector("#events")).getText())
                  .contains("inbound");
              assertThat(browser.findElement(By.id("crm")).getText()).contains("in the CRM");
            });
    assertAccessible("received message");
    go("#/dashboard", By.cssSelector("#received table"));
    assertThat(browser.findElement(By.id("received")).getText()).contains("sms");
    go("#/phone?handset=%2B14155550320", By.id("phone-reply"));
    browser.findElement(By.id("phone-stop")).click();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "STOP"));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM consent_event WHERE recipient = ? AND status ="
                            + " 'OPTED_OUT'",
                        to)
                    == 1);
    long third = connector.insert("browser-phone-3", to, "After STOP", null, null);
    awaitStatus(third, "BLOCKED");
    assertThat(connector.db.string("SELECT reason_code FROM outbox_message WHERE id = ?", third))
        .isEqualTo("OPTED_OUT");
  }

  @Test
  void theDashboardRedrawsWithinTenSecondsOfAChange() {
    signIn(VIEWER_USER);
    go("#/dashboard", By.id("backlog"));
    waiting().until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "on"));
    String before =
        String.valueOf(
            ((JavascriptExecutor) browser)
                .executeScript("return document.getElementById('main').dataset.refreshed || '0'"));
    long smsBefore = smsChartTotal();
    connector.insert("browser-live-1", "+14155550321", "Dashboard live", null, null);
    new WebDriverWait(browser, Duration.ofSeconds(10))
        .until(
            b ->
                !before.equals(
                    String.valueOf(
                        ((JavascriptExecutor) b)
                            .executeScript(
                                "return document.getElementById('main').dataset.refreshed"
                                    + " || '0'"))));
    assertThat(browser.findElement(By.id("backlog")).getText()).contains("Outbox backlog");
    // The chart follows: redrawn with the new message counted, one uPlot per figure (the
    // replaced ones destroyed), its canvas on the page.
    new WebDriverWait(browser, Duration.ofSeconds(60)).until(b -> smsChartTotal() > smsBefore);
    List<?> counts =
        (List<?>)
            ((JavascriptExecutor) browser)
                .executeScript(
                    "return [document.querySelectorAll('#chart .uplot').length,"
                        + " document.querySelectorAll('#chart figure').length,"
                        + " document.querySelectorAll(\"#chart figure[data-channel='sms']"
                        + " .plot canvas\").length]");
    assertThat(((Number) counts.get(0)).longValue())
        .isEqualTo(((Number) counts.get(1)).longValue());
    assertThat(((Number) counts.get(2)).longValue()).isEqualTo(1L);
  }

  /** All outcomes of the sms chart's data on the dashboard now (0 when it shows no sms chart). */
  static long smsChartTotal() {
    return ((Number)
            ((JavascriptExecutor) browser)
                .executeScript(
                    "const p = document.querySelector(\"#chart figure[data-channel='sms'] .plot\");"
                        + " if (!p) return 0; const s = JSON.parse(p.dataset.series);"
                        + " return ['sent', 'delivered', 'undelivered', 'failed']"
                        + ".reduce((n, o) => n + s[o].reduce((a, b) => a + b, 0), 0);"))
        .longValue();
  }

  /** A template version's stored text (canonical JSON, as MessageTemplate.normalized writes it). */
  static String template(String smsTail) {
    return "{\"default-locale\":\"en\",\"locales\":{\"en\":{\"sms\":\"Hello {{name}}, "
        + smsTail
        + "\"}},\"name\":\"console-reminder\",\"purpose\":\"transactional\",\"variables\":{}}";
  }

  /** A row as the outbox leaves it once it gave up, with the reason code it would record. */
  static long failedRow(String key, String channel, String to, String reasonCode) {
    connector.db.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body, status,"
            + " reason_code, reason, attempts) VALUES (?, ?, ?, ?, 'Failed before', 'FAILED', ?,"
            + " 'made up by the test', 5)",
        key,
        channel,
        to,
        ConsoleConnector.FROM,
        reasonCode);
    return Long.parseLong(
        connector.db.string("SELECT id FROM outbox_message WHERE idempotency_key = ?", key));
  }

  /** A POST with the page's own session and CSRF token; returns the HTTP status. */
  static int postFromThePage(String path, String json) {
    Object status =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + "(async () => {"
                    + "const s = await (await fetch('/console/session')).json();"
                    + "const r = await fetch(arguments[0], {method: 'POST', headers:"
                    + " {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf}, body:"
                    + " arguments[1]});"
                    + "done(r.status);"
                    + "})();",
                path,
                json);
    return ((Number) status).intValue();
  }
}
