package org.twiliocrm.crm.events.bench;

import java.lang.management.ManagementFactory;
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
import java.util.concurrent.locks.LockSupport;
import org.twiliocrm.crm.events.SandboxOrg;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * Latency of a Send_Message__e event at steady rates, all in one JVM on real sockets: the
 * Salesforce sandbox (REST publish, CometD delivery), PostgreSQL (127.0.0.1:5432/test), and with
 * {@code full} the outbox route to the Twilio sandbox the connector starts (TestConnector: request
 * validation off, as in the outbox benchmark: it costs the sandbox CPU the connector needs on a
 * 2-core machine).
 *
 * <ul>
 *   <li>commit: publish request sent -> outbox row inserted (outbox_message.created_at, the
 *       inserting transaction's start time; the commit follows within the same group)
 *   <li>twilio (full): publish request sent -> Twilio create answered (outbox_message.sent_at)
 * </ul>
 *
 * For each rate it prints p50/p90/p99/max and the achieved rate (measured events over the time from
 * the first measured publish to the last one done); a rate is sustained when the achieved rate
 * keeps up and the latency stays bounded (p99 well under the run's length).
 *
 * <p>Args: [rates/s, comma-separated=50] [events per rate=1000] [warmup per rate=100] [full|-]
 * [lookup|records|-] [latency=MS]. {@code lookup}: events carry Record_Id__c (one seeded Contact)
 * instead of To__c; {@code records}: record-id-only events over 500 distinct Contacts created for
 * the run. The connector reads their phones with SOQL, one query per commit group. {@code
 * latency=MS}: the org answers every REST call (SOQL, the publishes) and CometD poll MS later, as a
 * remote org would. The word {@code callbacks} anywhere turns the Twilio sandbox's status callbacks
 * on in full mode. Not a test.
 *
 * <p>Full mode leaves status callbacks off by default: with them on, each send brings three signed
 * callbacks whose Salesforce write-back holds the sandbox org's store lock, so publishes wait
 * behind it and the figure measures the org emulator rather than the CRM-event path (measured: p50
 * 22-24 ms with callbacks off vs 57-158 ms on, same machine and run). Any {@code
 * -Dbench.property.KEY=VALUE} is passed to the connector as KEY=VALUE.
 */
public final class CrmEventsBench {
  public static void main(String[] args) throws Exception {
    int[] rates =
        Arrays.stream((args.length > 0 ? args[0] : "50").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    boolean full = args.length > 3 && args[3].equals("full");
    // lookup: events carry only Record_Id__c (a seeded Contact), so each costs a SOQL look-up.
    boolean lookup = args.length > 4 && args[4].equals("lookup");
    boolean callbacks = Arrays.asList(args).contains("callbacks");
    boolean records = args.length > 4 && args[4].equals("records");
    long latency =
        args.length > 5 && args[5].startsWith("latency=")
            ? Long.parseLong(args[5].substring("latency=".length()))
            : 0;
    System.out.printf(
        "machine: %d cores, load average %.1f at start%n",
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    try (SalesforceSandbox org =
            SalesforceSandbox.start(
                SalesforceSandboxSettings.defaults()
                    .withPort(0)
                    .withDataDir(Files.createTempDirectory("bench-sf")));
        TestDatabase db = TestDatabase.postgres("crm_events")) {
      // Publishes and SOQL look-ups count against the org's daily API allowance (15,000 by
      // default); a long ramp would run out of it.
      org.apiUsage().setDailyLimit(100_000_000);
      // The whole connector; without full, the outbox stays off and only the CRM-event path runs.
      TestConnector.Builder connector =
          TestConnector.on(db)
              .salesforce(org.baseUrl())
              .property("crm.events.sender", "+15005550006")
              .property("outbox.enabled", String.valueOf(full))
              .property("outbox.status-callbacks.enabled", String.valueOf(full && callbacks));
      System.getProperties().stringPropertyNames().stream()
          .filter(k -> k.startsWith("bench.property."))
          .forEach(
              k ->
                  connector.property(
                      k.substring("bench.property.".length()), System.getProperty(k)));
      System.out.printf(
          "mode: %s, status callbacks %s%n",
          full ? "full (outbox to the Twilio sandbox)" : "CRM events to outbox rows",
          full && callbacks ? "on" : "off");
      try (TestConnector node = connector.start()) {
        while (org.streamingSubscribers().getOrDefault("/event/Send_Message__e", 0) == 0) {
          LockSupport.parkNanos(1_000_000);
        }
        SandboxOrg api = new SandboxOrg(org.baseUrl());
        api.publish(Map.of("To__c", "+14155550000", "Body__c", "token warm-up"));
        List<String> recordIds = new ArrayList<>();
        if (lookup) {
          recordIds.add(api.idOf("Contact", "Lovelace"));
        } else if (records) {
          for (int i = 0; i < 500; i++) {
            recordIds.add(
                api.create(
                    "Contact",
                    Map.of(
                        "LastName",
                        "Bench " + i,
                        "MobilePhone",
                        String.format("+1415666%04d", i))));
          }
        }
        if (latency > 0) {
          org.faults().setLatencyMillis(latency);
        }
        System.out.printf(
            "events: %s; org latency %d ms per call%n",
            recordIds.isEmpty()
                ? "To__c"
                : "Record_Id__c only, over " + recordIds.size() + " Contact(s)",
            latency);
        // Each publish waits out the org's latency: enough publishers for the highest rate.
        ExecutorService pool =
            Executors.newFixedThreadPool(
                latency == 0
                    ? 8
                    : (int)
                        Math.min(256, 8 + Arrays.stream(rates).max().orElse(50) * latency / 500));
        int sustained = 0;
        for (int rate : rates) {
          double[] r = runRate(org, db, api, pool, rate, events, warmup, full, recordIds);
          // Kept up (achieved >= 95% of the offered rate) with a p99 under one second.
          if (r[0] >= 0.95 * rate && r[1] >= 0 && r[1] < 1000) {
            sustained = Math.max(sustained, rate);
          }
        }
        System.out.printf(
            "%nhighest offered rate sustained (achieved >= 95%%, p99 < 1 s): %s%n",
            sustained == 0 ? "none of " + Arrays.toString(rates) : sustained + " events/s");
        System.out.printf(
            "SOQL queries in the run: %d, by object %s%n",
            org.apiUsage().byEndpoint().getOrDefault("GET query", 0L),
            org.apiUsage().queriesByObject());
        pool.shutdown();
        if (full) {
          System.out.println(
              "statuses: "
                  + db.rows(
                      "SELECT status, reason_code, min(reason), count(*) FROM outbox_message GROUP BY status, reason_code"));
        }
      }
    }
    System.out.printf(
        "load average %.1f at end%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    System.exit(0);
  }

  /** Returns {achieved events/s, p99 ms}. */
  private static double[] runRate(
      SalesforceSandbox org,
      TestDatabase db,
      SandboxOrg api,
      ExecutorService pool,
      int rate,
      int events,
      int warmup,
      boolean full,
      List<String> recordIds)
      throws Exception {
    String prefix = "bench-" + rate + "-";
    long cpuBefore = processCpuNanos();
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    long periodNanos = 1_000_000_000L / rate;
    for (int i = 0; i < events; i++) {
      // Parked, not spun: a spinning publisher took a whole core of the two.
      long wait = start + i * periodNanos - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      String key = prefix + i;
      int n = i;
      pool.execute(
          () -> {
            try {
              sentAt.put(key, System.currentTimeMillis());
              api.publish(
                  Map.of(
                      recordIds.isEmpty() ? "To__c" : "Record_Id__c",
                      recordIds.isEmpty()
                          ? String.format("+1415%03d%04d", 200 + rate % 700, n)
                          : recordIds.get(n % recordIds.size()),
                      "Body__c",
                      "bench " + n,
                      "Idempotency_Key__c",
                      key));
            } catch (Exception e) {
              System.err.println("publish failed: " + e);
            }
          });
    }
    String col = full ? "sent_at" : "created_at";
    String where = " FROM outbox_message WHERE idempotency_key LIKE '" + prefix + "%' AND ";
    long deadline = System.currentTimeMillis() + Duration.ofSeconds(120).toMillis();
    while (db.count("SELECT count(*)" + where + col + " IS NOT NULL") < events
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(200);
    }
    List<List<String>> rows =
        db.rows(
            "SELECT idempotency_key, (EXTRACT(EPOCH FROM created_at) * 1000)::bigint,"
                + " (EXTRACT(EPOCH FROM "
                + col
                + ") * 1000)::bigint"
                + where
                + col
                + " IS NOT NULL");
    // When the org stored each event: splits the latency into publishing and
    // delivery+processing.
    Map<String, Long> storedAt = new HashMap<>();
    for (var e : org.events()) {
      Object payload = e.data().get("payload");
      if (payload instanceof Map<?, ?> p
          && p.get("Idempotency_Key__c") != null
          && p.get("Idempotency_Key__c").toString().startsWith(prefix)) {
        storedAt.put(p.get("Idempotency_Key__c").toString(), e.createdMillis());
      }
    }
    List<Long> lat = new ArrayList<>();
    List<Long> rowLat = new ArrayList<>();
    List<Long> publishLat = new ArrayList<>();
    long firstSent = Long.MAX_VALUE;
    long lastDone = Long.MIN_VALUE;
    for (List<String> r : rows) {
      int i = Integer.parseInt(r.get(0).substring(prefix.length()));
      if (i >= warmup) {
        long sent = sentAt.get(r.get(0));
        long doneAt = Long.parseLong(r.get(2));
        lat.add(doneAt - sent);
        rowLat.add(Long.parseLong(r.get(1)) - sent);
        firstSent = Math.min(firstSent, sent);
        lastDone = Math.max(lastDone, doneAt);
        Long st = storedAt.get(r.get(0));
        if (st != null) {
          publishLat.add(st - sent);
        }
      }
    }
    double cpuMsPerEvent = (processCpuNanos() - cpuBefore) / 1e6 / events;
    long[] pub = sorted(publishLat);
    long[] row = sorted(rowLat);
    long[] a = sorted(lat);
    System.out.printf("%n-- %d events/s --%n", rate);
    System.out.printf(
        "  publish request -> stored in the org: p50 %d ms, p99 %d ms%n",
        pct(pub, 50), pct(pub, 99));
    System.out.printf(
        "  publish request -> outbox row inserted: p50 %d ms, p99 %d ms%n",
        pct(row, 50), pct(row, 99));
    double achieved = a.length < 2 ? 0 : a.length * 1000.0 / Math.max(1, lastDone - firstSent);
    System.out.printf(
        "%s at %d events/s: %d/%d measured (warm-up %d), p50 %d ms, p90 %d ms, p99 %d ms, max %d ms;"
            + " achieved %.1f events/s%n",
        full ? "publish -> Twilio create answered" : "publish -> outbox row",
        rate,
        a.length,
        events - warmup,
        warmup,
        pct(a, 50),
        pct(a, 90),
        pct(a, 99),
        a.length == 0 ? -1 : a[a.length - 1],
        achieved);
    // The whole JVM: connector, both sandboxes and the publishers share it, so this is an upper
    // bound on the connector's own share; compare runs, not absolute values.
    System.out.printf(
        "  JVM CPU per event (all threads, sandboxes included): %.2f ms%n", cpuMsPerEvent);
    return new double[] {achieved, pct(a, 99)};
  }

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : -1;
  }

  private static long[] sorted(List<Long> l) {
    return l.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  private static long pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private CrmEventsBench() {}
}
