package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.governance.Channel;
import org.twiliocrm.governance.FallbackChain;
import org.twiliocrm.governance.templates.ApprovedTemplates;
import org.twiliocrm.governance.templates.MessageTemplate;

/**
 * The channel fallback decision (docs/outbox.md#channel-fallback): when a row that names a chain
 * ({@code fallback_chain}, or its template's {@code fallback}) fails for good, its next channel is
 * queued as a new outbox row with {@code parent_id} pointing at it. That row is an ordinary row: it
 * is claimed, validated, consent-checked, rendered and passed through the policy gate like any
 * other, so a fallback never bypasses consent or policy.
 *
 * <p>"Fails for good" is one of:
 *
 * <ul>
 *   <li>{@link #afterSend}: Twilio refused the create with a code another channel avoids ({@code
 *       outbox.fallback.creation-codes}, e.g. 63016 outside the WhatsApp 24-hour window); step of
 *       routes/outbox-to-twilio.camel.yaml;
 *   <li>{@link #afterStatus}: the message's final status from the webhooks is undelivered or failed
 *       (a call's failed, busy or no-answer); step of routes/twilio-webhook-events.camel.yaml, in
 *       the webhook batch's transaction;
 *   <li>{@link #afterRecorded}: the same, when that final status was stored before this row's
 *       Twilio SID was (the webhook could not find the row then); called by the result writer.
 * </ul>
 *
 * <p>At most once per step: the database's unique constraint on {@code parent_id} refuses a second
 * fallback row for the same row, whatever the number of duplicate callbacks, replicas or restarts.
 * The final status is read from {@code message_state} (the webhooks' forward-only record) with a
 * row lock, and the row from {@code outbox_message} with a locking read, so the webhook and the
 * result writer cannot both miss a status that arrives while the SID is being written.
 */
public final class ChannelFallback {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelFallback.class);

  /** Final statuses of a message (or call) after which the next channel is tried. */
  public static final Set<String> FAILED_STATUSES =
      Set.of("undelivered", "failed", "busy", "no-answer");

  private static final String PARENT_COLUMNS =
      "id, channel, recipient, sender, messaging_service_sid, body, template_name,"
          + " template_variables, content_sid, content_variables, media_urls, crm_object,"
          + " crm_record_id, locale, campaign, requested_by, fallback_chain, fallback_step,"
          + " attempts";

  private final DataSource dataSource;
  private final Vendor vendor;
  private final FallbackSettings settings;
  private final ApprovedTemplates approved;
  private final AtomicLong queued = new AtomicLong();

  public ChannelFallback(
      DataSource dataSource, Vendor vendor, FallbackSettings settings, ApprovedTemplates approved) {
    this.dataSource = dataSource;
    this.vendor = vendor;
    this.settings = settings;
    this.approved = approved;
  }

  /** A fallback row: its id and channel; {@code existed} when an earlier trigger queued it. */
  public record Queued(long id, Channel channel, boolean existed) {}

  /** Fallback rows this instance queued (not counting ones that already existed). */
  public long queued() {
    return queued.get();
  }

  // ------------------------------------------------------------------ the three triggers

  /**
   * Route step after "classify": a row Twilio refused at creation with one of {@code
   * outbox.fallback.creation-codes} queues its next channel. Nothing was created at Twilio, so if
   * the fallback row cannot be written the row is retried (refused again, and falls back then)
   * rather than recorded FAILED with its fallback lost.
   */
  public void afterSend(OutboxWork work) {
    Outcome o = work.getOutcome();
    if (!settings.enabled()
        || o == null
        || !"FAILED".equals(o.status())
        || o.errorCode() == null
        || !settings.creationCodes().contains(o.errorCode())
        || !mayHaveChain(work.getRow().fallbackChain(), work.getRow().templateName())) {
      return;
    }
    String why = work.getChannel() + " refused at creation: Twilio " + o.errorCode();
    try (Connection c = dataSource.getConnection()) {
      Optional<Queued> q = enqueue(c, parent(c, "id = ?", work.getRow().id()), why);
      q.ifPresent(
          x ->
              work.log(
                  "FALLBACK",
                  x.existed() ? "ALREADY_QUEUED" : "QUEUED",
                  null,
                  null,
                  o.errorCode(),
                  x.channel().column() + " queued as row " + x.id() + " (" + why + ")"));
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "outbox row {}: its fallback could not be queued, the row is retried: {}",
          work.getRow().id(),
          e.getMessage());
      work.decide(
          Outcome.retry(
              "FALLBACK_NOT_QUEUED",
              "refused with " + o.errorCode() + "; the fallback could not be queued: " + e,
              o.errorCode(),
              5_000));
      work.log("FALLBACK", "NOT_QUEUED", null, null, o.errorCode(), e.getMessage());
    }
  }

  /**
   * Webhook step after a message or call status was applied, on the batch's transaction {@code c}:
   * if the message's recorded status is a final failure and its outbox row names a chain, the next
   * channel is queued (in the same transaction, so it commits with the event's DONE mark).
   */
  public Optional<Queued> afterStatus(Connection c, String twilioSid, String status)
      throws SQLException {
    if (!settings.enabled()
        || twilioSid == null
        || status == null
        || !FAILED_STATUSES.contains(status)) {
      return Optional.empty();
    }
    return checkRecorded(c, twilioSid);
  }

  /**
   * Called by the result writer once results are committed: a row recorded SENT whose final failure
   * the webhooks stored before its SID was known queues its next channel now. Each row is checked
   * in its own short transaction; a failure is logged and left to the webhook's own trigger.
   */
  public void afterRecorded(List<OutboxStore.Result> results) {
    if (!settings.enabled()) {
      return;
    }
    List<String> sids = new ArrayList<>();
    for (OutboxStore.Result r : results) {
      Outcome o = r.outcome();
      if ("SENT".equals(o.status())
          && o.twilioSid() != null
          && mayHaveChain(r.row().fallbackChain(), r.row().templateName())) {
        sids.add(o.twilioSid());
      }
    }
    if (sids.isEmpty()) {
      return;
    }
    sids.sort(null); // one lock order for every writer
    try (Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        for (String sid : sids) {
          try {
            checkRecorded(c, sid);
            c.commit();
          } catch (SQLException | RuntimeException e) {
            c.rollback();
            LOG.warn("fallback check of {} failed: {}", sid, e.getMessage());
          }
        }
      } finally {
        c.setAutoCommit(auto);
      }
    } catch (SQLException e) {
      LOG.warn("fallback check of {} sent rows failed: {}", sids.size(), e.getMessage());
    }
  }

  // ------------------------------------------------------------------ the decision

  /**
   * Whether a row may name a chain, without a query: its own column, or a template that has one.
   */
  private boolean mayHaveChain(String rowChain, String templateName) {
    return rowChain != null
        || (templateName != null
            && approved.approved(templateName).map(t -> !t.fallback().isEmpty()).orElse(false));
  }

  /** The chain a row follows: its own, else its template's approved one. */
  Optional<FallbackChain> chainOf(String rowChain, String templateName) {
    try {
      if (rowChain != null) {
        return Optional.of(FallbackChain.parse(rowChain));
      }
      if (templateName != null) {
        return approved
            .approved(templateName)
            .map(MessageTemplate::fallback)
            .filter(f -> !f.isEmpty())
            .map(FallbackChain::of);
      }
    } catch (IllegalArgumentException e) {
      // The validator fails such a row before it is sent (FALLBACK_CHAIN_INVALID).
      LOG.warn("ignoring an invalid fallback chain '{}': {}", rowChain, e.getMessage());
    }
    return Optional.empty();
  }

  /** The message's recorded final status, locked, then its outbox row, locked. */
  private Optional<Queued> checkRecorded(Connection c, String sid) throws SQLException {
    String status;
    Integer code;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT status, error_code FROM message_state WHERE message_sid = ? FOR UPDATE")) {
      ps.setString(1, sid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        status = rs.getString(1);
        int n = rs.getInt(2);
        code = rs.wasNull() ? null : n;
      }
    }
    if (!FAILED_STATUSES.contains(status)) {
      return Optional.empty();
    }
    Parent p = parent(c, "twilio_sid = ?", sid);
    if (p == null) {
      return Optional.empty();
    }
    String why = p.channel.column() + " " + status + (code == null ? "" : ": Twilio " + code);
    Optional<Queued> q = enqueue(c, p, why);
    if (q.isPresent() && !q.get().existed()) {
      attempt(c, p, sid, code, q.get(), why);
    }
    return q;
  }

  /** The failed row as the fallback copies it. */
  private record Parent(
      long id,
      Channel channel,
      String recipient,
      String sender,
      String messagingServiceSid,
      String body,
      String templateName,
      String templateVariables,
      String contentSid,
      String contentVariables,
      String mediaUrls,
      String crmObject,
      String crmRecordId,
      String locale,
      String campaign,
      String requestedBy,
      String fallbackChain,
      int step,
      int attempts) {}

  private Parent parent(Connection c, String where, Object key) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + PARENT_COLUMNS + " FROM outbox_message WHERE " + where + " FOR UPDATE")) {
      ps.setObject(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        return new Parent(
            rs.getLong(1),
            Channel.of(rs.getString(2)),
            rs.getString(3),
            rs.getString(4),
            rs.getString(5),
            rs.getString(6),
            rs.getString(7),
            rs.getString(8),
            rs.getString(9),
            rs.getString(10),
            rs.getString(11),
            rs.getString(12),
            rs.getString(13),
            rs.getString(14),
            rs.getString(15),
            rs.getString(16),
            rs.getString(17),
            rs.getInt(18),
            rs.getInt(19));
      }
    }
  }

  private static final String WHATSAPP = "whatsapp:";

  private static String bare(String address) {
    return address != null && address.startsWith(WHATSAPP)
        ? address.substring(WHATSAPP.length())
        : address;
  }

  private static String on(Channel channel, String bareAddress) {
    return bareAddress == null || channel != Channel.WHATSAPP
        ? bareAddress
        : WHATSAPP + bareAddress;
  }

  /**
   * Queues the row after {@code p} in its chain, unless the chain ends there. The unique {@code
   * parent_id} makes a second call for the same row find the first one's row instead.
   */
  private Optional<Queued> enqueue(Connection c, Parent p, String why) throws SQLException {
    if (p == null) {
      return Optional.empty();
    }
    Optional<FallbackChain> chain = chainOf(p.fallbackChain, p.templateName);
    Optional<Channel> next = chain.flatMap(ch -> ch.next(p.channel));
    if (next.isEmpty()) {
      return Optional.empty();
    }
    Channel to = next.get();
    String override = settings.senders().get(to);
    String sender = override != null ? override : on(to, bare(p.sender));
    // A Messaging Service carries over to message channels (it may hold senders for both); a call
    // needs a number.
    String service =
        override != null || to == Channel.VOICE || p.sender != null ? null : p.messagingServiceSid;
    boolean content = to.isMessage() && p.body == null && p.templateName == null;
    boolean media = to == Channel.MMS || to == Channel.WHATSAPP;
    String[] values = {
      "fallback:" + p.id + ":" + to.column(),
      to.column(),
      on(to, bare(p.recipient)),
      sender,
      service,
      p.body,
      p.templateName,
      p.templateVariables,
      content ? p.contentSid : null,
      content ? p.contentVariables : null,
      media ? p.mediaUrls : null,
      p.crmObject,
      p.crmRecordId,
      p.locale,
      p.campaign,
      p.requestedBy,
      chain.get().text(),
      why.length() > 200 ? why.substring(0, 197) + "..." : why
    };
    String sql =
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender,"
            + " messaging_service_sid, body, template_name, template_variables, content_sid,"
            + " content_variables, media_urls, crm_object, crm_record_id, locale, campaign,"
            + " requested_by, fallback_chain, fallback_reason, parent_id, fallback_step) VALUES (?,"
            + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + (vendor == Vendor.POSTGRESQL ? " ON CONFLICT DO NOTHING" : "");
    boolean inserted;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        if (values[i] == null) {
          ps.setNull(i + 1, Types.VARCHAR);
        } else {
          ps.setString(i + 1, values[i]);
        }
      }
      ps.setLong(values.length + 1, p.id);
      ps.setInt(values.length + 2, p.step + 1);
      inserted = ps.executeUpdate() > 0;
    } catch (SQLException e) {
      // H2 and MariaDB refuse the duplicate (the statement alone is undone); PostgreSQL skipped it.
      if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
        throw e;
      }
      inserted = false;
    }
    if (p.fallbackChain == null) {
      // A template's chain, written on the row too, so its CRM record shows the chain it started.
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE outbox_message SET fallback_chain = ? WHERE id = ? AND fallback_chain IS"
                  + " NULL")) {
        ps.setString(1, chain.get().text());
        ps.setLong(2, p.id);
        ps.executeUpdate();
      }
    }
    Long id = childOf(c, p.id);
    if (id == null) {
      // Refused for another constraint (the idempotency key taken by a producer's own row).
      throw new SQLException("fallback row for outbox row " + p.id + " was refused", "23000");
    }
    if (inserted) {
      queued.incrementAndGet();
      LOG.info(
          "outbox row {} fell back to {} as row {} ({})",
          p.id,
          to.column(),
          id,
          org.twiliocrm.config.Redaction.phonesIn(why));
    }
    return Optional.of(new Queued(id, to, !inserted));
  }

  private static Long childOf(Connection c, long parentId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id FROM outbox_message WHERE parent_id = ?")) {
      ps.setLong(1, parentId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  /** The parent's attempt log gets a FALLBACK line (the creation path logs through its work). */
  private static void attempt(
      Connection c, Parent p, String sid, Integer code, Queued q, String why) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO outbox_attempt (message_id, attempt, kind, outcome, twilio_sid,"
                + " error_code, detail) VALUES (?, ?, 'FALLBACK', 'QUEUED', ?, ?, ?)")) {
      ps.setLong(1, p.id);
      ps.setInt(2, p.attempts);
      ps.setString(3, sid);
      if (code == null) {
        ps.setNull(4, Types.INTEGER);
      } else {
        ps.setInt(4, code);
      }
      ps.setString(5, q.channel().column() + " queued as row " + q.id() + " (" + why + ")");
      ps.executeUpdate();
    }
  }
}
