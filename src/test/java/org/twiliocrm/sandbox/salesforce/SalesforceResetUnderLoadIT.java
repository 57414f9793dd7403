package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.testsupport.TestHttp;

/**
 * Resets (through the control API) while clients create record pairs with all-or-none collections,
 * fetch, update and query: every query sees exactly the seeded contacts (never an org cleared and
 * half re-seeded) and each pair whole or not at all; a record vanishes only when a reset started
 * after it was created; after the last reset the org is exactly the seed.
 */
class SalesforceResetUnderLoadIT {
  static final String V = "/services/data/v62.0";
  static final ObjectMapper JSON = new ObjectMapper();
  static final int WRITERS = 4;
  static final int RESETS = 15;

  @TempDir Path dir;
  final HttpClient http = TestHttp.client();
  SalesforceSandbox org;
  String token;

  @Test
  void everyRequestSeesTheOrgWhollyBeforeOrAfterAReset() throws Exception {
    org = SalesforceSandbox.start(SalesforceSandboxFixture.settings(dir));
    try {
      SalesforceSandboxSettings s = org.settings();
      HttpResponse<String> login =
          send(
              "POST",
              "/services/oauth2/token",
              "grant_type=password&client_id="
                  + q(s.clientId())
                  + "&client_secret="
                  + q(s.clientSecret())
                  + "&username="
                  + q(s.username())
                  + "&password="
                  + q(s.password()),
              "application/x-www-form-urlencoded");
      token = (String) map(login.body()).get("access_token");
      Object seeded = projection();
      int seedContacts = org.records("Contact").size();
      assertThat(seedContacts).isPositive();

      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong resetsStarted = new AtomicLong();
      AtomicLong resetsDone = new AtomicLong();
      AtomicInteger pairs = new AtomicInteger();
      Queue<String> problems = new ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        String prefix = "w" + w + "-";
        writers.add(
            pool.submit(
                () -> {
                  int i = 0;
                  while (!stop.get()) {
                    i++;
                    long before = resetsDone.get();
                    HttpResponse<String> c =
                        send(
                            "POST",
                            V + "/composite/sobjects",
                            "{\"allOrNone\":true,\"records\":["
                                + "{\"attributes\":{\"type\":\"Contact\"},\"LastName\":\""
                                + prefix
                                + i
                                + "-a\"},"
                                + "{\"attributes\":{\"type\":\"Contact\"},\"LastName\":\""
                                + prefix
                                + i
                                + "-b\"}]}",
                            "application/json");
                    if (c.statusCode() != 200 || c.body().contains("\"success\":false")) {
                      problems.add("create " + c.statusCode() + " " + c.body());
                      continue;
                    }
                    pairs.incrementAndGet();
                    String id =
                        (String)
                            JSON.readValue(
                                    c.body(), new TypeReference<List<Map<String, Object>>>() {})
                                .get(0)
                                .get("id");
                    check(
                        problems,
                        "fetch",
                        get(V + "/sobjects/Contact/" + id),
                        200,
                        before,
                        resetsStarted);
                    check(
                        problems,
                        "update",
                        send(
                            "PATCH",
                            V + "/sobjects/Contact/" + id,
                            "{\"Title\":\"Updated\"}",
                            "application/json"),
                        204,
                        before,
                        resetsStarted);
                    HttpResponse<String> qr =
                        get(V + "/query?q=" + q("SELECT LastName FROM Contact"));
                    if (qr.statusCode() != 200) {
                      problems.add("query " + qr.statusCode() + " " + qr.body());
                      continue;
                    }
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> rows =
                        (List<Map<String, Object>>) map(qr.body()).get("records");
                    Set<String> names =
                        rows.stream()
                            .map(r -> String.valueOf(r.get("LastName")))
                            .collect(Collectors.toSet());
                    long seen = names.stream().filter(n -> !n.matches("w\\d-.*")).count();
                    if (seen != seedContacts) {
                      problems.add("query saw " + seen + " seeded contacts of " + seedContacts);
                    }
                    for (String n : names) {
                      if (n.matches("w\\d-\\d+-[ab]")) {
                        String twin =
                            n.substring(0, n.length() - 1) + (n.endsWith("a") ? "b" : "a");
                        if (!names.contains(twin)) {
                          problems.add("half a pair visible: " + n);
                        }
                      }
                    }
                  }
                  return null;
                }));
      }
      for (int r = 0; r < RESETS; r++) {
        int target = pairs.get() + WRITERS;
        await()
            .atMost(Duration.ofSeconds(120))
            .until(() -> pairs.get() >= target || !problems.isEmpty());
        resetsStarted.incrementAndGet();
        HttpResponse<String> reset = send("POST", "/sandbox/reset", null, null);
        assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
        resetsDone.incrementAndGet();
      }
      stop.set(true);
      for (Future<?> w : writers) {
        w.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(problems).as("requests that saw a half-reset org").isEmpty();
      assertThat(pairs.get()).isGreaterThanOrEqualTo(RESETS * WRITERS);

      assertThat(send("POST", "/sandbox/reset", null, null).statusCode()).isEqualTo(200);
      assertThat(projection()).isEqualTo(seeded);
      assertThat(JSON.readValue(get("/sandbox/events").body(), List.class)).isEmpty();
      // Contacts queryAll would show as deleted: none, the recycle bin is emptied too.
      assertThat(
              map(get(V + "/queryAll?q=" + q("SELECT Id FROM Contact WHERE IsDeleted = true"))
                      .body())
                  .get("totalSize"))
          .isEqualTo(0);
    } finally {
      org.close();
    }
  }

  /**
   * The records through the control API without what a reset sets anew (Ids, references, system
   * dates), sorted, so the seeded org can be compared with itself after a reset.
   */
  private Object projection() throws Exception {
    Map<String, List<Map<String, Object>>> all =
        JSON.readValue(get("/sandbox/records").body(), new TypeReference<>() {});
    Map<String, List<String>> out = new TreeMap<>();
    all.forEach(
        (object, records) ->
            out.put(
                object,
                records.stream()
                    .map(
                        r -> {
                          Map<String, Object> kept = new TreeMap<>();
                          r.forEach(
                              (k, v) -> {
                                boolean id =
                                    v instanceof String str
                                        && str.matches("[a-zA-Z0-9]{18}")
                                        && !str.matches("\\d+");
                                if (!id
                                    && !k.equals("attributes")
                                    && !k.endsWith("Date")
                                    && !k.equals("SystemModstamp")) {
                                  kept.put(k, v);
                                }
                              });
                          return kept.toString();
                        })
                    .sorted()
                    .toList()));
    return out;
  }

  private static void check(
      Queue<String> problems,
      String what,
      HttpResponse<String> r,
      int expected,
      long before,
      AtomicLong resetsStarted) {
    if (r.statusCode() == expected) {
      return;
    }
    if (r.statusCode() == 404 && resetsStarted.get() > before) {
      return;
    }
    problems.add(what + " " + r.statusCode() + " " + r.body());
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static Map<String, Object> map(String body) {
    try {
      return JSON.readValue(body, new TypeReference<>() {});
    } catch (java.io.IOException e) {
      throw new IllegalStateException(body, e);
    }
  }

  private HttpResponse<String> get(String path) {
    return send("GET", path, null, null);
  }

  private HttpResponse<String> send(String method, String path, String body, String type) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(org.baseUrl() + path))
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body));
      if (type != null) {
        b.header("Content-Type", type);
      }
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
