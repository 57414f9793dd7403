package org.twiliocrm.crm;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.webhook.CrmAction;
import org.twiliocrm.webhook.CrmActionQueue;
import org.twiliocrm.webhook.MessageStateStore;

/**
 * What every write-back sink shares (bean {@code crmWriteback}): the queues in the database ({@code
 * message_state} rows whose {@code crm_version} is ahead of {@code crm_synced_version}, and PENDING
 * {@code crm_action} rows), the lookup by phone, one backoff and guard for the org, the meters and
 * the batch size. The sinks themselves ({@link MessageWriteback}, {@link TaskWriteback}, {@link
 * OptOutWriteback}) are bound per kamelet through {@code template.beans}.
 */
public final class CrmWriteback {
  private static final Logger LOG = LoggerFactory.getLogger(CrmWriteback.class);

  private final MessageStateStore states;
  private final CrmActionQueue actions;
  private final CrmLookup lookup;
  private final WritebackGuard guard;
  private final WritebackMetrics metrics = new WritebackMetrics();
  private final int batchSize;
  private final String owner;
  private final Duration lease;
  private volatile long backlogCountedAt;

  /**
   * {@code owner}: this replica's name in the lease columns (the outbox's instance id); {@code
   * lease}: how long a claimed record or action is this replica's before another may take it.
   */
  public CrmWriteback(
      MessageStateStore states,
      CrmActionQueue actions,
      CrmLookup lookup,
      int batchSize,
      Duration initialBackoff,
      Duration maxBackoff,
      String owner,
      Duration lease) {
    this.states = states;
    this.actions = actions;
    this.lookup = lookup;
    this.batchSize = batchSize;
    this.guard = new WritebackGuard(initialBackoff, maxBackoff);
    this.owner = owner;
    this.lease = lease;
  }

  String owner() {
    return owner;
  }

  Duration lease() {
    return lease;
  }

  MessageStateStore states() {
    return states;
  }

  CrmActionQueue actions() {
    return actions;
  }

  WritebackGuard guard() {
    return guard;
  }

  WritebackMetrics metrics(CamelContext context) {
    metrics.bind(context);
    return metrics;
  }

  int batchSize() {
    return batchSize;
  }

  /**
   * Claims the next PENDING actions of the given kinds under this replica's lease, so no other
   * replica sends them too. Replies nobody could link locally are looked up by phone (SOQL) here,
   * and the inbound message record is linked too. A look-up that fails gives the claim back.
   */
  List<CrmAction> pendingActions(CamelContext context, List<String> kinds) throws SQLException {
    List<CrmAction> out = actions.claim(kinds, batchSize, owner, lease);
    try {
      return resolve(context, out);
    } catch (RuntimeException | SQLException e) {
      actions.release(out.stream().map(CrmAction::id).toList(), owner);
      throw e;
    }
  }

  private List<CrmAction> resolve(CamelContext context, List<CrmAction> out) throws SQLException {
    List<CrmAction> resolved = new ArrayList<>(out.size());
    for (CrmAction a : out) {
      if (a.crmRecordId() == null && a.phone() != null) {
        CrmLookup.Found f = lookup.byPhone(context, a.phone());
        if (f != null) {
          actions.link(a.id(), f.object(), f.id());
          if (a.sid() != null) {
            states.link(a.sid(), f.object(), f.id());
          }
          a = a.linkedTo(f.object(), f.id());
        }
      }
      resolved.add(a);
    }
    return resolved;
  }

  /** Records not yet in Salesforce (messages and actions); also the backlog gauge's value. */
  public long backlog() throws SQLException {
    long n = states.behind() + actions.pendingCount();
    metrics.backlog(n);
    backlogCountedAt = System.currentTimeMillis();
    return n;
  }

  /** Refreshes the backlog gauge at most every two seconds. */
  void countBacklog() {
    if (System.currentTimeMillis() - backlogCountedAt > 2000) {
      try {
        backlog();
      } catch (SQLException e) {
        LOG.debug("backlog count failed: {}", e.toString());
      }
    }
  }

  /**
   * After any successful call: counted; the first one after failures also refreshes the backlog
   * figure at the next tick. Not after every call: the count reads every record still behind, and
   * once per batch of 200 it cost more than the batch while a backlog was draining.
   */
  void succeeded() {
    if (guard.consecutiveFailures() > 0) {
      backlogCountedAt = 0;
    }
    guard.succeeded();
    metrics.call(true);
  }
}
