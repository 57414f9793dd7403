package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real camel-salesforce streaming consumer (CometD + replay) against the sandbox org. */
class SalesforceStreamingIT {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private final ObjectMapper json = new ObjectMapper();

  /**
   * Events by arrival, one per replay id. camel-salesforce 4.17 can register its channel listener
   * twice when the first /meta/connect reply races the consumer's subscribe (its connect listener
   * re-subscribes channels it has not seen confirmed), and then hands each event to the route
   * twice. That duplicate is made on the client; the server-side delivery counts below are what
   * prove exactly-once from the org.
   */
  private final List<Exchange> received = new CopyOnWriteArrayList<>();

  private synchronized void collect(Exchange e) {
    Long id = replayId(e);
    if (received.stream().noneMatch(x -> replayId(x).equals(id))) {
      received.add(e);
    }
  }

  @TempDir Path dir;
  private SalesforceSandboxFixture f;

  @AfterEach
  void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  private void subscribe(String routeId, String topicAndOptions) throws Exception {
    if (f.camel.getRoute("sandbox-warm-up") == null) {
      f.warmUpStreaming();
    }
    f.camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("salesforce:subscribe:" + topicAndOptions)
                .routeId(routeId)
                .process(SalesforceStreamingIT.this::collect);
          }
        });
    String channel = "/" + topicAndOptions.replaceAll("\\?.*", "");
    await().atMost(WAIT).until(() -> f.org.streamingSubscribers().getOrDefault(channel, 0) > 0);
  }

  private JsonNode payload(Exchange e) throws Exception {
    return json.readTree(e.getMessage().getBody(String.class)).at("/data/payload");
  }

  private Long replayId(Exchange e) {
    return e.getMessage().getHeader("CamelSalesforceReplayId", Long.class);
  }

  @Test
  void platformEventPublishedOverRestReachesTheSubscriber() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    subscribe("pe", "event/Send_Message__e?replayId=-1");

    String result =
        f.request(
            "salesforce:createSObject",
            "{\"Channel__c\":\"sms\",\"To__c\":\"+14155550101\",\"Body__c\":\"Your appointment is"
                + " tomorrow\",\"Idempotency_Key__c\":\"k-1\"}",
            Map.of("sObjectName", "Send_Message__e"));
    assertThat(json.readTree(result).get("success").asBoolean()).isTrue();

    await().atMost(WAIT).until(() -> received.size() == 1);
    JsonNode p = payload(received.get(0));
    assertThat(p.get("Body__c").asText()).isEqualTo("Your appointment is tomorrow");
    assertThat(p.get("CreatedById").asText()).startsWith("005");
    assertThat(replayId(received.get(0))).isPositive();
    assertThat(received.get(0).getMessage().getHeader("CamelSalesforceChannel"))
        .isEqualTo("/event/Send_Message__e");
  }

  @Test
  void changeDataCaptureReportsCreateUpdateAndDelete() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    subscribe("cdc", "data/ContactChangeEvent");

    String id =
        json.readTree(
                f.request(
                    "salesforce:createSObject",
                    "{\"LastName\":\"Franklin\",\"MobilePhone\":\"+14155550777\"}",
                    Map.of("sObjectName", "Contact")))
            .get("id")
            .asText();
    f.request(
        "salesforce:updateSObject",
        "{\"MobilePhone\":\"+14155550778\"}",
        Map.of("sObjectName", "Contact", "sObjectId", id));
    f.request("salesforce:deleteSObject", null, Map.of("sObjectName", "Contact", "sObjectId", id));

    await().atMost(WAIT).until(() -> received.size() == 3);
    assertThat(received)
        .extracting(e -> e.getMessage().getHeader("CamelSalesforceChangeType"))
        .containsExactly("CREATE", "UPDATE", "DELETE");
    JsonNode update = payload(received.get(1));
    JsonNode header = update.get("ChangeEventHeader");
    assertThat(header.get("entityName").asText()).isEqualTo("Contact");
    assertThat(header.get("recordIds").get(0).asText()).isEqualTo(id);
    assertThat(header.get("changedFields").toString()).contains("MobilePhone", "LastModifiedDate");
    assertThat(header.get("transactionKey").asText()).isNotBlank();
    assertThat(header.get("commitTimestamp").asLong()).isPositive();
    assertThat(update.get("MobilePhone").asText()).isEqualTo("+14155550778");
    assertThat(payload(received.get(0)).at("/Name/LastName").asText()).isEqualTo("Franklin");
  }

  @Test
  void consumerRestartedWithItsLastReplayIdGetsEachMissedEventExactlyOnce() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    subscribe("leads", "data/LeadChangeEvent");
    createLead("First");
    await().atMost(WAIT).until(() -> received.size() == 1);

    f.camel.getRouteController().stopRoute("leads");
    // The consumer's /meta/unsubscribe is asynchronous. Wait until the org has seen it: restarted
    // at once, its /meta/subscribe can overtake the unsubscribe on the CometD client's second
    // connection, and the late unsubscribe then leaves the consumer deaf (seen under load in CI).
    await()
        .atMost(WAIT)
        .until(() -> f.org.streamingSubscribers().getOrDefault("/data/LeadChangeEvent", 0) == 0);
    createLead("Missed1");
    createLead("Missed2");
    createLead("Missed3");
    f.camel.getRouteController().startRoute("leads");
    await()
        .atMost(WAIT)
        .until(() -> f.org.streamingSubscribers().getOrDefault("/data/LeadChangeEvent", 0) > 0);

    await().atMost(WAIT).until(() -> received.size() >= 4);
    // hold on a little to catch a duplicate that would arrive late
    await().during(Duration.ofMillis(1500)).atMost(WAIT).until(() -> received.size() == 4);
    assertThat(received).extracting(this::replayId).isSorted();
    assertThat(f.org.streamingDeliveries()).containsEntry("/data/LeadChangeEvent", 4L);
    assertThat(received)
        .extracting(e -> payload(e).at("/Name/LastName").asText())
        .containsExactly("First", "Missed1", "Missed2", "Missed3");
  }

  private void createLead(String lastName) {
    f.request(
        "salesforce:createSObject",
        "{\"LastName\":\"" + lastName + "\",\"Company\":\"Acme\"}",
        Map.of("sObjectName", "Lead"));
  }

  @Test
  void retainedEventsSurviveASandboxRestart() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    subscribe("cases", "data/CaseChangeEvent");
    createCase("before restart");
    await().atMost(WAIT).until(() -> received.size() == 1);
    long last = replayId(received.get(0));
    f.close();

    // events published while the connector is away, then the org itself restarts
    SalesforceSandbox org = SalesforceSandbox.start(SalesforceSandboxFixture.settings(dir));
    f =
        SalesforceSandboxFixture.start(
            org, sf -> SalesforceSandboxFixture.passwordLogin(sf, org.settings()));
    f.camel.start();
    createCase("missed 1");
    createCase("missed 2");
    f.org.close();
    SalesforceSandbox restarted = SalesforceSandbox.start(SalesforceSandboxFixture.settings(dir));
    f.close();
    received.clear();

    f =
        SalesforceSandboxFixture.start(
            restarted, sf -> SalesforceSandboxFixture.passwordLogin(sf, restarted.settings()));
    f.camel.start();
    subscribe("cases", "data/CaseChangeEvent?replayId=" + last);
    await().atMost(WAIT).until(() -> received.size() >= 2);
    await().during(Duration.ofMillis(1000)).atMost(WAIT).until(() -> received.size() == 2);
    assertThat(received)
        .extracting(e -> payload(e).get("Subject").asText())
        .containsExactly("missed 1", "missed 2");
    assertThat(f.org.streamingDeliveries()).containsEntry("/data/CaseChangeEvent", 2L);
  }

  private void createCase(String subject) {
    f.request(
        "salesforce:createSObject",
        "{\"Subject\":\"" + subject + "\",\"Origin\":\"SMS\"}",
        Map.of("sObjectName", "Case"));
  }

  @Test
  void unknownReplayIdFallsBackAsConfigured() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "retained 1"));
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "retained 2"));

    subscribe("pe", "event/Send_Message__e?replayId=987654&fallBackReplayId=-2");
    await().atMost(WAIT).until(() -> received.size() == 2);
    assertThat(received)
        .extracting(e -> payload(e).get("Body__c").asText())
        .containsExactly("retained 1", "retained 2");
    assertThat(f.org.eventLog().isValidReplayId(987654)).isFalse();
  }

  @Test
  void tooOldReplayIdIsRejectedAfterRetention() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    long old = f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "ancient"));
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "also ancient"));
    assertThat(f.control("POST", "events/age", "{\"hours\":73}").body()).contains("\"retained\":0");
    assertThat(f.org.eventLog().isValidReplayId(old - 1)).isFalse();

    subscribe("pe", "event/Send_Message__e?replayId=" + (old - 1) + "&fallBackReplayId=-1");
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "fresh"));
    await().atMost(WAIT).until(() -> received.size() == 1);
    assertThat(payload(received.get(0)).get("Body__c").asText()).isEqualTo("fresh");
  }

  @Test
  void droppedStreamingClientsHandshakeAgainAndMissNothing() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    subscribe("pe", "event/Send_Message__e");
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "one"));
    await().atMost(WAIT).until(() -> received.size() == 1);
    long handshakes = f.org.apiUsage().byEndpoint().get("cometd /meta/handshake");

    assertThat(f.org.dropStreamingClients()).isEqualTo(1);
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "two"));

    await().atMost(WAIT).until(() -> received.size() == 2);
    assertThat(payload(received.get(1)).get("Body__c").asText()).isEqualTo("two");
    assertThat(f.org.streamingDeliveries()).containsEntry("/event/Send_Message__e", 2L);
    assertThat(f.org.apiUsage().byEndpoint().get("cometd /meta/handshake"))
        .isGreaterThan(handshakes);
  }

  @Test
  void expiredTokenOnTheStreamingSessionTriggersLoginAndResubscribe() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
    subscribe("pe", "event/Send_Message__e");
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "before expiry"));
    await().atMost(WAIT).until(() -> received.size() == 1);
    long logins = f.org.logins();

    f.org.expireTokens();
    f.org.dropStreamingClients(); // the re-handshake now carries the expired token
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "after expiry"));

    // handshake denied (403, failureReason 401) -> login -> handshake -> resubscribe from the
    // last replay id, so the event published in between is replayed
    await().atMost(WAIT).until(() -> received.size() == 2);
    assertThat(payload(received.get(1)).get("Body__c").asText()).isEqualTo("after expiry");
    assertThat(f.org.logins()).isGreaterThan(logins);
  }
}
