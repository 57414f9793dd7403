package org.twiliocrm.outbound;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.twiliocrm.governance.RecipientPolicy;

/**
 * One claimed batch as the recipient checks see it: each row with its purpose and bare number, and
 * what the checks decided. A check skips rows an earlier check decided, so each row gets at most
 * one decision, from the first check that objects.
 */
final class RecipientBatch {
  /** A row under check. {@code number} is the bare E.164 number (no whatsapp: prefix). */
  static final class Item {
    final OutboxWork work;
    final String purposeName;
    final RecipientPolicy.Purpose purpose;
    final String channel;
    final String number;
    Decision decision;

    Item(OutboxWork work, String purposeName, RecipientPolicy.Purpose purpose, String number) {
      this.work = work;
      this.purposeName = purposeName;
      this.purpose = purpose;
      this.channel = work.getChannel();
      this.number = number;
    }

    boolean open() {
      return decision == null;
    }
  }

  /** BLOCKED, FAILED or HELD (with {@code until}) with a reason code, from one check. */
  record Decision(String check, String status, String code, String reason, Instant until) {}

  final RecipientPolicy policy;
  final Instant now;
  final List<Item> items;

  RecipientBatch(RecipientPolicy policy, Instant now, List<Item> items) {
    this.policy = policy;
    this.now = now;
    this.items = items;
  }

  List<Item> open() {
    List<Item> out = new ArrayList<>(items.size());
    for (Item i : items) {
      if (i.open()) {
        out.add(i);
      }
    }
    return out;
  }

  void block(String check, Item i, String code, String reason) {
    i.decision = new Decision(check, "BLOCKED", code, reason, null);
  }

  void fail(String check, Item i, String code, String reason) {
    i.decision = new Decision(check, "FAILED", code, reason, null);
  }

  void hold(String check, Item i, String code, String reason, Instant until) {
    i.decision = new Decision(check, "HELD", code, reason, until);
  }
}
