package org.twiliocrm.outbound.bench;

import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

/** Raw SDK on N threads against an in-process sandbox: does every create get an answer? */
public final class SandboxProbe {
  public static void main(String[] args) throws Exception {
    int threads = Integer.parseInt(args[0]);
    int total = Integer.parseInt(args[1]);
    Map<String, String> s =
        Map.of(
            "sandbox.twilio.port", "0",
            "sandbox.twilio.validation.requests", "false",
            "sandbox.twilio.max-in-flight", "1000");
    try (TwilioSandbox sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(s::get));
        TwilioClientFactory f =
            new TwilioClientFactory(
                new TwilioClientSettings(
                    sandbox.baseUrl(),
                    "AC00000000000000000000000000000000",
                    "sandbox-auth-token",
                    null,
                    null,
                    200,
                    2000,
                    5000))) {
      TwilioRestClient c = f.create();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger err = new AtomicInteger();
      long t0 = System.nanoTime();
      for (int i = 0; i < total; i++) {
        int n = i;
        pool.submit(
            () -> {
              try {
                Message.creator(
                        new PhoneNumber("+1415555" + String.format("%04d", n % 10)),
                        new PhoneNumber("+15005550006"),
                        "probe " + n)
                    .create(c);
                ok.incrementAndGet();
              } catch (RuntimeException e) {
                if (err.incrementAndGet() < 5) {
                  System.out.println("error: " + e);
                }
              }
            });
      }
      pool.shutdown();
      boolean done = pool.awaitTermination(60, TimeUnit.SECONDS);
      double s2 = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "done=%s ok=%d err=%d in %.1fs = %.0f/s%n", done, ok.get(), err.get(), s2, ok.get() / s2);
      System.exit(0);
    }
  }
}
