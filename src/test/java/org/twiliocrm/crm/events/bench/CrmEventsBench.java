package org.twiliocrm.crm.events.bench;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.twiliocrm.crm.events.CrmEventsNode;
import org.twiliocrm.crm.events.PgSchema;
import org.twiliocrm.crm.events.SandboxOrg;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;

/**
 * Latency of a Send_Message__e event at a steady rate, all in one JVM on real sockets: the
 * Salesforce sandbox (REST publish, CometD delivery), PostgreSQL (127.0.0.1:5432/test), and with
 * {@code full} the outbox route to the Twilio sandbox.
 *
 * <ul>
 *   <li>commit: publish request sent -> outbox row inserted (outbox_message.created_at, the
 *       inserting transaction's start time; the commit follows within the same event)
 *   <li>twilio (full): publish request sent -> Twilio create answered (outbox_message.sent_at)
 * </ul>
 *
 * Args: [rate/s=50] [events=1000] [warmup=100] [full]. Not a test.
 */
public final class CrmEventsBench {
  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    boolean full = args.length > 3 && args[3].equals("full");
    try (SalesforceSandbox org =
            SalesforceSandbox.start(
                SalesforceSandboxSettings.defaults()
                    .withPort(0)
                    .withDataDir(Files.createTempDirectory("bench-sf")));
        PgSchema db = new PgSchema()) {
      TwilioSandbox twilio = full ? TwilioSandbox.start(TwilioSandboxSettings.defaults()) : null;
      Map<String, String> extra = new HashMap<>();
      extra.put("crm.events.sender", "+15005550006");
      if (full) {
        extra.put(CrmEventsNode.TWILIO_URL, twilio.baseUrl());
      }
      try (CrmEventsNode node = new CrmEventsNode(org.baseUrl(), db.url(), extra).start()) {
        while (org.streamingSubscribers().getOrDefault("/event/Send_Message__e", 0) == 0) {
          Thread.onSpinWait();
        }
        SandboxOrg api = new SandboxOrg(org.baseUrl());
        api.publish(Map.of("To__c", "+15555550000", "Body__c", "token warm-up"));
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long start = System.nanoTime();
        long periodNanos = 1_000_000_000L / rate;
        for (int i = 0; i < events; i++) {
          long due = start + i * periodNanos;
          while (System.nanoTime() < due) {
            Thread.onSpinWait();
          }
          String key = "bench-" + i;
          int n = i;
          pool.execute(
              () -> {
                try {
                  sentAt.put(key, System.currentTimeMillis());
                  api.publish(
                      Map.of(
                          "To__c",
                          String.format("+1415200%04d", n),
                          "Body__c",
                          "bench " + n,
                          "Idempotency_Key__c",
                          key));
                } catch (Exception e) {
                  System.err.println("publish failed: " + e);
                }
              });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.MINUTES);
        String col = full ? "sent_at" : "created_at";
        long deadline = System.currentTimeMillis() + Duration.ofSeconds(120).toMillis();
        while (db.count(
                    "SELECT count(*) FROM outbox_message WHERE idempotency_key LIKE 'bench-%' AND "
                        + col
                        + " IS NOT NULL")
                < events
            && System.currentTimeMillis() < deadline) {
          Thread.sleep(200);
        }
        List<List<String>> rows =
            db.rows(
                "SELECT idempotency_key, (EXTRACT(EPOCH FROM "
                    + col
                    + ") * 1000)::bigint FROM outbox_message WHERE idempotency_key LIKE 'bench-%' AND "
                    + col
                    + " IS NOT NULL");
        // When the org stored each event: splits the latency into publishing and
        // delivery+processing.
        Map<String, Long> storedAt = new HashMap<>();
        for (var e : org.events()) {
          Object payload = e.data().get("payload");
          if (payload instanceof Map<?, ?> p && p.get("Idempotency_Key__c") != null) {
            storedAt.put(p.get("Idempotency_Key__c").toString(), e.createdMillis());
          }
        }
        List<Long> lat = new ArrayList<>();
        List<Long> publishLat = new ArrayList<>();
        for (List<String> r : rows) {
          int i = Integer.parseInt(r.get(0).substring("bench-".length()));
          if (i >= warmup) {
            lat.add(Long.parseLong(r.get(1)) - sentAt.get(r.get(0)));
            Long st = storedAt.get(r.get(0));
            if (st != null) {
              publishLat.add(st - sentAt.get(r.get(0)));
            }
          }
        }
        long[] pub = publishLat.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
            "  of which publish request -> stored in the org: p50 %d ms, p99 %d ms%n",
            pct(pub, 50), pct(pub, 99));
        long[] a = lat.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
            "%s at %d events/s: %d/%d measured (warm-up %d), p50 %d ms, p90 %d ms, p99 %d ms, max %d ms%n",
            full ? "publish -> Twilio create answered" : "publish -> outbox row",
            rate,
            a.length,
            events - warmup,
            warmup,
            pct(a, 50),
            pct(a, 90),
            pct(a, 99),
            a.length == 0 ? -1 : a[a.length - 1]);
        if (full) {
          System.out.println(
              "statuses: "
                  + db.rows(
                      "SELECT status, reason_code, min(reason), count(*) FROM outbox_message GROUP BY status, reason_code"));
        }
      } finally {
        if (twilio != null) {
          twilio.close();
        }
      }
    }
    System.exit(0);
  }

  private static long pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private CrmEventsBench() {}

  static String describe(long[] a) {
    return Arrays.toString(a);
  }
}
