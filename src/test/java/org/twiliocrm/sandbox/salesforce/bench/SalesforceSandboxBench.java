package org.twiliocrm.sandbox.salesforce.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.salesforce.AuthenticationType;
import org.apache.camel.component.salesforce.SalesforceComponent;
import org.apache.camel.component.salesforce.SalesforceEndpointConfig;
import org.apache.camel.impl.DefaultCamelContext;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;

/**
 * Not a test: measures the sandbox with the real camel-salesforce client. Write-back throughput
 * (sequential upserts by external id), API calls per message, and platform event publish to route
 * latency.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *   org.twiliocrm.sandbox.salesforce.bench.SalesforceSandboxBench [upserts] [events]
 * </pre>
 */
public final class SalesforceSandboxBench {
  private SalesforceSandboxBench() {}

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    int upserts = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    Path data = Files.createTempDirectory("sf-bench");
    SalesforceSandboxSettings s =
        SalesforceSandboxSettings.defaults()
            .withPort(0)
            .withDataDir(data)
            .withApiDailyLimit(10_000_000);
    try (SalesforceSandbox org = SalesforceSandbox.start(s)) {
      CamelContext camel = new DefaultCamelContext();
      SalesforceComponent sf = new SalesforceComponent();
      sf.setLoginUrl(org.baseUrl());
      sf.setAuthenticationType(AuthenticationType.USERNAME_PASSWORD);
      sf.setClientId(s.clientId());
      sf.setClientSecret(s.clientSecret());
      sf.setUserName(s.username());
      sf.setPassword(s.password());
      SalesforceEndpointConfig config = new SalesforceEndpointConfig();
      config.setApiVersion("62.0");
      config.setRawPayload(true);
      sf.setConfig(config);
      camel.addComponent("salesforce", sf);
      Map<Object, Long> arrived = new ConcurrentHashMap<>();
      CountDownLatch latch = new CountDownLatch(events);
      camel.addRoutes(
          new RouteBuilder() {
            @Override
            public void configure() {
              from("salesforce:subscribe:event/Send_Message__e")
                  .process(
                      e -> {
                        if (arrived.putIfAbsent(
                                e.getMessage().getHeader("CamelSalesforceReplayId"),
                                System.nanoTime())
                            == null) {
                          latch.countDown();
                        }
                      });
            }
          });
      camel.start();
      ProducerTemplate t = camel.createProducerTemplate();

      // warm-up
      for (int i = 0; i < 200; i++) {
        upsert(t, "SMwarm" + i, "queued");
      }
      org.reset(false);
      long t0 = System.nanoTime();
      for (int i = 0; i < upserts; i++) {
        // each message: created as queued, then the delivery status update
        upsert(t, "SM" + i, i % 2 == 0 ? "queued" : "delivered");
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      Map<String, Long> calls = org.apiUsage().byEndpoint();
      long restCalls = org.apiUsage().dailyUsed();
      System.out.printf(
          "upserts: %d sequential in %.2f s = %.0f/s; REST calls %d (%.2f per upsert); endpoints %s%n",
          upserts, secs, upserts / secs, restCalls, (double) restCalls / upserts, calls);

      List<Long> sent = new ArrayList<>();
      Map<Long, Long> sentAt = new ConcurrentHashMap<>();
      for (int i = 0; i < events; i++) {
        long at = System.nanoTime();
        long replayId =
            org.publishPlatformEvent("Send_Message__e", Map.of("Body__c", "bench " + i));
        sentAt.put(replayId, at);
        sent.add(replayId);
        Thread.sleep(20); // spread events so latency is per event, not queueing
      }
      boolean all = latch.await(60, TimeUnit.SECONDS);
      List<Long> lat = new ArrayList<>();
      for (Long id : sent) {
        Long got = arrived.get(id);
        if (got != null) {
          lat.add((got - sentAt.get(id)) / 1_000);
        }
      }
      lat.sort(Long::compare);
      System.out.printf(
          "platform events: %d published, %d received (all=%s); publish->route latency p50 %.1f ms,"
              + " p99 %.1f ms%n",
          events,
          lat.size(),
          all,
          lat.get(lat.size() / 2) / 1000.0,
          lat.get((int) (lat.size() * 0.99)) / 1000.0);
      camel.close();
    }
  }

  private static void upsert(ProducerTemplate t, String sid, String status) {
    t.requestBodyAndHeaders(
        "salesforce:upsertSObject",
        "{\"Status__c\":\"" + status + "\",\"To__c\":\"+14155550101\",\"Segments__c\":1}",
        Map.of(
            "sObjectName", "Twilio_Message__c",
            "sObjectIdName", "Message_Sid__c",
            "sObjectIdValue", sid),
        String.class);
  }
}
