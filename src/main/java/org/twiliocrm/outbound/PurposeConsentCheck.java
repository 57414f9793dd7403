package org.twiliocrm.outbound;

import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.twiliocrm.governance.ConsentLedger;
import org.twiliocrm.governance.RecipientPolicy;

/**
 * Consent by purpose: the purpose's rule for the channel (none, no-opt-out, opt-in) against the
 * consent in force for the purpose and for all purposes ({@code *}), one query per batch. The later
 * of the two decides whether the recipient is opted out (BLOCKED, OPTED_OUT); an opt-in rule also
 * needs an OPTED_IN for the purpose itself (a pending double opt-in is not one): else BLOCKED,
 * NO_OPT_IN. The reason names the source, evidence and time of the consent that decided.
 */
final class PurposeConsentCheck implements RecipientCheck {
  private final ConsentLedger ledger;

  PurposeConsentCheck(ConsentLedger ledger) {
    this.ledger = ledger;
  }

  @Override
  public String name() {
    return "consent";
  }

  @Override
  public void apply(RecipientBatch b) throws SQLException {
    Set<String> numbers = new LinkedHashSet<>();
    for (RecipientBatch.Item i : b.open()) {
      if (i.purpose.consentFor(i.channel) != RecipientPolicy.ConsentRule.NONE) {
        numbers.add(i.number);
      }
    }
    if (numbers.isEmpty()) {
      return;
    }
    Map<String, Map<String, ConsentLedger.State>> states = ledger.states(numbers);
    for (RecipientBatch.Item i : b.open()) {
      RecipientPolicy.ConsentRule rule = i.purpose.consentFor(i.channel);
      if (rule == RecipientPolicy.ConsentRule.NONE) {
        continue;
      }
      Map<String, ConsentLedger.State> s = states.getOrDefault(i.number, Map.of());
      ConsentLedger.State own = s.get(i.purposeName);
      ConsentLedger.State all = s.get(RecipientPolicy.ALL_PURPOSES);
      ConsentLedger.State latest = latestSettled(own, all);
      if (latest != null && ConsentLedger.OPTED_OUT.equals(latest.status())) {
        b.block(
            name(),
            i,
            "OPTED_OUT",
            "recipient opted out of "
                + (latest == all ? "all purposes" : i.purposeName)
                + describe(latest));
      } else if (rule == RecipientPolicy.ConsentRule.OPT_IN
          && (own == null || !ConsentLedger.OPTED_IN.equals(own.status()))) {
        b.block(
            name(),
            i,
            "NO_OPT_IN",
            i.purposeName
                + " on "
                + i.channel
                + " needs a recorded opt-in"
                + (own != null && ConsentLedger.PENDING.equals(own.status())
                    ? "; a double opt-in awaits confirmation since " + own.occurredAt()
                    : ""));
      }
    }
  }

  /** The later of two states, ignoring one awaiting confirmation (it settles nothing yet). */
  private static ConsentLedger.State latestSettled(ConsentLedger.State a, ConsentLedger.State b) {
    if (a != null && ConsentLedger.PENDING.equals(a.status())) {
      a = null;
    }
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return b.occurredAt().isAfter(a.occurredAt()) ? b : a;
  }

  private static String describe(ConsentLedger.State s) {
    return " (source "
        + s.source()
        + (s.evidence() == null ? "" : ", evidence " + s.evidence())
        + ", at "
        + s.occurredAt()
        + ")";
  }
}
