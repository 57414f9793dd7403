package org.twiliocrm.senders;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The senders health table: one row per phone number and per Messaging Service of the account, with
 * its registration and webhook state, then each problem with its fix. The {@code senders} command
 * prints it as text ({@link #text}); the operator console's {@code GET /api/senders} serves the
 * same rows as JSON ({@link #rows}), so both always show the same thing. REGION is the Twilio
 * Region (and edge) the connector's traffic goes through: one client sends everything, so every row
 * shows the same one.
 */
public final class SenderTable {
  /** The column headings, in order. */
  public static final List<String> COLUMNS =
      List.of(
          "SENDER",
          "TYPE",
          "CAPABILITIES",
          "SERVICE",
          "A2P 10DLC",
          "TOLL-FREE",
          "INBOUND",
          "STATUS",
          "REGION");

  private SenderTable() {}

  /** The table's rows (without the heading), numbers first, then services; cells as printed. */
  public static List<List<String>> rows(
      SenderInventory inv, List<SenderAudit.Problem> problems, String region) {
    Map<String, List<SenderAudit.Problem>> by = new HashMap<>();
    for (SenderAudit.Problem p : problems) {
      by.computeIfAbsent(p.sender(), k -> new ArrayList<>()).add(p);
    }
    List<List<String>> rows = new ArrayList<>();
    for (SenderInventory.Number n : inv.numbers()) {
      List<SenderAudit.Problem> mine = by.getOrDefault(n.phoneNumber(), List.of());
      SenderInventory.MessagingService svc =
          n.service() == null ? null : inv.service(n.service()).orElse(null);
      boolean viaService = svc != null && !svc.useInboundWebhookOnNumber();
      rows.add(
          List.of(
              n.phoneNumber(),
              n.type().label,
              String.join(",", n.capabilities()),
              n.service() == null ? "-" : n.service(),
              n.type() == SenderInventory.Type.US_LONG_CODE
                  ? (svc == null || svc.a2pStatus() == null ? "none" : svc.a2pStatus())
                  : "-",
              n.type() == SenderInventory.Type.TOLL_FREE
                  ? (n.tollfreeStatus() == null ? "none" : n.tollfreeStatus())
                  : "-",
              viaService ? "(service)" : mark(mine, "inbound webhook"),
              "-",
              region));
    }
    for (SenderInventory.MessagingService s : inv.services()) {
      List<SenderAudit.Problem> mine = by.getOrDefault(s.sid(), List.of());
      rows.add(
          List.of(
              s.sid(),
              "service",
              s.pool().size() + " number(s)",
              "-",
              s.a2pStatus() == null ? "none" : s.a2pStatus(),
              "-",
              s.useInboundWebhookOnNumber() ? "(numbers)" : mark(mine, "inbound webhook"),
              mark(mine, "status callback"),
              region));
    }
    return rows;
  }

  /** The table as the {@code senders} command prints it: aligned columns, then the problems. */
  public static String text(
      SenderInventory inv, List<SenderAudit.Problem> problems, String region) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(COLUMNS);
    rows.addAll(rows(inv, problems, region));
    int[] w = new int[COLUMNS.size()];
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        w[i] = Math.max(w[i], r.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        sb.append(i == 0 ? "" : "  ");
        sb.append(i == r.size() - 1 ? r.get(i) : String.format("%-" + w[i] + "s", r.get(i)));
      }
      sb.append('\n');
    }
    sb.append('\n');
    if (problems.isEmpty()) {
      sb.append("No problems: every sender is set up for this connector.\n");
      return sb.toString();
    }
    sb.append(problems.size()).append(" problem(s):\n");
    for (SenderAudit.Problem p : problems) {
      sb.append("  ✗ ")
          .append(p.sender())
          .append(" ")
          .append(p.check())
          .append(": ")
          .append(p.found())
          .append('\n')
          .append("      fix: ")
          .append(p.howToFix())
          .append('\n');
    }
    return sb.toString();
  }

  private static String mark(List<SenderAudit.Problem> mine, String check) {
    return mine.stream().anyMatch(p -> p.check().equals(check)) ? "✗" : "ok";
  }
}
