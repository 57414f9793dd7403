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
import org.twiliocrm.twilio.TwilioSignature;
import org.twiliocrm.webhook.WebhookStack;

/**
 * Benchmark (not a test): signed message status callbacks accepted and persisted per second by the
 * shipped webhook route on PostgreSQL, with the acknowledgement latency percentiles and a lost
 * count; then, in the same run, the baseline of one insert plus one Salesforce update per callback
 * (plain JDBC + one REST upsert per callback against the Salesforce sandbox).
 *
 * <p>Run after {@code mvn -q -o test-compile dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt}:
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *   org.twiliocrm.webhook.bench.WebhookBench [callbacks=20000] [clients=64] [baseline=2000]
 * </pre>
 */
public final class WebhookBench {
  private static final String PATH = "/webhooks/twilio/message-status";

  public static void main(String[] args) throws Exception {
    int total = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int baselineN = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    Map<String, String> o = new LinkedHashMap<>();
    o.put("webhook.crm.writeback.enabled", "false");
    o.put("connector.db.pool-size", "20");
    try (WebhookStack stack = new WebhookStack(o)) {
      System.out.println("warm-up ...");
      run(stack, 2_000, clients, "WARM");
      System.out.println("measuring " + total + " callbacks with " + clients + " clients ...");
      Result r = run(stack, total, clients, "BENCH");
      long stored = stack.count("SELECT COUNT(*) FROM webhook_event WHERE sid LIKE 'SMBENCH%'");
      System.out.printf(
          "connector: %d callbacks in %.2f s = %.0f/s, ack p50 %.1f ms, p99 %.1f ms, max %.1f"
              + " ms, non-200 %d, stored %d, lost %d%n",
          total,
          r.seconds,
          total / r.seconds,
          r.p50,
          r.p99,
          r.max,
          r.errors,
          stored,
          total - stored);
      for (String line : stack.get("/observe/metrics").body().split("\n")) {
        if (line.startsWith("twiliocrm_webhook_persist")) {
          System.out.println("  " + line);
        }
      }
      Result b = baseline(stack, baselineN, clients);
      System.out.printf(
          "baseline (1 insert + 1 Salesforce upsert per callback): %d in %.2f s = %.0f/s, p50"
              + " %.1f ms, p99 %.1f ms, errors %d, Salesforce API calls %d%n",
          baselineN, b.seconds, baselineN / b.seconds, b.p50, b.p99, b.errors, baselineN);
    }
    System.exit(0);
  }

  record Result(double seconds, double p50, double p99, double max, int errors) {}

  static Result run(WebhookStack stack, int total, int clients, String prefix) throws Exception {
    TwilioSignature signer = new TwilioSignature(WebhookStack.TOKEN);
    String url = stack.publicUrl + PATH;
    String[] bodies = new String[total];
    String[] sigs = new String[total];
    String[] statuses = {"sent", "delivered", "sending"};
    for (int i = 0; i < total; i++) {
      Map<String, String> f = new LinkedHashMap<>();
      f.put("AccountSid", WebhookStack.ACCOUNT);
      f.put("ApiVersion", "2010-04-01");
      f.put("From", WebhookStack.NUMBER);
      f.put("MessageSid", String.format("SM%s%026d", prefix, i / 3));
      f.put("MessageStatus", statuses[i % 3]);
      f.put("To", "+15557770000");
      sigs[i] = signer.signSingle(url, f);
      StringBuilder sb = new StringBuilder();
      f.forEach(
          (k, v) ->
              sb.append(sb.length() == 0 ? "" : "&")
                  .append(k)
                  .append('=')
                  .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
      bodies[i] = sb.toString();
    }
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(java.util.concurrent.Executors.newFixedThreadPool(clients))
            .build();
    URI target = URI.create("http://127.0.0.1:" + stack.port + PATH);
    long[] lat = new long[total];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(clients);
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  int i;
                  while ((i = next.getAndIncrement()) < total) {
                    HttpRequest req =
                        HttpRequest.newBuilder(target)
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .header("X-Twilio-Signature", sigs[i])
                            .POST(HttpRequest.BodyPublishers.ofString(bodies[i]))
                            .build();
                    long t0 = System.nanoTime();
                    try {
                      HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
                      if (r.statusCode() != 200) {
                        errors.incrementAndGet();
                      }
                    } catch (Exception e) {
                      errors.incrementAndGet();
                    }
                    lat[i] = System.nanoTime() - t0;
                  }
                } finally {
                  done.countDown();
                }
              });
      t.start();
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

  /** One JDBC insert (own transaction) + one Salesforce upsert per callback, same concurrency. */
  static Result baseline(WebhookStack stack, int total, int clients) throws Exception {
    try (Connection c = DriverManager.getConnection(stack.db.url(), stack.db.user(), null)) {
      c.createStatement()
          .execute(
              "CREATE TABLE IF NOT EXISTS baseline_event (id BIGSERIAL PRIMARY KEY, sid"
                  + " VARCHAR(64), status VARCHAR(32), payload TEXT, received_at TIMESTAMPTZ)");
    }
    String token = token(stack);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
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
        HttpClient.newHttpClient()
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
