package org.twiliocrm.sandbox.twilio;

import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Twilio sandbox's callback sender alone: status callbacks posted to a bare Vert.x server in
 * the same JVM (it answers 200 and counts), in rounds of N, at most 2,000 waiting. Prints the
 * process's CPU per callback (sender and receiver together), callbacks/s and live threads per
 * round, then the median of the rounds after the first (warm-up). In the package, not in bench/,
 * because the sender is package-private. {@code bash bench/run twilio-sandbox} runs it.
 *
 * <p>Usage: CallbackSenderBench [N=20000] [ROUNDS=5]
 */
public final class CallbackSenderBench {
  private static final String ACCOUNT = "AC00000000000000000000000000000000";

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Vertx receiver = Vertx.vertx();
    Vertx sandbox = Vertx.vertx();
    AtomicLong received = new AtomicLong();
    int port =
        receiver
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            b -> {
                              received.incrementAndGet();
                              req.response().setStatusCode(200).end();
                            }))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get()
            .actualPort();
    String url = "http://127.0.0.1:" + port + "/status";
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    List<Double> cpuEach = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    long sent = 0;
    try (CallbackSender sender = new CallbackSender(sandbox, () -> Faults.NONE, a -> "t", 5_000)) {
      for (int round = 0; round < rounds; round++) {
        long base = received.get();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          String sid = String.format("SM%032d", sent++);
          Map<String, List<String>> p =
              Map.of(
                  "MessageSid", List.of(sid),
                  "MessageStatus", List.of("delivered"),
                  "AccountSid", List.of(ACCOUNT),
                  "To", List.of("+14155550100"),
                  "From", List.of("+15005550006"));
          sender.statusCallback(ACCOUNT, url, sid, "delivered", () -> p, e -> {});
          while (i - (received.get() - base) > 2_000) {
            Thread.onSpinWait();
          }
        }
        while (received.get() - base < n) {
          Thread.onSpinWait();
        }
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e3 / n;
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        System.out.printf(
            "round %d: %,d callbacks, %.0f us CPU each (sender and receiver), %,.0f/s, %d live"
                + " threads%n",
            round, n, cpu, rate, Thread.activeCount());
        if (round > 0) {
          cpuEach.add(cpu);
          rates.add(rate);
        }
      }
    } finally {
      sandbox.close();
      receiver.close();
    }
    if (!cpuEach.isEmpty()) {
      Collections.sort(cpuEach);
      Collections.sort(rates);
      System.out.printf(
          "callback sender: median %.0f us of CPU per callback, %,.0f callbacks/s (rounds 2-%d)%n",
          cpuEach.get(cpuEach.size() / 2), rates.get(rates.size() / 2), rounds);
    }
    System.exit(0);
  }
}
