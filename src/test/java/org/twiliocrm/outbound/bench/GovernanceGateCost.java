package org.twiliocrm.outbound.bench;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.Policies;
import org.twiliocrm.governance.PolicyLoader;
import org.twiliocrm.outbound.MessageValidator;
import org.twiliocrm.outbound.OutboxNode;
import org.twiliocrm.outbound.OutboxRow;
import org.twiliocrm.outbound.OutboxStore;
import org.twiliocrm.outbound.OutboxWork;
import org.twiliocrm.outbound.PolicyGate;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;

/**
 * The policy gate's own cost per row (issue 13, point 8; not a test). The governance benchmark's
 * end-to-end ratio is at the mercy of a shared machine's noise; this one times the gate step alone
 * on the batches the claim loop would hand it: the same rows as {@link GovernanceBenchmark} (20
 * campaigns, every other row with a link, all to US numbers), claimed in batches of the claim
 * loop's refill size, validated and rendered by the connector's own beans, then passed through
 * three gates in turn: an empty policy, the realistic policy without its two bulk rules, and the
 * realistic policy. Each batch's rows are then marked SENT, as the result writer would, so the
 * table churns as in a real run. Prints the median and mean nanoseconds per row of each gate and,
 * for scale, of claim + validate + render.
 *
 * <p>Run: {@code java -cp ... org.twiliocrm.outbound.bench.GovernanceGateCost [rows [batch
 * [passes]]]}
 */
public final class GovernanceGateCost {
  /** {@link GovernanceBenchmark#REALISTIC} without the bulk rules (what the count costs). */
  static final String NO_BULK =
      """
      approval-expiry: 24h
      rules:
        - name: crm-free-text
          when: { free-text-from: [crm] }
        - name: abroad
          when: { destination-outside: [US, CA, GB, IE] }
        - name: foreign-links
          when: { urls-outside: [example.com, twilio.com] }
        - name: calls
          when: { channel: [voice] }
        - name: new-reminder-version
          when: { first-send-of-template-version: true, template: [appointment-reminder] }
      """;

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int passes = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String schema = "gov_cost_" + Long.toHexString(System.nanoTime());
    ConnectorConfig.Db db = OutboxBenchmark.postgres(schema);
    Path realistic = Files.createTempFile("policies-realistic", ".yaml");
    Path noBulk = Files.createTempFile("policies-no-bulk", ".yaml");
    Path empty = Files.createTempFile("policies-empty", ".yaml");
    Files.writeString(realistic, GovernanceBenchmark.REALISTIC, StandardCharsets.UTF_8);
    Files.writeString(noBulk, NO_BULK, StandardCharsets.UTF_8);
    Files.writeString(empty, "rules: []\n", StandardCharsets.UTF_8);
    System.out.printf(
        "machine: %d cores, load average %.1f at start%n",
        Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Map<String, String> sb =
        Map.of("sandbox.twilio.port", "0", "sandbox.twilio.validation.requests", "false");
    Map<String, String> props = new HashMap<>(OutboxBenchmark.base());
    // The beans only: nothing claims or sends but this loop.
    props.put("outbox.enabled", "false");
    props.put("governance.policies.location", realistic.toString());
    try (TwilioSandbox sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(sb::get));
        OutboxNode node = OutboxNode.start(db, sandbox.baseUrl(), props)) {
      OutboxStore store = node.connector.bean("outboxStore", OutboxStore.class);
      MessageValidator validator = node.connector.bean("outboxValidator", MessageValidator.class);
      String owner = "bench";
      PolicyLoader loader = new PolicyLoader(n -> true, Duration.ofHours(24));
      Audit audit = new Audit(node.db.dataSource());
      String[] names = {"empty policy", "realistic without bulk", "realistic (7 rules)"};
      PolicyGate[] gates = {
        gate(node, new Policies(loader, empty.toString(), audit), owner),
        gate(node, new Policies(loader, noBulk.toString(), audit), owner),
        node.connector.bean("policyGate", PolicyGate.class)
      };
      for (int pass = 0; pass <= passes; pass++) {
        OutboxBenchmark.exec(node.db, "TRUNCATE outbox_attempt, outbox_message");
        GovernanceBenchmark.insert(node.db, "cost-" + pass, rows, 20, null);
        OutboxBenchmark.exec(node.db, "VACUUM ANALYZE outbox_message");
        OutboxBenchmark.exec(node.db, "VACUUM ANALYZE outbox_bulk_tally");
        List<List<Double>> perRow = new ArrayList<>();
        long[] total = new long[gates.length + 1];
        for (int g = 0; g <= gates.length; g++) {
          perRow.add(new ArrayList<>());
        }
        int done = 0;
        while (true) {
          long t0 = System.nanoTime();
          List<OutboxRow> claimed = store.claim(owner, batch, 600_000);
          if (claimed.isEmpty()) {
            break;
          }
          List<OutboxWork> work = new ArrayList<>(claimed.size());
          for (OutboxRow r : claimed) {
            work.add(new OutboxWork(r));
          }
          validator.validateAll(work);
          validator.renderAll(work);
          long t1 = System.nanoTime();
          record(perRow.get(0), total, 0, t1 - t0, work.size());
          for (int g = 0; g < gates.length; g++) {
            long a = System.nanoTime();
            gates[g].holdAll(work);
            long b = System.nanoTime();
            record(perRow.get(g + 1), total, g + 1, b - a, work.size());
          }
          StringJoiner ids = new StringJoiner(",");
          for (OutboxWork w : work) {
            if (w.isDecided()) {
              throw new IllegalStateException("a gate decided row " + w.getRow().id());
            }
            ids.add(String.valueOf(w.getRow().id()));
          }
          OutboxBenchmark.exec(
              node.db,
              "UPDATE outbox_message SET status = 'SENT', lease_owner = NULL, lease_until = NULL"
                  + " WHERE id IN ("
                  + ids
                  + ")");
          done += work.size();
        }
        if (pass == 0) {
          System.out.printf("warm-up pass: %d rows%n", done);
          continue;
        }
        System.out.printf("pass %d: %d rows in batches of %d, ns per row:%n", pass, done, batch);
        System.out.printf(
            "   %-28s median %8.0f  mean %8.0f%n",
            "claim + validate + render", median(perRow.get(0)), total[0] / (double) done);
        for (int g = 0; g < gates.length; g++) {
          System.out.printf(
              "   gate, %-22s median %8.0f  mean %8.0f%n",
              names[g], median(perRow.get(g + 1)), total[g + 1] / (double) done);
        }
      }
    } finally {
      if (System.getProperty("keep.schema") == null) {
        OutboxBenchmark.dropPostgres(schema);
      } else {
        System.out.println("schema kept: " + schema);
      }
      Files.deleteIfExists(realistic);
      Files.deleteIfExists(noBulk);
      Files.deleteIfExists(empty);
    }
    System.out.printf(
        "load average %.1f at end%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    System.exit(0);
  }

  private static PolicyGate gate(OutboxNode node, Policies policies, String owner) {
    return new PolicyGate(node.db.dataSource(), node.db.vendor(), policies, owner, n -> null);
  }

  private static void record(List<Double> perRow, long[] total, int i, long nanos, int rows) {
    perRow.add(nanos / (double) rows);
    total[i] += nanos;
  }

  private static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    return s.isEmpty() ? 0 : s.get(s.size() / 2);
  }
}
