package org.twiliocrm.outbound;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.db.Transactions;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.senders.SenderInventory;
import org.twiliocrm.senders.SenderRegistry;

/**
 * Route step "senders" of the outbox route ({@code senderGate.checkAll}): a row whose sender the
 * Twilio account does not own (From, or MessagingServiceSid without a From), or whose registration
 * does not allow the row's channel (no capability, a US long code without a VERIFIED A2P 10DLC
 * campaign, a toll-free number without an approved verification), ends BLOCKED with reason code
 * SENDER_NOT_ALLOWED before any request to Twilio, audited like the other governance decisions.
 *
 * <p>The check reads the cached {@link SenderRegistry}: no Twilio call per row. A sender the cache
 * does not know makes it read again first (at most every 10 s), so a number bought after the last
 * read is not refused for long. Without any inventory yet (Twilio not reachable since start) the
 * rows are retried later (RETRY, SENDER_REGISTRY_UNAVAILABLE), never sent unchecked. Verify rows
 * name no sender and pass; rows being reconciled pass (their first send was checked).
 */
public final class SenderGate {
  private static final Logger LOG = LoggerFactory.getLogger(SenderGate.class);
  public static final String REASON = "SENDER_NOT_ALLOWED";

  private final DataSource dataSource;
  private final SenderRegistry registry;

  /**
   * @param registry null: the check is off (governance.senders.enabled=false)
   */
  public SenderGate(DataSource dataSource, SenderRegistry registry) {
    this.dataSource = dataSource;
    this.registry = registry;
  }

  /** Route step over a claimed batch. Never throws. */
  public List<OutboxWork> checkAll(List<OutboxWork> batch) {
    if (registry == null) {
      return batch;
    }
    List<OutboxWork> todo = new ArrayList<>(batch.size());
    for (OutboxWork w : batch) {
      if (!w.isDecided() && !w.isReconciling() && !"verify".equals(w.getChannel())) {
        todo.add(w);
      }
    }
    if (todo.isEmpty()) {
      return batch;
    }
    SenderInventory inv = registry.current().orElse(null);
    if (inv == null
        || todo.stream().anyMatch(w -> !inv.knows(w.getFrom(), w.getMessagingServiceSid()))) {
      registry.refreshIfStale();
    }
    SenderInventory now = registry.current().orElse(null);
    if (now == null) {
      String why = "sender registry not read from Twilio yet: " + registry.lastError();
      for (OutboxWork w : todo) {
        w.decide(Outcome.retry("SENDER_REGISTRY_UNAVAILABLE", why, null, 5_000));
        // The attempt log's result column holds 24 characters.
        w.log("SENDERS", "REGISTRY_UNAVAILABLE", null, null, null, why);
      }
      return batch;
    }
    List<OutboxWork> blocked = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (OutboxWork w : todo) {
      Optional<String> refusal =
          now.refusal(w.getChannel(), w.getFrom(), w.getMessagingServiceSid());
      if (refusal.isPresent()) {
        w.decide(Outcome.blocked(REASON, refusal.get()));
        w.log("SENDERS", "BLOCKED", null, null, null, refusal.get());
        blocked.add(w);
        reasons.add(refusal.get());
      }
    }
    if (!blocked.isEmpty()) {
      audit(blocked, reasons);
    }
    return batch;
  }

  /** One audit entry per blocked row, in one transaction; a failure is logged, not fatal. */
  private void audit(List<OutboxWork> blocked, List<String> reasons) {
    try {
      Transactions.run(
          dataSource,
          c -> {
            for (int i = 0; i < blocked.size(); i++) {
              OutboxWork w = blocked.get(i);
              Audit.append(
                  c,
                  Audit.Entry.of(
                      Audit.CONNECTOR,
                      "BLOCKED",
                      "outbox_message",
                      String.valueOf(w.getRow().id()),
                      w.getRow().claimedAs(),
                      "BLOCKED " + REASON,
                      "check senders, channel " + w.getChannel() + ": " + reasons.get(i)));
            }
          });
    } catch (SQLException | RuntimeException e) {
      LOG.warn("Could not audit {} sender refusal(s): {}", blocked.size(), e.getMessage());
    }
  }
}
