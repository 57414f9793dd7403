package org.twiliocrm.governance.templates;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.db.Transactions;
import org.twiliocrm.governance.Audit;

/**
 * Approval state of template versions, kept in table {@code template_version}: the Java API an
 * approvals endpoint or the {@code templates} command calls, and the send path's source of the text
 * it may send.
 *
 * <ul>
 *   <li>{@link #register}: each version seen in the files is recorded once, PENDING_APPROVAL, with
 *       its normalized content (the text an approver signs off).
 *   <li>{@link #approve} / {@link #reject}: a human decides a pending version once; deciding it
 *       again is a {@link Conflict}. Approving releases the rows held for want of an approved
 *       version of that template, in the same transaction.
 *   <li>{@link #approved}: the last APPROVED version's stored content, which is what is sent,
 *       whatever the files say now.
 * </ul>
 *
 * <p>Each new version and each decision is appended to {@code governance_audit} (subject type
 * {@code template_version}, id {@code name@version}) in the same transaction.
 */
public final class TemplateApprovals implements ApprovedTemplates {
  private static final Logger LOG = LoggerFactory.getLogger(TemplateApprovals.class);

  /** Prefix of the reason on rows held here; the release matches on it (see {@link #HELD_SQL}). */
  public static final String HELD_REASON_PREFIX = "Template not approved:";

  public static final String HELD_STATUS = "HELD";
  public static final String HELD_REASON_CODE = "AWAITING_APPROVAL";

  /** Only rows held because their template had no approved version: never a policy hold. */
  private static final String HELD_SQL =
      "status = 'HELD' AND reason_code = 'AWAITING_APPROVAL' AND template_name = ?"
          + " AND reason LIKE '"
          + HELD_REASON_PREFIX
          + "%'";

  /** governance_audit subject type and the action of a newly seen version. */
  public static final String SUBJECT = "template_version";

  public static final String VERSION_SEEN = "TEMPLATE_VERSION_SEEN";

  public enum State {
    PENDING_APPROVAL,
    APPROVED,
    REJECTED
  }

  /** One version as stored. {@code content} is the normalized template (the approved text). */
  public record Version(
      String templateName,
      String version,
      String purpose,
      State state,
      String source,
      Instant firstSeenAt,
      String decidedBy,
      Instant decidedAt,
      String comment,
      String content,
      String submittedBy) {
    public MessageTemplate template() {
      return MessageTemplate.fromNormalized(content);
    }
  }

  /** No such version. */
  public static final class NotFound extends RuntimeException {
    public NotFound(String version) {
      super("no template version " + version);
    }
  }

  /** The version was already decided; nothing was changed. */
  public static final class Conflict extends RuntimeException {
    public final Version current;

    public Conflict(Version current) {
      super(
          "template version "
              + current.version()
              + " is already "
              + current.state()
              + " (by "
              + current.decidedBy()
              + ")");
      this.current = current;
    }
  }

  /** Four eyes: the identity that submitted a version cannot approve it; nothing was changed. */
  public static final class FourEyes extends RuntimeException {
    public final Version current;

    public FourEyes(Version current, String actor) {
      super(
          "'"
              + actor
              + "' submitted template version "
              + shortVersion(current.version())
              + " and cannot approve it");
      this.current = current;
    }
  }

  private record Approved(String version, MessageTemplate template) {}

  private final DataSource ds;
  private volatile Map<String, Approved> approved = Map.of();

  /**
   * Templates whose approved version changed in the last two refreshes: their held rows are
   * released on each, so a row a claim held with the old view while the refresh ran is not left.
   */
  private java.util.Set<String> changedBefore = java.util.Set.of();

  private boolean refreshed;

  public TemplateApprovals(DataSource ds) {
    this.ds = ds;
  }

  /**
   * Records each template's current version if the database has not seen it: a new version starts
   * PENDING_APPROVAL. Returns the versions that were new. Safe with several connectors sharing the
   * database (the version is unique; a concurrent insert of the same one is ignored).
   */
  public List<String> register(Collection<MessageTemplate> templates, Map<String, String> sources) {
    List<String> added = new ArrayList<>();
    try (Connection c = ds.getConnection()) {
      for (MessageTemplate t : templates) {
        String v = t.version();
        try (PreparedStatement ps =
            c.prepareStatement("SELECT 1 FROM template_version WHERE version = ?")) {
          ps.setString(1, v);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              continue;
            }
          }
        }
        try {
          Transactions.run(
              c,
              x -> {
                try (PreparedStatement ps =
                    x.prepareStatement(
                        "INSERT INTO template_version (template_name, version, purpose, content,"
                            + " source, state) VALUES (?, ?, ?, ?, ?, 'PENDING_APPROVAL')")) {
                  ps.setString(1, t.name());
                  ps.setString(2, v);
                  ps.setString(3, t.purpose());
                  ps.setString(4, t.normalized());
                  ps.setString(5, sources.get(t.name()));
                  ps.executeUpdate();
                  // The version and its audit entry commit together.
                  Audit.append(
                      x,
                      Audit.Entry.of(
                          Audit.CONNECTOR,
                          VERSION_SEEN,
                          SUBJECT,
                          t.name() + "@" + v,
                          null,
                          State.PENDING_APPROVAL.name(),
                          "seen in " + sources.get(t.name())));
                }
              });
        } catch (SQLException e) {
          if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
            throw e;
          }
          continue; // another connector recorded it first
        }
        added.add(v);
        LOG.info(
            "Template '{}' version {} ({}) recorded: PENDING_APPROVAL until a human approves it",
            t.name(),
            shortVersion(v),
            sources.get(t.name()));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("template_version: " + e.getMessage(), e);
    }
    return added;
  }

  /** All versions, newest first; {@code templateName} null for every template. */
  public List<Version> versions(String templateName) {
    String sql =
        "SELECT template_name, version, purpose, state, source, first_seen_at, decided_by,"
            + " decided_at, decision_comment, content, submitted_by FROM template_version"
            + (templateName == null ? "" : " WHERE template_name = ?")
            + " ORDER BY template_name, id DESC";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      if (templateName != null) {
        ps.setString(1, templateName);
      }
      return read(ps);
    } catch (SQLException e) {
      throw new IllegalStateException("template_version: " + e.getMessage(), e);
    }
  }

  /** One version by its hash (or a unique prefix of at least 8 characters). */
  public Optional<Version> version(String version) {
    try (Connection c = ds.getConnection()) {
      return find(c, version);
    } catch (SQLException e) {
      throw new IllegalStateException("template_version: " + e.getMessage(), e);
    }
  }

  private static Optional<Version> find(Connection c, String version) throws SQLException {
    if (version == null || version.length() < 8) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT template_name, version, purpose, state, source, first_seen_at, decided_by,"
                + " decided_at, decision_comment, content, submitted_by FROM template_version"
                + " WHERE version LIKE ?")) {
      ps.setString(1, version.replace("%", "").replace("_", "") + "%");
      List<Version> found = read(ps);
      return found.size() == 1 ? Optional.of(found.get(0)) : Optional.empty();
    }
  }

  /** Approves a pending version; releases rows held for want of an approved version. */
  public Version approve(String version, String actor) {
    return decide(version, actor, State.APPROVED, null);
  }

  /**
   * Approves a pending version with the approver's comment (stored and shown with the decision).
   *
   * @throws FourEyes when {@code actor} submitted the version
   */
  public Version approve(String version, String actor, String comment) {
    return decide(version, actor, State.APPROVED, comment);
  }

  /**
   * Submits a pending version for approval as {@code actor} (the engineer who made the edit): that
   * identity may then not approve it (four eyes). A version is submitted once; submitting again, or
   * submitting a decided version, changes nothing ({@link Conflict}).
   */
  public Version submit(String version, String actor) {
    if (actor == null || actor.isBlank()) {
      throw new IllegalArgumentException("a submission needs the submitter's name");
    }
    try (Connection c = ds.getConnection()) {
      return Transactions.inTransactionThen(
          c,
          x -> {
            Version v = find(x, version).orElseThrow(() -> new NotFound(version));
            try (PreparedStatement ps =
                x.prepareStatement(
                    "UPDATE template_version SET submitted_by = ? WHERE version = ?"
                        + " AND state = 'PENDING_APPROVAL' AND submitted_by IS NULL")) {
              ps.setString(1, actor.trim());
              ps.setString(2, v.version());
              if (ps.executeUpdate() == 0) {
                x.rollback();
                throw new Conflict(find(x, v.version()).orElse(v));
              }
            }
            Audit.append(
                x,
                Audit.Entry.of(
                    actor.trim(),
                    SUBMITTED,
                    SUBJECT,
                    v.templateName() + "@" + v.version(),
                    State.PENDING_APPROVAL.name(),
                    State.PENDING_APPROVAL.name(),
                    "submitted for approval"));
            return () -> find(x, v.version()).orElseThrow();
          });
    } catch (SQLException e) {
      throw new IllegalStateException("template_version: " + e.getMessage(), e);
    }
  }

  /** Audit action of a submission. */
  public static final String SUBMITTED = "TEMPLATE_SUBMITTED";

  /** Rejects a pending version: it is never sent; earlier approved versions stay in use. */
  public Version reject(String version, String actor, String comment) {
    return decide(version, actor, State.REJECTED, comment);
  }

  private Version decide(String version, String actor, State to, String comment) {
    if (actor == null || actor.isBlank()) {
      throw new IllegalArgumentException("an approval needs the approver's name");
    }
    try (Connection c = ds.getConnection()) {
      return Transactions.inTransactionThen(
          c,
          x -> {
            Version v = find(x, version).orElseThrow(() -> new NotFound(version));
            if (to == State.APPROVED
                && v.state() == State.PENDING_APPROVAL
                && v.submittedBy() != null
                && v.submittedBy().equals(actor.trim())) {
              x.rollback();
              throw new FourEyes(v, actor.trim());
            }
            try (PreparedStatement ps =
                x.prepareStatement(
                    "UPDATE template_version SET state = ?, decided_by = ?, decided_at = ?,"
                        + " decision_comment = ? WHERE version = ? AND state = 'PENDING_APPROVAL'")) {
              ps.setString(1, to.name());
              ps.setString(2, actor);
              ps.setTimestamp(3, Timestamp.from(Instant.now()));
              ps.setString(4, comment);
              ps.setString(5, v.version());
              if (ps.executeUpdate() == 0) {
                x.rollback();
                throw new Conflict(find(x, v.version()).orElse(v));
              }
            }
            int released = to == State.APPROVED ? release(x, v.templateName()) : 0;
            Audit.append(
                x,
                Audit.Entry.of(
                    actor,
                    to == State.APPROVED ? Audit.Action.APPROVED : Audit.Action.REJECTED,
                    SUBJECT,
                    v.templateName() + "@" + v.version(),
                    State.PENDING_APPROVAL.name(),
                    to.name(),
                    (comment == null ? "" : comment)
                        + (released > 0
                            ? (comment == null ? "" : "; ") + released + " held row(s) released"
                            : "")));
            return () -> {
              LOG.info(
                  "Template '{}' version {} {} by {}{}",
                  v.templateName(),
                  shortVersion(v.version()),
                  to,
                  actor,
                  released > 0 ? "; " + released + " held row(s) released" : "");
              refresh();
              return find(x, v.version()).orElseThrow();
            };
          });
    } catch (SQLException e) {
      throw new IllegalStateException("template_version: " + e.getMessage(), e);
    }
  }

  private static int release(Connection c, String templateName) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET status = 'PENDING', reason_code = NULL, reason = NULL,"
                + " next_attempt_at = NULL, updated_at = ? WHERE "
                + HELD_SQL)) {
      ps.setTimestamp(1, Timestamp.from(Instant.now()));
      ps.setString(2, templateName);
      return ps.executeUpdate();
    }
  }

  /** The text to send: the last approved version of the template, or empty (hold the row). */
  @Override
  public Optional<MessageTemplate> approved(String templateName) {
    Approved a = approved.get(templateName);
    return a == null ? Optional.empty() : Optional.of(a.template());
  }

  /** The version {@link #approved} returns, for logs and the attempt log. */
  public Optional<String> approvedVersion(String templateName) {
    Approved a = approved.get(templateName);
    return a == null ? Optional.empty() : Optional.of(a.version());
  }

  /**
   * Re-reads the approved versions (another connector, or a person with SQL, may have approved one)
   * and releases rows held for a template that now has an approved version: a row held by a claim
   * that raced the approval waits at most one refresh interval.
   */
  public synchronized void refresh() {
    Map<String, Approved> next = new HashMap<>();
    try (Connection c = ds.getConnection()) {
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT template_name, version, content FROM template_version"
                      + " WHERE state = 'APPROVED' ORDER BY decided_at, id");
          ResultSet rs = ps.executeQuery()) {
        Map<String, String[]> last = new HashMap<>();
        while (rs.next()) {
          last.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
        }
        for (Map.Entry<String, String[]> e : last.entrySet()) {
          Approved known = approved.get(e.getKey());
          next.put(
              e.getKey(),
              known != null && known.version().equals(e.getValue()[0])
                  ? known
                  : new Approved(e.getValue()[0], MessageTemplate.fromNormalized(e.getValue()[1])));
        }
      }
      Map<String, Approved> before = approved;
      approved = Map.copyOf(next);
      java.util.Set<String> changed = new java.util.HashSet<>();
      for (Map.Entry<String, Approved> e : next.entrySet()) {
        Approved b = before.get(e.getKey());
        if (!refreshed || b == null || !b.version().equals(e.getValue().version())) {
          changed.add(e.getKey());
        }
      }
      java.util.Set<String> toRelease = new java.util.HashSet<>(changed);
      toRelease.addAll(changedBefore);
      changedBefore = changed;
      refreshed = true;
      // Only templates whose approval changed: scanning for held rows on every refresh would cost
      // a table scan on databases without partial indexes.
      for (String name : toRelease) {
        int n = release(c, name);
        if (n > 0) {
          LOG.info("Released {} row(s) held for template '{}' (now approved)", n, name);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("template_version: " + e.getMessage(), e);
    }
  }

  private static List<Version> read(PreparedStatement ps) throws SQLException {
    List<Version> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new Version(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                State.valueOf(rs.getString(4)),
                rs.getString(5),
                instant(rs.getTimestamp(6)),
                rs.getString(7),
                instant(rs.getTimestamp(8)),
                rs.getString(9),
                rs.getString(10),
                rs.getString(11)));
      }
    }
    return out;
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }

  public static String shortVersion(String v) {
    return v == null || v.length() < 12 ? v : v.substring(0, 12);
  }
}
