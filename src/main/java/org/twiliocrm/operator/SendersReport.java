package org.twiliocrm.operator;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.twiliocrm.senders.SenderAudit;
import org.twiliocrm.senders.SenderInventory;
import org.twiliocrm.senders.SenderRegistry;
import org.twiliocrm.senders.SenderTable;

/**
 * The senders page's data ({@code GET /api/senders}): the account's senders as the {@code senders}
 * command prints them (senders.SenderTable, the same rows and problems), read from the sender
 * registry the outbox keeps when it is on, otherwise from Twilio once and kept until {@code POST
 * /api/senders/refresh} (admin) reads the account again.
 */
public final class SendersReport {
  public static final String BEAN = "sendersReport";

  private final SenderAudit audit;
  private final Supplier<SenderInventory> loader;
  private final Clock clock;
  private final String region;
  private SenderInventory inventory;
  private Instant loadedAt;
  private String error;

  /** {@code region}: the Twilio Region label every sender's traffic uses (the REGION column). */
  public SendersReport(
      SenderAudit audit, Supplier<SenderInventory> loader, Clock clock, String region) {
    this.region = region;
    this.audit = audit;
    this.loader = loader;
    this.clock = clock;
  }

  /**
   * The table; {@code registry} is the outbox's sender registry, or null when sender checks are
   * off. {@code refresh}: read the account again first.
   */
  public synchronized Map<String, Object> read(SenderRegistry registry, boolean refresh) {
    SenderInventory inv;
    String err;
    String source;
    if (registry != null) {
      if (refresh || registry.current().isEmpty()) {
        registry.refresh();
        loadedAt = clock.instant();
      }
      inv = registry.current().orElse(null);
      err = registry.lastError();
      source = "the outbox's sender registry";
    } else {
      if (refresh || (inventory == null && error == null)) {
        try {
          inventory = loader.get();
          error = null;
        } catch (RuntimeException e) {
          error = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        loadedAt = clock.instant();
      }
      inv = inventory;
      err = error;
      source = "Twilio, read on demand";
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("source", source);
    out.put("loadedAt", loadedAt == null ? null : loadedAt.toString());
    out.put("error", err);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("inbound", audit.inboundUrl());
    expected.put("status", audit.statusUrl());
    out.put("expected", expected);
    out.put("columns", SenderTable.COLUMNS);
    if (inv == null) {
      out.put("rows", List.of());
      out.put("problems", List.of());
      return out;
    }
    List<SenderAudit.Problem> problems = audit.check(inv);
    out.put("rows", SenderTable.rows(inv, problems, region));
    List<Object> ps = new ArrayList<>();
    for (SenderAudit.Problem p : problems) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sender", p.sender());
      m.put("check", p.check());
      m.put("found", p.found());
      m.put("fix", p.howToFix());
      ps.add(m);
    }
    out.put("problems", ps);
    return out;
  }
}
