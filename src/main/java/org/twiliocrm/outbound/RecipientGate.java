package org.twiliocrm.outbound;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.db.Transactions;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.ConsentLedger;
import org.twiliocrm.governance.RecipientPolicies;
import org.twiliocrm.governance.RecipientPolicy;

/**
 * Route step "recipients" of the outbox route ({@code recipientGate.checkAll}): the recipient
 * checks of {@code governance/recipients.yaml}, composed here in their order, each in its own
 * class:
 *
 * <ol>
 *   <li>{@link GeoPermissionCheck}: FAILED, GEO_NOT_ALLOWED
 *   <li>{@link PurposeConsentCheck}: BLOCKED, OPTED_OUT or NO_OPT_IN
 *   <li>{@link OtpLimitCheck}: FAILED, OTP_RATE_LIMITED
 *   <li>{@link QuietHoursCheck}: HELD, QUIET_HOURS until the window opens
 *   <li>{@link FrequencyCapCheck}: HELD (or FAILED), FREQUENCY_CAP
 * </ol>
 *
 * <p>Holds are written here, under the row's lease, with send_after at the time the row may go and
 * held_from the status to resume with; {@link TimedHolds} releases them with one statement per
 * tick, whatever the number of held rows. BLOCKED and FAILED go through the recorder like any other
 * final outcome. Every decision is audited (governance_audit, subject outbox_message) and counted
 * (twiliocrm.governance.recipient.decisions, tags check and code). Rows being reconciled pass:
 * their first send was checked, and the reconciler decides whether they go again.
 */
public final class RecipientGate {
  private static final Logger LOG = LoggerFactory.getLogger(RecipientGate.class);

  private final DataSource dataSource;
  private final Vendor vendor;
  private final RecipientPolicies policies;
  private final String owner;
  private final Meters meters;
  private final List<RecipientCheck> checks;
  private volatile Clock clock = Clock.systemUTC();

  public RecipientGate(
      DataSource dataSource,
      Vendor vendor,
      RecipientPolicies policies,
      String owner,
      Supplier<MeterRegistry> registry) {
    this.dataSource = dataSource;
    this.vendor = vendor;
    this.policies = policies;
    this.owner = owner;
    this.meters = new Meters(registry);
    RecentSends recent = new RecentSends(dataSource, vendor);
    this.checks =
        List.of(
            new GeoPermissionCheck(),
            new PurposeConsentCheck(new ConsentLedger(dataSource)),
            new OtpLimitCheck(recent, meters),
            new QuietHoursCheck(),
            new FrequencyCapCheck(recent));
  }

  /** The clock quiet hours are judged by (tests set one; the default is the system's). */
  public void clock(Clock c) {
    this.clock = c;
  }

  public Clock clock() {
    return clock;
  }

  public Meters meters() {
    return meters;
  }

  /** Route step over a claimed batch. Never throws: a database failure retries the rows later. */
  public List<OutboxWork> checkAll(List<OutboxWork> batch) {
    RecipientPolicy policy = policies.current();
    if (policy.purposes().isEmpty() && policy.geo().isEmpty() && policy.otp() == null) {
      return batch;
    }
    List<OutboxWork> todo = new ArrayList<>(batch.size());
    for (OutboxWork w : batch) {
      if (!w.isDecided() && !w.isReconciling() && w.getTo() != null) {
        todo.add(w);
      }
    }
    if (todo.isEmpty()) {
      return batch;
    }
    try {
      check(policy, todo);
    } catch (SQLException | RuntimeException e) {
      LOG.warn("Recipient checks failed for {} row(s), retrying: {}", todo.size(), e.getMessage());
      for (OutboxWork w : todo) {
        if (!w.isDecided()) {
          w.decide(Outcome.retry("GOVERNANCE_CHECK_FAILED", e.getMessage(), null, 5_000));
          w.log("GOVERNANCE", "CHECK_FAILED", null, null, null, e.getMessage());
        }
      }
    }
    return batch;
  }

  private void check(RecipientPolicy policy, List<OutboxWork> todo) throws SQLException {
    List<RecipientBatch.Item> items = new ArrayList<>(todo.size());
    for (OutboxWork w : todo) {
      // The purpose column comes with the claim (no look-up of its own per batch).
      String name = w.getRow().gov().purpose();
      if (name == null) {
        name =
            w.getChannel().equals("verify") && policy.purposes().containsKey("otp")
                ? "otp"
                : policy.defaultPurpose();
      }
      RecipientPolicy.Purpose p = name == null ? null : policy.purpose(name);
      if (p == null) {
        String why =
            "unknown purpose '" + name + "' (declared: " + policy.purposes().keySet() + ")";
        w.decide(Outcome.failed("UNKNOWN_PURPOSE", why, null));
        w.log("GOVERNANCE", "UNKNOWN_PURPOSE", null, null, null, why);
        meters.decision("purpose", "UNKNOWN_PURPOSE");
        continue;
      }
      String to = w.getTo();
      items.add(
          new RecipientBatch.Item(w, name, p, to.startsWith("whatsapp:") ? to.substring(9) : to));
    }
    RecipientBatch b = new RecipientBatch(policy, clock.instant(), items);
    for (RecipientCheck c : checks) {
      if (b.open().isEmpty()) {
        break;
      }
      c.apply(b);
    }
    List<RecipientBatch.Item> decided = new ArrayList<>();
    for (RecipientBatch.Item i : items) {
      if (!i.open()) {
        decided.add(i);
      }
    }
    if (decided.isEmpty()) {
      return;
    }
    write(decided);
    for (RecipientBatch.Item i : decided) {
      RecipientBatch.Decision d = i.decision;
      Outcome o =
          switch (d.status()) {
            case "BLOCKED" -> Outcome.blocked(d.code(), d.reason());
            case "FAILED" -> Outcome.failed(d.code(), d.reason(), null);
            default -> new Outcome("HELD", d.code(), d.reason(), null, null, null, null, 0);
          };
      i.work.decide(o);
      i.work.log("GOVERNANCE", d.status() + " " + d.code(), null, null, null, d.reason());
      meters.decision(d.check(), d.code());
    }
  }

  /**
   * Holds written under the lease (the recorder's later write of the HELD outcome then finds no
   * lease and changes nothing), and an audit entry per decided row, in one transaction.
   */
  private void write(List<RecipientBatch.Item> decided) throws SQLException {
    Transactions.run(
        dataSource,
        c -> {
          TimedHolds.hold(c, vendor, owner, decided);
          for (RecipientBatch.Item i : decided) {
            RecipientBatch.Decision d = i.decision;
            Audit.append(
                c,
                Audit.Entry.of(
                    Audit.CONNECTOR,
                    d.status(),
                    "outbox_message",
                    String.valueOf(i.work.getRow().id()),
                    i.work.getRow().claimedAs(),
                    d.status() + " " + d.code(),
                    "check " + d.check() + ", purpose " + i.purposeName + ": " + d.reason()));
          }
        });
  }

  /** The counters of the recipient checks, on Camel's registry once the context has one. */
  public static final class Meters {
    private final Supplier<MeterRegistry> registry;
    private volatile MeterRegistry resolved;

    Meters(Supplier<MeterRegistry> registry) {
      this.registry = registry;
    }

    public MeterRegistry registry() {
      MeterRegistry m = resolved;
      if (m == null) {
        m = registry == null ? null : registry.get();
        resolved = m == null ? new SimpleMeterRegistry() : m;
      }
      return resolved;
    }

    void decision(String check, String code) {
      Counter.builder("twiliocrm.governance.recipient.decisions")
          .description("Rows the recipient checks blocked, failed or held, by check and code")
          .tag("check", check)
          .tag("code", code)
          .register(registry())
          .increment();
    }

    void otpLimited(String limit) {
      Counter.builder("twiliocrm.governance.otp.rate.limited")
          .description("OTP/verify sends refused by the per-number or per-prefix limit")
          .tag("limit", limit)
          .register(registry())
          .increment();
    }

    void released(int n) {
      Counter.builder("twiliocrm.governance.timed.holds.released")
          .description("Rows held for quiet hours or a frequency cap released when due")
          .register(registry())
          .increment(n);
    }

    public double count(String name, String... tags) {
      var search = registry().find(name);
      if (tags.length > 0) {
        search = search.tags(tags);
      }
      return search.counters().stream().mapToDouble(Counter::count).sum();
    }
  }
}
