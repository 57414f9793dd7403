package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.twiliocrm.testsupport.TestHttp;

/**
 * Resets while API clients create, fetch, redact and delete messages and start verifications: no
 * request fails because of a reset, a resource never vanishes unless a reset started after it was
 * created, and after the last reset the state is exactly the empty start.
 */
class TwilioResetUnderLoadIT {
  static final String VERIFY = "VA" + "4".repeat(32);
  static final int WRITERS = 4;
  static final int RESETS = 15;

  final HttpClient http = TestHttp.client();
  final String auth =
      "Basic "
          + Base64.getEncoder()
              .encodeToString(
                  (TwilioSandboxFixture.ACCOUNT + ":" + TwilioSandboxFixture.TOKEN)
                      .getBytes(StandardCharsets.UTF_8));

  @Test
  void everyRequestSeesTheStateWhollyBeforeOrAfterAReset() throws Exception {
    try (TwilioSandboxFixture fx =
        new TwilioSandboxFixture(
            Map.of(
                "sandbox.twilio.verify.services", VERIFY,
                "sandbox.twilio.verify.max-sends", "100",
                "sandbox.twilio.validation.responses", "false"))) {
      String api = fx.sandbox.baseUrl() + "/2010-04-01/Accounts/" + TwilioSandboxFixture.ACCOUNT;
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong resetsStarted = new AtomicLong();
      // A reset counts as done once its answer came back; one started but not answered may still
      // be about to run, so a create "before" is judged against the completed count.
      AtomicLong resetsDone = new AtomicLong();
      AtomicInteger created = new AtomicInteger();
      Queue<String> problems = new ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        String to = "+1415555" + (1100 + w);
        int writer = w;
        writers.add(
            pool.submit(
                () -> {
                  int i = 0;
                  while (!stop.get()) {
                    i++;
                    long before = resetsDone.get();
                    HttpResponse<String> c =
                        post(
                            api + "/Messages.json",
                            "To=" + q(to) + "&From=%2B15005550006&Body=m" + i);
                    if (c.statusCode() != 201) {
                      problems.add("create " + c.statusCode() + " " + c.body());
                      continue;
                    }
                    created.incrementAndGet();
                    String sid = field(c.body(), "sid");
                    HttpResponse<String> f = send("GET", api + "/Messages/" + sid + ".json", null);
                    check(problems, "fetch", f, before, resetsStarted, 200);
                    HttpResponse<String> v =
                        post(
                            fx.sandbox.baseUrl() + "/v2/Services/" + VERIFY + "/Verifications",
                            "To="
                                + q(String.format("+1415556%d%03d", writer, i % 1000))
                                + "&Channel=sms");
                    check(problems, "verify", v, before, resetsStarted, 201);
                    HttpResponse<String> l =
                        send("GET", api + "/Messages.json?To=" + q(to) + "&PageSize=1000", null);
                    check(problems, "list", l, before, resetsStarted, 200);
                    HttpResponse<String> d =
                        send("DELETE", api + "/Messages/" + sid + ".json", null);
                    // 204, or 400 / 20009 while it is still being sent; 404 only after a reset.
                    if (d.statusCode() != 400) {
                      check(problems, "delete", d, before, resetsStarted, 204);
                    }
                  }
                  return null;
                }));
      }
      for (int r = 0; r < RESETS; r++) {
        int target = created.get() + WRITERS;
        await()
            .atMost(Duration.ofSeconds(120))
            .until(() -> created.get() >= target || !problems.isEmpty());
        resetsStarted.incrementAndGet();
        fx.control("POST", "/sandbox/reset", null);
        resetsDone.incrementAndGet();
      }
      stop.set(true);
      for (Future<?> w : writers) {
        w.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(problems).as("requests that saw a half-reset state").isEmpty();
      assertThat(created.get()).isGreaterThanOrEqualTo(RESETS * WRITERS);

      fx.control("POST", "/sandbox/reset", null);
      for (String list :
          List.of(
              "/sandbox/messages",
              "/sandbox/calls",
              "/sandbox/verifications",
              "/sandbox/verify-services",
              "/sandbox/opt-outs",
              "/sandbox/handsets")) {
        assertThat(fx.controlList(list)).as(list).isEmpty();
      }
      assertThat(fx.controlMap("GET", "/sandbox/requests", null)).isEmpty();
      assertThat(fx.controlList("/sandbox/handsets/+14155551100/inbox")).isEmpty();
      // The configured Verify service is part of the start state: still there.
      assertThat(send("GET", fx.sandbox.baseUrl() + "/v2/Services/" + VERIFY, null).statusCode())
          .isEqualTo(200);
    }
  }

  /**
   * A 404 is consistent only if a reset started after the last one known done before the resource
   * was created.
   */
  private static void check(
      Queue<String> problems,
      String what,
      HttpResponse<String> r,
      long before,
      AtomicLong resetsStarted,
      int expected) {
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

  private static String field(String json, String name) {
    try {
      return String.valueOf(Wire.JSON.readValue(json, Map.class).get(name));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> post(String url, String form) {
    return send("POST", url, form);
  }

  private HttpResponse<String> send(String method, String url, String form) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", auth);
      if (form != null) {
        b.header("Content-Type", "application/x-www-form-urlencoded");
      }
      return http.send(
          b.method(
                  method,
                  form == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(form))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
