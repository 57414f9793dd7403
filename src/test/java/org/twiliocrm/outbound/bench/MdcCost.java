package org.twiliocrm.outbound.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;

/**
 * The CPU cost of {@code connector.log.mdc}: the outbox benchmark's run (rows sent through the
 * in-JVM Twilio sandbox, PostgreSQL) alternately with the MDC on and off, this process's CPU time
 * per row (connector and sandbox together, start-up included), median of the rounds. {@code
 * org.twiliocrm.outbound.bench.MdcCost [rows] [rounds]}
 */
public final class MdcCost {
  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    ConnectorConfig.Db db =
        OutboxBenchmark.postgres("mdc_cost_" + Long.toHexString(System.nanoTime()));
    Map<String, String> sb =
        Map.of(
            "sandbox.twilio.port", "0",
            "sandbox.twilio.validation.requests", "false",
            "sandbox.twilio.max-in-flight", "100",
            "sandbox.twilio.lifecycle.step-millis", "50");
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    System.out.printf(
        "machine: %d cores, load average %.1f at start%n",
        Runtime.getRuntime().availableProcessors(), os.getSystemLoadAverage());
    Map<String, List<Double>> cpuPerRow = new HashMap<>();
    Map<String, List<Double>> rate = new HashMap<>();
    try (TwilioSandbox sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(sb::get))) {
      Map<String, String> base = OutboxBenchmark.base();
      base.put("connector.log.mdc", "true");
      OutboxBenchmark.run(db, sandbox, base, rows, "warm-up");
      for (int r = 0; r < rounds; r++) {
        for (String mdc : r % 2 == 0 ? List.of("true", "false") : List.of("false", "true")) {
          Map<String, String> p = new HashMap<>(OutboxBenchmark.base());
          p.put("connector.log.mdc", mdc);
          long cpu0 = os.getProcessCpuTime();
          double sendsPerSecond = OutboxBenchmark.run(db, sandbox, p, rows, "mdc-" + mdc);
          double us = (os.getProcessCpuTime() - cpu0) / 1e3 / rows;
          cpuPerRow.computeIfAbsent(mdc, k -> new ArrayList<>()).add(us);
          rate.computeIfAbsent(mdc, k -> new ArrayList<>()).add(sendsPerSecond);
          System.out.printf(
              "round %d mdc=%s: %.0f us CPU per row, %.0f sends/s%n", r, mdc, us, sendsPerSecond);
        }
      }
    }
    double on = median(cpuPerRow.get("true"));
    double off = median(cpuPerRow.get("false"));
    System.out.printf(
        "connector.log.mdc: median %.0f us CPU per row on, %.0f off (%+.1f%%); sends/s median %.0f"
            + " on, %.0f off; load average %.1f at end%n",
        on,
        off,
        (on - off) / off * 100,
        median(rate.get("true")),
        median(rate.get("false")),
        os.getSystemLoadAverage());
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
