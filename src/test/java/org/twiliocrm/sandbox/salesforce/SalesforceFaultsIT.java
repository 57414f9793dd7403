package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.salesforce.api.SalesforceException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the real camel-salesforce component fares under each fault the sandbox can inject. */
class SalesforceFaultsIT {
  private static final Map<String, Object> QUERY =
      Map.of("sObjectQuery", "SELECT Id FROM Contact WHERE MobilePhone = '+14155550101'");
  @TempDir static Path dir;
  static SalesforceSandboxFixture f;

  @BeforeAll
  static void start() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    f.close();
  }

  @BeforeEach
  void clear() {
    f.org.reset(false);
  }

  private static Integer statusOfQuery() {
    try {
      f.request("salesforce:query", null, QUERY);
      return 200;
    } catch (CamelExecutionException e) {
      return ((SalesforceException) e.getCause()).getStatusCode();
    }
  }

  @Test
  void everyCallUnavailableThenRecovered() throws Exception {
    assertThat(f.control("POST", "faults", "{\"unavailableRate\":1.0}").statusCode())
        .isEqualTo(200);
    try {
      f.request("salesforce:query", null, QUERY);
      throw new AssertionError("expected 503");
    } catch (CamelExecutionException e) {
      SalesforceException sf = (SalesforceException) e.getCause();
      assertThat(sf.getStatusCode()).isEqualTo(503);
      assertThat(sf.getErrors().get(0).getErrorCode()).isEqualTo("SERVER_UNAVAILABLE");
    }
    f.control("DELETE", "faults", null);
    assertThat(statusOfQuery()).isEqualTo(200);
  }

  @Test
  void aFractionOfCallsUnavailable() {
    f.org.faults().setUnavailableRate(0.5);
    Set<Integer> seen = ConcurrentHashMap.newKeySet();
    int failures = 0;
    for (int i = 0; i < 40; i++) {
      int status = statusOfQuery();
      seen.add(status);
      failures += status == 503 ? 1 : 0;
    }
    assertThat(seen).containsExactlyInAnyOrder(200, 503);
    assertThat(failures).isBetween(5, 35);
  }

  @Test
  void addedLatencyIsObservable() {
    long fast = time(SalesforceFaultsIT::statusOfQuery);
    f.org.faults().setLatencyMillis(400);
    long slow = time(SalesforceFaultsIT::statusOfQuery);
    assertThat(slow).isGreaterThanOrEqualTo(400);
    assertThat(slow).isGreaterThan(fast);
  }

  private static long time(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void orgDownForAPeriodThenBack() {
    f.org.faults().orgDownFor(1500);
    long t0 = System.nanoTime();
    assertThat(statusOfQuery()).isEqualTo(503);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> statusOfQuery() == 200);
    assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1400);
  }

  @Test
  void expiredTokenIsRenewedTransparently() {
    long logins = f.org.logins();
    f.org.expireTokens();
    assertThat(statusOfQuery()).isEqualTo(200);
    assertThat(f.org.logins()).isEqualTo(logins + 1);
  }

  @Test
  void streamingSurvivesAnOrgOutageWithoutLosingEvents() throws Exception {
    Set<Object> bodies = ConcurrentHashMap.newKeySet();
    f.warmUpStreaming();
    f.camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("salesforce:subscribe:event/Send_Message__e")
                .routeId("outage")
                .process(e -> bodies.add(e.getMessage().getHeader("CamelSalesforceReplayId")));
          }
        });
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> f.org.streamingSubscribers().getOrDefault("/event/Send_Message__e", 0) > 0);
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "before"));
    await().atMost(Duration.ofSeconds(30)).until(() -> bodies.size() == 1);

    f.org.faults().orgDownFor(2000);
    f.org.dropStreamingClients();
    f.org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "during outage"));

    await().atMost(Duration.ofSeconds(30)).until(() -> bodies.size() == 2);
    // the client really met the outage: its re-handshake was refused at least once
    assertThat(f.org.apiUsage().byEndpoint()).containsKey("503 cometd");
    f.camel.getRouteController().stopRoute("outage");
    f.camel.removeRoute("outage");
  }
}
