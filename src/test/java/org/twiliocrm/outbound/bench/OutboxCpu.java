package org.twiliocrm.outbound.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxNode;
import org.twiliocrm.outbound.OutboxRecorder;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;

/**
 * The outbox's CPU per row (not a test): run (a) of {@link OutboxBenchmark} (PostgreSQL, the Twilio
 * sandbox in this JVM with request validation off, callbacks off), after full-size warm-ups, this
 * process's CPU time (connector and sandbox together) from the first Twilio request to the last row
 * final, per row, for each measured run and their median. Start-up is left out: it does not grow
 * with the rows. To compare two builds, run this class alternately in each (same machine, same
 * session) and compare the medians.
 *
 * <p>{@code org.twiliocrm.outbound.bench.OutboxCpu [rows=10000] [runs=5] [warm-ups=4]}
 */
public final class OutboxCpu {
  private OutboxCpu() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int warmups = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    String schema = "outbox_cpu_" + Long.toHexString(System.nanoTime());
    ConnectorConfig.Db db = OutboxBenchmark.postgres(schema);
    Map<String, String> sb =
        Map.of(
            "sandbox.twilio.port", "0",
            "sandbox.twilio.validation.requests", "false",
            "sandbox.twilio.max-in-flight", "100",
            "sandbox.twilio.lifecycle.step-millis", "50");
    double load0 = os.getSystemLoadAverage();
    List<Double> cpu = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    try (TwilioSandbox sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(sb::get))) {
      Map<String, String> base = OutboxBenchmark.base();
      for (int i = 0; i < warmups + runs; i++) {
        double[] r = run(db, sandbox, base, rows, os);
        boolean measured = i >= warmups;
        System.out.printf(
            "%s %d: %.0f us CPU per row, %.0f sends/s, load %.1f%n",
            measured ? "run" : "warm-up",
            measured ? i - warmups + 1 : i + 1,
            r[0],
            r[1],
            os.getSystemLoadAverage());
        if (measured) {
          cpu.add(r[0]);
          rates.add(r[1]);
        }
      }
    } finally {
      OutboxBenchmark.dropPostgres(schema);
    }
    System.out.printf(
        "RESULT median %.0f us CPU per row (runs %s), median %.0f sends/s, load average %.1f at"
            + " start, %.1f at end%n",
        median(cpu),
        cpu.stream().map(d -> String.format("%.0f", d)).toList(),
        median(rates),
        load0,
        os.getSystemLoadAverage());
    System.exit(0);
  }

  /** {CPU µs per row, sends/s} of one run over {@code n} freshly inserted rows. */
  private static double[] run(
      ConnectorConfig.Db db,
      TwilioSandbox sandbox,
      Map<String, String> props,
      int n,
      OperatingSystemMXBean os)
      throws Exception {
    try (Database d = Database.open(db)) {
      OutboxBenchmark.exec(d, "DELETE FROM outbox_attempt");
      OutboxBenchmark.exec(d, "DELETE FROM outbox_message");
      OutboxBenchmark.insert(d, "cpu", n);
      OutboxBenchmark.exec(d, "VACUUM ANALYZE outbox_message");
      OutboxBenchmark.exec(d, "VACUUM ANALYZE outbox_attempt");
    }
    OutboxBenchmark.FIRST_REQUEST.set(0);
    try (OutboxNode node =
        OutboxNode.start(db, sandbox.baseUrl(), OutboxBenchmark.client(sandbox, false), props)) {
      while (OutboxBenchmark.FIRST_REQUEST.get() == 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(200_000);
      }
      long cpu0 = os.getProcessCpuTime();
      long first = OutboxBenchmark.FIRST_REQUEST.get();
      OutboxRecorder recorder = node.recorder();
      long deadline = System.nanoTime() + 600_000_000_000L;
      while (System.nanoTime() < deadline) {
        if (recorder.recorded() >= n
            && OutboxBenchmark.count(node.db, "status IN ('SENT','FAILED','BLOCKED')") >= n) {
          break;
        }
        Thread.sleep(5);
      }
      long end = System.nanoTime();
      long cpu1 = os.getProcessCpuTime();
      long sent = OutboxBenchmark.count(node.db, "status = 'SENT'");
      if (sent != n) {
        throw new IllegalStateException("only " + sent + " of " + n + " rows SENT");
      }
      return new double[] {(cpu1 - cpu0) / 1e3 / n, n / ((end - first) / 1e9)};
    }
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
