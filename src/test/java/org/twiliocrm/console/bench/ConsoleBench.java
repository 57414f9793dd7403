package org.twiliocrm.console.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntFunction;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestOperators;

/**
 * The operator console on a large outbox (issue 16, "Speed"): fills a fresh PostgreSQL schema with
 * {@code rows} outbox rows spread over 30 days (default 1,000,000) plus their attempts, webhook
 * events, message states, CRM actions and consent history, all in SQL (generate_series), then
 * starts the connector on it (sandbox mode, as the console ITs do), signs in as a viewer and times
 * the real {@code /api/*} endpoints over HTTP: each one {@code warmup} times, then {@code requests}
 * times (default 50), each request with different parameters drawn from the seeded data. Prints
 * p50, p95 and max per endpoint against the target (p95 under 200 ms), with the load average.
 *
 * <p>Background jobs that would change the seeded rows while they are measured are off: retention
 * (it would redact the bodies of the oldest rows), the CRM write-back (the seeded CRM record ids do
 * not exist in the Salesforce sandbox) and CRM events. The outbox claimer runs: the backlog is
 * scheduled for tomorrow (send_after), so it sends nothing.
 *
 * <p>{@code bash bench/run console [ROWS] [REQUESTS]}
 */
public final class ConsoleBench {
  static final long TARGET_MS = 200;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private ConsoleBench() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int warmup = 10;
    // -Dbench.keep=true keeps the filled schema; -Dbench.schema=it_... measures a kept one again
    // (after Flyway has applied any newer migration to it) instead of filling a new one.
    String reuse = System.getProperty("bench.schema");
    boolean keep = Boolean.getBoolean("bench.keep") || reuse != null;
    System.out.printf(
        Locale.ROOT,
        "Operator console on PostgreSQL: %,d outbox rows over 30 days; %d requests per endpoint"
            + " after %d warm-up; target p95 < %d ms (issue 16: search by number or SID, the"
            + " dashboard); load average %s%n",
        rows,
        requests,
        warmup,
        TARGET_MS,
        load());
    TestDatabase db =
        reuse == null ? TestDatabase.postgres("console_bench") : TestDatabase.postgresSchema(reuse);
    TestConnector connector = null;
    try {
      try (Database migrated = db.open(2)) {
        // Flyway migrations as shipped, nothing else.
      }
      if (reuse == null) {
        seed(db, rows);
      } else {
        rows = (int) db.count("SELECT COUNT(*) FROM outbox_message");
        System.out.printf(Locale.ROOT, "  reusing schema %s: %,d outbox rows%n", reuse, rows);
        try (Connection c = db.connect();
            Statement st = c.createStatement()) {
          st.execute("VACUUM ANALYZE");
        }
      }
      connector =
          TestConnector.on(db)
              .property("crm.events.enabled", "false")
              .property("retention.enabled", "false")
              .property("webhook.crm.writeback.enabled", "false")
              .start();
      String base = connector.baseUrl();
      String cookie = signIn(base);
      Samples s = Samples.read(db, rows);
      List<Result> results = new ArrayList<>();
      System.out.printf(
          Locale.ROOT,
          "%n%-58s %8s %8s %8s %6s  %s%n",
          "endpoint",
          "p50 ms",
          "p95 ms",
          "max ms",
          "rows",
          "verdict");
      for (Endpoint e : endpoints(s)) {
        Result r = measure(base, cookie, e, warmup, requests);
        results.add(r);
        System.out.printf(
            Locale.ROOT,
            "%-58s %8.1f %8.1f %8.1f %6s  %s%n",
            e.name,
            r.p50,
            r.p95,
            r.max,
            r.rows < 0 ? "" : String.valueOf(r.rows),
            r.p95 < TARGET_MS ? "ok" : e.required ? "MISSED (required)" : "over " + TARGET_MS);
      }
      long missed = results.stream().filter(r -> r.endpoint.required && r.p95 >= TARGET_MS).count();
      System.out.printf(
          Locale.ROOT,
          "%nRequired endpoints (search by number, by SID, dashboard) over target: %d. Load"
              + " average now %s (2 cores shared with other work).%n",
          missed,
          load());
    } finally {
      if (connector != null) {
        connector.close();
      }
      if (keep) {
        System.out.println("kept schema " + db.name + " (bench.keep)");
      } else {
        db.close();
      }
    }
  }

  // ---- the data ----

  /** Everything in SQL; each step timed. Pseudo-random but repeatable (hash of the row number). */
  static void seed(TestDatabase db, int n) throws Exception {
    long t0 = System.nanoTime();
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("SET synchronous_commit = off");
      step(
          st,
          "outbox_message",
          // r1 picks the channel, r2 the outcome, r3 its detail; created_at grows with id, so the
          // newest rows are the last; the last 300 are the backlog, scheduled for tomorrow.
          """
          INSERT INTO outbox_message (id, idempotency_key, channel, recipient, sender, body,
            template_name, crm_object, crm_record_id, campaign, requested_by, purpose, status,
            twilio_sid, twilio_status, num_segments, error_code, reason_code, reason, attempts,
            send_after, created_at, updated_at, sent_at)
          SELECT i, 'bench-' || i, ch, rcp, '+15005550006',
            'Hi, this is a reminder of your appointment on ' || to_char(ca + interval '3 days',
              'Mon DD at HH24:MI') || '. Reply STOP to opt out. Ref ' || i,
            CASE WHEN i % 25 < 18 THEN 'appointment_reminder_' || (i % 18) END,
            'Contact', '003' || lpad(((hashint4(i * 7) & 2147483647) % 150000)::text, 15, '0'),
            CASE WHEN i % 10 = 0 THEN 'campaign-' || (i / 20000) END, 'crm-sync', 'transactional',
            st,
            CASE WHEN st = 'SENT' THEN 'SM' || md5(i::text) END,
            CASE WHEN st <> 'SENT' THEN NULL WHEN r3 < 850 THEN 'delivered'
                 WHEN r3 < 910 THEN 'undelivered' WHEN r3 < 940 THEN 'failed' ELSE 'sent' END,
            CASE WHEN st = 'SENT' THEN 1 END,
            CASE WHEN st = 'SENT' AND r3 >= 850 AND r3 < 910
                   THEN (ARRAY[30003, 30005, 30006, 30007])[1 + i % 4]
                 WHEN st = 'SENT' AND r3 >= 910 AND r3 < 940 THEN 30008
                 WHEN st = 'FAILED' AND r3 < 500 THEN (ARRAY[20429, 20500, 20503])[1 + i % 3]
                 WHEN st = 'FAILED' THEN (ARRAY[21211, 21610, 21614, 21408])[1 + i % 4] END,
            CASE WHEN st = 'FAILED' AND r3 < 500 THEN 'RETRIES_EXHAUSTED'
                 WHEN st = 'FAILED' THEN 'TWILIO_REJECTED'
                 WHEN st = 'BLOCKED' THEN 'OPTED_OUT' END,
            CASE WHEN st = 'FAILED' THEN 'Twilio answered with an error'
                 WHEN st = 'BLOCKED' THEN 'The recipient opted out' END,
            CASE WHEN st = 'FAILED' AND r3 < 500 THEN 5 WHEN st = 'PENDING' THEN 0 ELSE 1 END,
            CASE WHEN st = 'PENDING' THEN now() + interval '1 day' END,
            ca, ca + interval '9 seconds',
            CASE WHEN st = 'SENT' THEN ca + interval '2 seconds' END
          FROM (
            SELECT i, r1, r3,
              now() - (:n - i) * (2592000.0 / :n) * interval '1 second' AS ca,
              CASE WHEN r1 < 800 THEN 'sms' WHEN r1 < 880 THEN 'whatsapp' WHEN r1 < 930 THEN 'mms'
                   WHEN r1 < 970 THEN 'voice' ELSE 'verify' END AS ch,
              '+1415' || lpad(((hashint4(i * 3) & 2147483647) % 200000)::text, 7, '0') AS rcp,
              CASE WHEN i > :n - 300 THEN 'PENDING' WHEN r2 < 900 THEN 'SENT'
                   WHEN r2 < 950 THEN 'FAILED' WHEN r2 < 997 THEN 'BLOCKED' ELSE 'HELD' END AS st
            FROM (
              SELECT i, (hashint4(i) & 2147483647) % 1000 AS r1, (hashint8(i) & 9223372036854775807) % 1000 AS r2,
                     (hashint4(-i) & 2147483647) % 1000 AS r3
              FROM generate_series(1, :n) AS i) h) m
          """
              .replace(":n", String.valueOf(n)));
      st.execute(
          "SELECT setval(pg_get_serial_sequence('outbox_message', 'id'), "
              + "(SELECT MAX(id) FROM outbox_message))");
      step(
          st,
          "outbox_attempt",
          """
          INSERT INTO outbox_attempt (message_id, attempt, kind, outcome, twilio_sid, http_status,
            error_code, detail, instance, duration_ms, created_at)
          SELECT id, a, 'SEND',
            CASE WHEN status = 'SENT' THEN 'SENT' WHEN a < attempts THEN 'RETRY'
                 ELSE 'FAILED' END,
            twilio_sid, CASE WHEN status = 'SENT' THEN 201 ELSE 400 END,
            CASE WHEN status = 'SENT' THEN NULL ELSE error_code END, NULL, 'bench-1',
            80 + (id % 200)::int, created_at + a * interval '1 second'
          FROM outbox_message CROSS JOIN LATERAL generate_series(1, attempts) AS a
          WHERE status IN ('SENT', 'FAILED')
          """);
      step(
          st,
          "webhook_event (status callbacks)",
          // Twilio's 'sent' callback, then the final one where there is one.
          """
          INSERT INTO webhook_event (kind, dedupe_key, sid, status, account_sid, payload,
            received_at, state, attempts, processed_at)
          SELECT 'message-status', twilio_sid || ':' || s, twilio_sid, s,
            'ACbench0000000000000000000000000000',
            'MessageSid=' || twilio_sid || '&MessageStatus=' || s || '&To=%2B'
              || substr(recipient, 2) || '&From=%2B15005550006&AccountSid=ACbench'
              || '&ApiVersion=2010-04-01&SmsStatus=' || s,
            created_at + k * interval '3 seconds', 'DONE', 1,
            created_at + k * interval '3 seconds' + interval '20 milliseconds'
          FROM outbox_message CROSS JOIN LATERAL (VALUES (1, 'sent'), (2, twilio_status)) v(k, s)
          WHERE status = 'SENT' AND (k = 1 OR twilio_status <> 'sent')
          """);
      step(
          st,
          "webhook_event (inbound replies, 1 in 50 messages)",
          """
          INSERT INTO webhook_event (kind, dedupe_key, sid, status, account_sid, payload,
            received_at, state, attempts, processed_at)
          SELECT 'inbound', 'SMin' || md5(id::text), 'SMin' || substr(md5(id::text), 5),
            'received', 'ACbench0000000000000000000000000000',
            'MessageSid=SMin' || md5(id::text) || '&Body=' || CASE WHEN id % 200 = 0 THEN 'STOP'
              ELSE 'Thanks' END || '&From=%2B' || substr(recipient, 2) || '&To=%2B15005550006',
            created_at + interval '5 minutes', 'DONE', 1,
            created_at + interval '5 minutes' + interval '20 milliseconds'
          FROM outbox_message WHERE status = 'SENT' AND id % 50 = 0
          """);
      step(
          st,
          "message_state",
          // Every sent message's state; the newest 200 not yet in the CRM (the write-back lag),
          // 20 of them failing.
          """
          INSERT INTO message_state (message_sid, direction, channel, status, error_code,
            from_number, to_number, account_sid, num_segments, crm_object, crm_record_id,
            sent_at, delivered_at, created_at, updated_at, crm_version, crm_synced_version,
            crm_attempts, crm_dirty_since, crm_last_error)
          SELECT twilio_sid, 'outbound-api', channel, twilio_status, error_code, sender,
            recipient, 'ACbench0000000000000000000000000000', 1, crm_object, crm_record_id,
            sent_at, CASE WHEN twilio_status = 'delivered' THEN created_at + interval '6 seconds'
              END, created_at, updated_at, 3,
            CASE WHEN id > :n - 700 THEN 2 ELSE 3 END,
            CASE WHEN id > :n - 700 THEN 1 ELSE 2 END,
            CASE WHEN id > :n - 700 THEN updated_at END,
            CASE WHEN id > :n - 700 AND id % 10 = 0 THEN '503 from the CRM' END
          FROM outbox_message WHERE status = 'SENT'
          """
              .replace(":n", String.valueOf(n)));
      step(
          st,
          "message_state (the inbound replies, as received; the dashboard counts them)",
          """
          INSERT INTO message_state (message_sid, direction, channel, status, from_number,
            to_number, account_sid, body, created_at, updated_at, crm_version,
            crm_synced_version)
          SELECT 'SMin' || substr(md5(id::text), 5), 'inbound', channel, 'received', recipient,
            sender, 'ACbench0000000000000000000000000000',
            CASE WHEN id % 200 = 0 THEN 'STOP' ELSE 'Thanks' END,
            created_at + interval '5 minutes', created_at + interval '5 minutes', 1, 1
          FROM outbox_message WHERE status = 'SENT' AND id % 50 = 0
          """);
      step(
          st,
          "crm_action (a Task per inbound reply, an opt-out per STOP)",
          """
          INSERT INTO crm_action (kind, message_sid, phone, crm_object, crm_record_id, detail,
            state, attempts, created_at)
          SELECT CASE WHEN id % 200 = 0 THEN 'OPT_OUT' ELSE 'TASK' END, twilio_sid, recipient,
            crm_object, crm_record_id, 'reply', 'DONE', 1, created_at + interval '5 minutes'
          FROM outbox_message WHERE status = 'SENT' AND id % 50 = 0
          """);
      step(
          st,
          "consent_event and consent_purpose (1 in 10 numbers: an opt-in, some an opt-out)",
          """
          INSERT INTO consent_event (recipient, purpose, status, source, evidence, reason,
            occurred_at, recorded_at, applied)
          SELECT '+1415' || lpad(p::text, 7, '0'), CASE WHEN e = 1 THEN '*' ELSE 'marketing' END,
            CASE WHEN e = 1 THEN 'OPTED_IN' ELSE 'OPTED_OUT' END,
            CASE WHEN e = 1 THEN 'crm' ELSE 'keyword' END,
            CASE WHEN e = 1 THEN 'Contact/003bench' ELSE 'SMbench' || p END, NULL,
            now() - interval '40 days' + e * interval '3 days' + p * interval '1 second',
            now() - interval '40 days' + e * interval '3 days', true
          FROM generate_series(0, 199999, 10) AS p
          CROSS JOIN LATERAL generate_series(1, CASE WHEN p % 40 = 0 THEN 2 ELSE 1 END) AS e;
          INSERT INTO consent_purpose (recipient, purpose, status, source, evidence, occurred_at,
            event_id)
          SELECT recipient, purpose, status, source, evidence, occurred_at, id FROM consent_event
          """);
      long t = System.nanoTime();
      st.execute("VACUUM ANALYZE");
      System.out.printf(
          Locale.ROOT,
          "  %-70s %6.1f s%n",
          "VACUUM ANALYZE (a table in service is vacuumed)",
          (System.nanoTime() - t) / 1e9);
    }
    System.out.printf(
        Locale.ROOT,
        "  %-70s %6.1f s (load average %s)%n",
        "seeded in",
        (System.nanoTime() - t0) / 1e9,
        load());
  }

  private static void step(Statement st, String what, String sql) throws Exception {
    long t = System.nanoTime();
    st.execute(sql);
    String table = what.split(" ")[0];
    long count;
    try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      count = rs.getLong(1);
    }
    System.out.printf(
        Locale.ROOT,
        "  %-70s %6.1f s, %,d rows in %s%n",
        what,
        (System.nanoTime() - t) / 1e9,
        count,
        table);
  }

  /** Values the requests ask for, drawn from the seeded rows. */
  record Samples(
      List<String> phones,
      List<String> sids,
      List<String> records,
      List<Long> ids,
      List<String> consentNumbers,
      Instant newest,
      long maxId) {
    static Samples read(TestDatabase db, int n) {
      List<String> phones = new ArrayList<>();
      List<String> sids = new ArrayList<>();
      List<String> records = new ArrayList<>();
      List<Long> ids = new ArrayList<>();
      Random random = new Random(16);
      // Rows spread over the whole table, read by primary key.
      StringBuilder in = new StringBuilder();
      for (int i = 0; i < 400; i++) {
        in.append(i == 0 ? "" : ",").append(1 + random.nextInt(n));
      }
      for (List<String> r :
          db.rows(
              "SELECT id, recipient, twilio_sid, crm_record_id FROM outbox_message WHERE id IN ("
                  + in
                  + ")")) {
        ids.add(Long.parseLong(r.get(0)));
        phones.add(r.get(1));
        if (r.get(2) != null) {
          sids.add(r.get(2));
        }
        records.add(r.get(3));
      }
      List<String> consent = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        consent.add("+1415" + String.format(Locale.ROOT, "%07d", random.nextInt(20_000) * 10));
      }
      Instant newest =
          Instant.parse(
              db.string(
                  "SELECT to_char(MAX(created_at) AT TIME ZONE 'UTC',"
                      + " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM outbox_message"));
      long maxId = db.count("SELECT MAX(id) FROM outbox_message");
      return new Samples(phones, sids, records, ids, consent, newest, maxId);
    }

    <T> T pick(List<T> from, int i) {
      return from.get(Math.floorMod(i * 7919, from.size()));
    }
  }

  // ---- the requests ----

  record Endpoint(String name, boolean required, IntFunction<String> path) {}

  static List<Endpoint> endpoints(Samples s) {
    String day = "86400";
    List<Endpoint> e = new ArrayList<>();
    e.add(
        new Endpoint(
            "search by phone number", true, i -> "/api/messages?phone=" + q(s.pick(s.phones, i))));
    e.add(new Endpoint("search by SID", true, i -> "/api/messages?sid=" + s.pick(s.sids, i)));
    e.add(
        new Endpoint(
            "search by CRM record", false, i -> "/api/messages?crmRecord=" + s.pick(s.records, i)));
    e.add(new Endpoint("search, no filter (first page)", false, i -> "/api/messages"));
    e.add(new Endpoint("search by status FAILED", false, i -> "/api/messages?status=FAILED"));
    e.add(
        new Endpoint(
            "search by status SENT, deep page (keyset)",
            false,
            i -> "/api/messages?status=SENT&before=" + deep(s, i)));
    e.add(new Endpoint("search by channel whatsapp", false, i -> "/api/messages?channel=whatsapp"));
    e.add(
        new Endpoint(
            "search by channel verify, deep page",
            false,
            i -> "/api/messages?channel=verify&before=" + deep(s, i)));
    e.add(
        new Endpoint(
            "search by template",
            false,
            i -> "/api/messages?template=appointment_reminder_" + (i % 18)));
    e.add(
        new Endpoint(
            "search by template, deep page",
            false,
            i ->
                "/api/messages?template=appointment_reminder_"
                    + (i % 18)
                    + "&before="
                    + deep(s, i)));
    e.add(
        new Endpoint(
            "search by time range (one day, 1-29 days ago)",
            false,
            i -> {
              Instant until = s.newest.minusSeconds(86_400L * (1 + i % 28));
              return "/api/messages?since="
                  + q(until.minusSeconds(Long.parseLong(day)).toString())
                  + "&until="
                  + q(until.toString());
            }));
    e.add(
        new Endpoint(
            "search by time range, a third into that day (before=)",
            false,
            i -> {
              Instant until = s.newest.minusSeconds(86_400L * (1 + i % 28));
              // Ids grow with created_at, a day holds about n/30 of them: a third of the day in
              // (page 200 of that day at 1,000,000 rows).
              long perDay = s.maxId / 30;
              long before = s.maxId - perDay * (1 + i % 28) - perDay / 3;
              return "/api/messages?since="
                  + q(until.minusSeconds(86_400).toString())
                  + "&until="
                  + q(until.toString())
                  + "&before="
                  + Math.max(1, before);
            }));
    e.add(
        new Endpoint(
            "search sms FAILED in the last 7 days",
            false,
            i ->
                "/api/messages?channel=sms&status=FAILED&since="
                    + q(s.newest.minusSeconds(7 * 86_400L).toString())));
    e.add(new Endpoint("one message's timeline", false, i -> "/api/messages/" + s.pick(s.ids, i)));
    e.add(new Endpoint("dashboard (24 h)", true, i -> "/api/dashboard"));
    e.add(new Endpoint("dashboard (72 h)", true, i -> "/api/dashboard?hours=72"));
    e.add(new Endpoint("failed: groups", false, i -> "/api/failed"));
    e.add(
        new Endpoint(
            "failed: one group's rows",
            false,
            i -> "/api/failed/rows?reasonCode=RETRIES_EXHAUSTED&errorCode=20429"));
    e.add(
        new Endpoint(
            "consent lookup", false, i -> "/api/consent/" + q(s.pick(s.consentNumbers, i))));
    return e;
  }

  private static long deep(Samples s, int i) {
    // Somewhere in the older half of the table.
    return s.maxId / 2 - (i * 9973L) % (s.maxId / 3);
  }

  record Result(Endpoint endpoint, double p50, double p95, double max, int rows) {}

  static Result measure(String base, String cookie, Endpoint e, int warmup, int n)
      throws Exception {
    for (int i = 0; i < warmup; i++) {
      get(base, cookie, e.path.apply(1000 + i));
    }
    double[] ms = new double[n];
    int rows = -1;
    for (int i = 0; i < n; i++) {
      String path = e.path.apply(i);
      long t = System.nanoTime();
      HttpResponse<String> r = get(base, cookie, path);
      ms[i] = (System.nanoTime() - t) / 1e6;
      if (r.statusCode() != 200) {
        throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
      }
      if (i == 0) {
        JsonNode j = JSON.readTree(r.body());
        JsonNode list =
            j.has("messages")
                ? j.get("messages")
                : j.has("groups") ? j.get("groups") : j.has("rows") ? j.get("rows") : null;
        rows = list == null ? -1 : list.size();
      }
    }
    Arrays.sort(ms);
    return new Result(e, pct(ms, 0.50), pct(ms, 0.95), ms[n - 1], rows);
  }

  static double pct(double[] sorted, double p) {
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static HttpResponse<String> get(String base, String cookie, String path)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(60))
            .header("Cookie", cookie)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A viewer's console session, as the browser signs in. */
  private static String signIn(String base) throws Exception {
    String body =
        JSON.writeValueAsString(
            java.util.Map.of(
                "name",
                TestOperators.VIEWER_USER,
                "password",
                TestOperators.password(TestOperators.VIEWER_USER)));
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/console/session"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("sign-in answered " + r.statusCode() + ": " + r.body());
    }
    String set = r.headers().firstValue("Set-Cookie").orElseThrow();
    return set.substring(0, set.indexOf(';'));
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "unknown";
    }
  }
}
