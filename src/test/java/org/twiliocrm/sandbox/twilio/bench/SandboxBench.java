package org.twiliocrm.sandbox.twilio.bench;

import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

/**
 * Messages creates per second against the sandbox through the real twilio-java SDK (keep-alive, no
 * added latency), with request validation off and on. Not a test: run with
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *   org.twiliocrm.sandbox.twilio.bench.SandboxBench [seconds=10] [threads=100] [bare|off|on|both] [baseUrl]
 * </pre>
 *
 * With a baseUrl the sandbox is not started here (run {@code TwilioSandboxMain} in its own JVM).
 * Mode {@code bare} measures a minimal Vert.x endpoint answering a canned 201 instead, as the
 * reference for what this machine can do at the moment (it is shared, so figures move).
 */
public final class SandboxBench {
  public static void main(String[] args) throws Exception {
    // Without a logback.xml, logback logs DEBUG to the console, HTTP wire logs included.
    ((ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.INFO);
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    String mode = args.length > 2 ? args[2] : "both";
    String external = args.length > 3 ? args[3] : null;
    for (String validation :
        mode.equals("both") ? new String[] {"bare", "off", "on"} : new String[] {mode}) {
      Map<String, String> s = new HashMap<>();
      s.put("sandbox.twilio.port", "0");
      s.put("sandbox.twilio.validation.requests", String.valueOf(validation.equals("on")));
      s.put("sandbox.twilio.validation.responses", "false");
      s.put("sandbox.twilio.max-in-flight", "100000");
      // Each thread sends from its own number (its own pacing queue); the sandbox must own them
      // all, as Twilio refuses a From the account does not own. An external sandbox needs the same
      // sandbox.twilio.numbers.
      s.put("sandbox.twilio.numbers", senders(threads));
      TwilioSandbox sandbox =
          external == null ? TwilioSandbox.start(TwilioSandboxSettings.from(s::get)) : null;
      String base = external != null ? external : sandbox.baseUrl();
      try (TwilioClientFactory factory =
          new TwilioClientFactory(
              new TwilioClientSettings(
                  base,
                  TwilioSandboxSettings.DEFAULT_ACCOUNT_SID,
                  TwilioSandboxSettings.DEFAULT_AUTH_TOKEN,
                  null,
                  null,
                  threads * 2,
                  5000,
                  30000,
                  null,
                  null))) {
        TwilioRestClient client = factory.create();
        run(client, threads, 3, new LongAdder(), new LongAdder()); // warm-up
        LongAdder ok = new LongAdder();
        LongAdder failed = new LongAdder();
        long t0 = System.nanoTime();
        run(client, threads, seconds, ok, failed);
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "validation=%s threads=%d seconds=%.1f creates=%d failed=%d -> %.0f creates/s%n",
            validation, threads, secs, ok.sum(), failed.sum(), ok.sum() / secs);
      } finally {
        if (sandbox != null) {
          sandbox.close();
        }
      }
    }
    System.exit(0);
  }

  static String senders(int threads) {
    StringBuilder sb = new StringBuilder();
    for (int id = 0; id < threads; id++) {
      sb.append(id == 0 ? "" : ",").append(sender(id));
    }
    return sb.toString();
  }

  static String sender(int id) {
    return "+1500555" + String.format("%04d", 1000 + id);
  }

  private static void run(
      TwilioRestClient client, int threads, int seconds, LongAdder ok, LongAdder failed)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th =
          new Thread(
              () -> {
                PhoneNumber from = new PhoneNumber(sender(id));
                PhoneNumber to = new PhoneNumber("+1415555" + String.format("%04d", id));
                while (!stop.get()) {
                  try {
                    Message.creator(to, from, "benchmark message").create(client);
                    ok.increment();
                  } catch (RuntimeException e) {
                    failed.increment();
                  }
                }
                done.countDown();
              });
      th.setDaemon(true);
      th.start();
    }
    Thread.sleep(seconds * 1000L); // a benchmark's fixed run length, not a test wait
    stop.set(true);
    done.await();
  }
}
