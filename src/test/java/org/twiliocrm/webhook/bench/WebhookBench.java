package org.twiliocrm.webhook.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.twiliocrm.testsupport.TestHttp;
import org.twiliocrm.twilio.TwilioSignature;
import org.twiliocrm.webhook.WebhookStack;

/**
 * Benchmark (not a test): signed message status callbacks accepted and persisted per second by the
 * shipped webhook route on PostgreSQL, and the baseline of one insert plus one Salesforce update
 * per callback (plain JDBC + one REST upsert per callback against the Salesforce sandbox).
 *
 * <p>{@code bench/webhooks-wrk} drives it: this JVM runs the connector (mode {@code serve}) and a
 * bare platform-http route ({@value #BARE}, the ceiling) and writes distinct pre-signed requests to
 * files; wrk, a C load generator in its own process, replays them and counts the 200s, so the
 * client does not compete with the connector for the CPU as an in-JVM Java client does. Then, on
 * stdin: {@code count PREFIX} prints the rows stored, {@code baseline N CLIENTS} runs the baseline,
 * {@code quit} stops.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *   org.twiliocrm.webhook.bench.WebhookBench serve DIR WARM_N BENCH_N
 * </pre>
 */
public final class WebhookBench {
  private static final String PATH = "/webhooks/twilio/message-status";

  /**
   * The bare platform-http route the benchmark measures as the ceiling: under /webhooks/ (which the
   * operator gate lets through, as it does the webhooks) but outside the webhook edge's prefix.
   */
  static final String BARE = "/webhooks/bench-bare";

  public static void main(String[] args) throws Exception {
    if (args.length < 4 || !"serve".equals(args[0])) {
      System.err.println("usage: WebhookBench serve DIR WARM_N BENCH_N");
      System.exit(2);
    }
    java.nio.file.Path dir = java.nio.file.Path.of(args[1]);
    int warm = Integer.parseInt(args[2]);
    int total = Integer.parseInt(args[3]);
    Map<String, String> o = new LinkedHashMap<>();
    o.put("webhook.crm.writeback.enabled", "false");
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith("webhook.") || key.startsWith("connector.")) {
        o.put(key, System.getProperty(key));
      }
    }
    try (WebhookStack stack = new WebhookStack(o)) {
      write(stack, dir.resolve("warm.txt"), warm, "WARM");
      write(stack, dir.resolve("warm2.txt"), warm / 4, "WARMB");
      write(stack, dir.resolve("bench.txt"), total, "BENCH");
      write(stack, dir.resolve("paced.txt"), total / 4, "PACED");
      // The ceiling: a bare platform-http route on the same server, no gate, no store, answering
      // 200 "ok". The same requests, so Vert.x and Camel do the same HTTP work.
      stack
          .app
          .camelContext()
          .addRoutes(
              new org.apache.camel.builder.RouteBuilder() {
                @Override
                public void configure() {
                  from("platform-http:" + BARE + "?httpMethodRestrict=POST")
                      .routeId("bench-bare")
                      .setBody(constant("ok\n"));
                }
              });
      System.out.println("READY port=" + stack.port);
      System.out.flush();
      java.io.BufferedReader in =
          new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
      String line;
      while ((line = in.readLine()) != null) {
        String[] cmd = line.trim().split("\\s+");
        switch (cmd[0]) {
          case "count" -> {
            long stored =
                stack.count(
                    "SELECT COUNT(*) FROM webhook_event WHERE sid LIKE ?", "SM" + cmd[1] + "%");
            System.out.println("STORED " + stored);
            for (String m : stack.get("/observe/metrics").body().split("\n")) {
              if (m.startsWith("twiliocrm_webhook_persist")) {
                System.out.println("  " + m);
              }
            }
          }
          case "baseline" -> {
            int n = Integer.parseInt(cmd[1]);
            int clients = Integer.parseInt(cmd[2]);
            Result b = baseline(stack, n, clients);
            System.out.printf(
                "BASELINE 1 insert + 1 Salesforce upsert per callback, %d clients: %d in %.2f s ="
                    + " %.0f/s, p50 %.1f ms, p99 %.1f ms, errors %d, Salesforce API calls %d%n",
                clients, n, b.seconds, n / b.seconds, b.p50, b.p99, b.errors, n);
          }
          case "quit" -> {
            System.out.println("BYE");
            System.out.flush();
            System.exit(0);
          }
          default -> System.out.println("unknown command " + line);
        }
        System.out.flush();
      }
    }
    System.exit(0);
  }

  /**
   * Writes {@code total} distinct signed callbacks, one per line: signature, a tab, the form body.
   * Three statuses per MessageSid, so every line is a distinct (MessageSid, status) and a new row.
   */
  static void write(WebhookStack stack, java.nio.file.Path file, int total, String prefix)
      throws Exception {
    TwilioSignature signer = new TwilioSignature(WebhookStack.TOKEN);
    String url = stack.publicUrl + PATH;
    String[] statuses = {"sent", "delivered", "sending"};
    try (java.io.BufferedWriter w =
        java.nio.file.Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < total; i++) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("AccountSid", WebhookStack.ACCOUNT);
        f.put("ApiVersion", "2010-04-01");
        f.put("From", WebhookStack.NUMBER);
        f.put("MessageSid", String.format("SM%s%026d", prefix, i / 3));
        f.put("MessageStatus", statuses[i % 3]);
        f.put("To", "+15557770000");
        StringBuilder sb = new StringBuilder();
        f.forEach(
            (k, v) ->
                sb.append(sb.length() == 0 ? "" : "&")
                    .append(k)
                    .append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        w.write(signer.signSingle(url, f));
        w.write('\t');
        w.write(sb.toString());
        w.write('\n');
      }
    }
  }

  record Result(double seconds, double p50, double p99, double max, int errors) {}

  /** One JDBC insert (own transaction) + one Salesforce upsert per callback, same concurrency. */
  static Result baseline(WebhookStack stack, int total, int clients) throws Exception {
    try (Connection c = DriverManager.getConnection(stack.db.url(), stack.db.user(), null)) {
      c.createStatement()
          .execute(
              "CREATE TABLE IF NOT EXISTS baseline_event (id BIGSERIAL PRIMARY KEY, sid"
                  + " VARCHAR(64), status VARCHAR(32), payload TEXT, received_at TIMESTAMPTZ)");
    }
    String token = token(stack);
    HttpClient http = TestHttp.client();
    String base = stack.salesforce.baseUrl();
    long[] lat = new long[total];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicLong unused = new AtomicLong();
    CountDownLatch done = new CountDownLatch(clients);
    long start = System.nanoTime();
    for (int t = 0; t < clients; t++) {
      new Thread(
              () -> {
                try (Connection c =
                    DriverManager.getConnection(stack.db.url(), stack.db.user(), null)) {
                  PreparedStatement ps =
                      c.prepareStatement(
                          "INSERT INTO baseline_event (sid, status, payload, received_at) VALUES"
                              + " (?, ?, ?, ?)");
                  int i;
                  while ((i = next.getAndIncrement()) < total) {
                    long t0 = System.nanoTime();
                    String sid = String.format("SMBASE%028d", i);
                    try {
                      ps.setString(1, sid);
                      ps.setString(2, "delivered");
                      ps.setString(3, "MessageSid=" + sid + "&MessageStatus=delivered");
                      ps.setTimestamp(4, Timestamp.from(Instant.now()));
                      ps.executeUpdate();
                      HttpResponse<String> r =
                          http.send(
                              HttpRequest.newBuilder(
                                      URI.create(
                                          base
                                              + "/services/data/v59.0/sobjects/Twilio_Message__c/Message_Sid__c/"
                                              + sid))
                                  .header("Authorization", "Bearer " + token)
                                  .header("Content-Type", "application/json")
                                  .method(
                                      "PATCH",
                                      HttpRequest.BodyPublishers.ofString(
                                          "{\"Status__c\":\"delivered\"}"))
                                  .build(),
                              HttpResponse.BodyHandlers.ofString());
                      if (r.statusCode() >= 300) {
                        errors.incrementAndGet();
                      }
                    } catch (Exception e) {
                      errors.incrementAndGet();
                    }
                    lat[i] = System.nanoTime() - t0;
                  }
                } catch (Exception e) {
                  unused.incrementAndGet();
                } finally {
                  done.countDown();
                }
              })
          .start();
    }
    done.await();
    double seconds = (System.nanoTime() - start) / 1e9;
    Arrays.sort(lat);
    return new Result(
        seconds,
        lat[(int) (total * 0.50)] / 1e6,
        lat[Math.min(total - 1, (int) (total * 0.99))] / 1e6,
        lat[total - 1] / 1e6,
        errors.get());
  }

  private static String token(WebhookStack stack) throws Exception {
    var sf = stack.salesforce.settings();
    String form =
        "grant_type=password&client_id="
            + enc(sf.clientId())
            + "&client_secret="
            + enc(sf.clientSecret())
            + "&username="
            + enc(sf.username())
            + "&password="
            + enc(sf.password());
    HttpResponse<String> r =
        TestHttp.client()
            .send(
                HttpRequest.newBuilder(
                        URI.create(stack.salesforce.baseUrl() + "/services/oauth2/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body()).path("access_token").asText();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
