package org.twiliocrm.outbound;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.db.Transactions;
import org.twiliocrm.governance.Approvals;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.Policies;
import org.twiliocrm.governance.Policy;
import org.twiliocrm.governance.PolicyLoader;

/**
 * Route step "govern" of the outbox route: after rendering, before any send, every claimed row
 * passes the policy in force ({@link Policies}). A row a rule matches is held: status HELD, reason
 * code AWAITING_APPROVAL, joined to the open approval request of its rule and campaign (one request
 * per rule and campaign), written here in one transaction with the request, so a decision racing
 * the hold either sees the row or the row opens a new request.
 *
 * <p>The invariant: no row that was ever held is sent without an APPROVED approval record. A row
 * that carries an approval_id passes only if that request is APPROVED and the row's content is
 * still what was held (its digest); otherwise it is held again (request PENDING, record missing,
 * content edited after the hold), or fails (request REJECTED: REJECTED_BY_APPROVER, EXPIRED:
 * APPROVAL_EXPIRED). This is checked against the database on every claim, so a restart, a
 * reconciliation claim, another replica with another policy, or a status set back to PENDING by
 * hand all meet the same check.
 *
 * <p>Cost on the path it does not hold: each rule's in-memory conditions once per row (the
 * destination's region comes from the validator, which finds it while checking the number), then
 * one statement for every bulk rule, grouped by the campaigns (or templates) of the rows those
 * conditions let through, with the window on the database clock; nothing at all when the batch has
 * no such row. The statement reads the per-minute tally the V98 triggers keep (outbox_bulk_tally),
 * not the window's rows: its cost follows the keys and minutes, not the backlog. Rows an approval
 * record decides are not matched, so releasing an approved campaign counts nothing.
 */
public final class PolicyGate {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyGate.class);
  private static final Pattern URL =
      Pattern.compile("(?i)\\b(?:https?://|www\\.)([a-z0-9.-]+)", Pattern.CASE_INSENSITIVE);
  private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();

  /** Pseudo-rule for a row whose approval record is gone or whose content changed after a hold. */
  static final String REHOLD_RULE = "approval-invalidated";

  private final DataSource dataSource;
  private final Vendor vendor;
  private final Policies policies;
  private final String owner;
  private final Function<String, String> templateVersion;
  private final Set<String> approvedFirstSends = ConcurrentHashMap.newKeySet();

  /**
   * @param owner this instance's lease owner name (holds are written only under its lease)
   * @param templateVersion a template's current version (hash of its content), null if unknown
   */
  public PolicyGate(
      DataSource dataSource,
      Vendor vendor,
      Policies policies,
      String owner,
      Function<String, String> templateVersion) {
    this.dataSource = dataSource;
    this.vendor = vendor;
    this.policies = policies;
    this.owner = owner;
    this.templateVersion = templateVersion;
  }

  /** A row a rule matched: the rule, the grouping key, and every rule that matched (the reason). */
  private record Match(Policy.Rule rule, String campaign, String reason) {}

  /** Route step over a rendered batch. Never throws: a database failure retries the rows later. */
  public List<OutboxWork> holdAll(List<OutboxWork> batch) {
    Policy policy = policies.current();
    List<OutboxWork> todo = new ArrayList<>(batch.size());
    boolean anyApproval = false;
    for (OutboxWork w : batch) {
      if (!w.isDecided()) {
        todo.add(w);
        anyApproval |= w.getRow().gov().approvalId() != null;
      }
    }
    if (todo.isEmpty() || (policy.rules().isEmpty() && !anyApproval)) {
      return batch;
    }
    try {
      govern(policy, todo, anyApproval);
    } catch (SQLException | RuntimeException e) {
      // Never send unchecked: the undecided rows come back after a short delay.
      LOG.warn("Policy gate could not check {} row(s), retrying: {}", todo.size(), e.getMessage());
      for (OutboxWork w : todo) {
        if (!w.isDecided()) {
          w.decide(Outcome.retry("GOVERNANCE_CHECK_FAILED", e.getMessage(), null, 5_000));
          w.log("GOVERNANCE", "CHECK_FAILED", null, null, null, e.getMessage());
        }
      }
    }
    return batch;
  }

  private void govern(Policy policy, List<OutboxWork> todo, boolean anyApproval)
      throws SQLException {
    Map<Long, String> statuses = anyApproval ? approvalStatuses(todo) : Map.of();
    // The approval records decide the rows that carry one; only the others, and those whose
    // approval no longer holds, meet the rules (and only their campaigns are counted).
    List<OutboxWork> candidates = new ArrayList<>(todo.size());
    Map<OutboxWork, String> invalidated = new IdentityHashMap<>();
    Map<Long, List<OutboxWork>> reholds = new LinkedHashMap<>();
    for (OutboxWork w : todo) {
      OutboxRow row = w.getRow();
      Long aid = row.gov().approvalId();
      if (aid == null) {
        candidates.add(w);
        continue;
      }
      String st = statuses.get(aid);
      if ("APPROVED".equals(st) && Objects.equals(digest(w), row.gov().holdDigest())) {
        continue;
      }
      if ("PENDING".equals(st)) {
        reholds.computeIfAbsent(aid, k -> new ArrayList<>()).add(w);
        continue;
      }
      if ("REJECTED".equals(st) || "EXPIRED".equals(st)) {
        String code = "REJECTED".equals(st) ? "REJECTED_BY_APPROVER" : "APPROVAL_EXPIRED";
        w.decide(Outcome.failed(code, "approval request " + aid + " is " + st, null));
        w.log("GOVERNANCE", code, null, null, null, "request " + aid);
        continue;
      }
      // APPROVED for other content, or the record is gone: hold again under the rule that
      // matches now, else under the pseudo-rule, never send.
      candidates.add(w);
      invalidated.put(
          w,
          st == null
              ? "approval request " + aid + " not found"
              : "content changed after approval " + aid);
    }
    List<Policy.Rule> rules = policy.rules();
    // The in-memory conditions of every rule, once per row; a bulk rule then counts only the
    // campaigns (or templates) of the rows they let through.
    boolean[][] passes = new boolean[candidates.size()][];
    for (int i = 0; i < candidates.size(); i++) {
      passes[i] = new boolean[rules.size()];
      for (int j = 0; j < rules.size(); j++) {
        passes[i][j] = inMemoryConditions(rules.get(j), candidates.get(i));
      }
    }
    List<Map<String, Long>> counts = bulkCounts(rules, candidates, passes);
    Map<String, List<OutboxWork>> holds = new LinkedHashMap<>();
    Map<String, Match> groups = new HashMap<>();
    // First sends looked up in this batch: one query per rule and template version, not per row.
    Map<String, Boolean> firstSends = new HashMap<>();
    for (int i = 0; i < candidates.size(); i++) {
      OutboxWork w = candidates.get(i);
      Match m = match(rules, w, passes[i], counts, firstSends);
      String why = invalidated.get(w);
      if (m == null && why != null) {
        m = new Match(pseudoRule(), w.getRow().gov().campaign(), why);
      }
      if (m != null) {
        add(holds, groups, m, w);
      }
    }
    for (Map.Entry<String, List<OutboxWork>> e : holds.entrySet()) {
      hold(policy, groups.get(e.getKey()), e.getValue());
    }
    for (Map.Entry<Long, List<OutboxWork>> e : reholds.entrySet()) {
      rehold(e.getKey(), e.getValue());
    }
  }

  private static Policy.Rule pseudoRule() {
    return new Policy.Rule(REHOLD_RULE, 0, Set.of(), Set.of(), null, null, false, null, null);
  }

  private static void add(
      Map<String, List<OutboxWork>> holds, Map<String, Match> groups, Match m, OutboxWork w) {
    String key = openKey(m.rule().name(), m.campaign());
    holds.computeIfAbsent(key, k -> new ArrayList<>()).add(w);
    groups.putIfAbsent(key, m);
  }

  static String openKey(String rule, String campaign) {
    return rule + "|" + (campaign == null ? "" : campaign);
  }

  // ------------------------------------------------------------------------------ the rules

  private Match match(
      List<Policy.Rule> rules,
      OutboxWork w,
      boolean[] passes,
      List<Map<String, Long>> counts,
      Map<String, Boolean> firstSends)
      throws SQLException {
    Match first = null;
    // Built only for a row some rule holds: the path that holds nothing allocates nothing here.
    List<String> names = null;
    for (int j = 0; j < rules.size(); j++) {
      Policy.Rule r = rules.get(j);
      String campaign = passes[j] ? matches(r, w, counts.get(j), firstSends) : null;
      if (campaign != null) {
        if (names == null) {
          names = new ArrayList<>(2);
        }
        names.add(r.name());
        if (first == null) {
          first = new Match(r, campaign.isEmpty() ? w.getRow().gov().campaign() : campaign, null);
        }
      }
    }
    return first == null
        ? null
        : new Match(first.rule(), first.campaign(), "held by policy rule(s) " + names);
  }

  /**
   * The rule's conditions that need no database: channel, template, free text, countries, URLs.
   * Evaluated once per row and rule, before any counting.
   */
  private static boolean inMemoryConditions(Policy.Rule r, OutboxWork w) {
    OutboxRow row = w.getRow();
    if (!r.channels().isEmpty() && !r.channels().contains(row.channel().column())) {
      return false;
    }
    if (!r.templates().isEmpty()
        && (row.templateName() == null || !r.templates().contains(row.templateName()))) {
      return false;
    }
    if (r.freeTextSources() != null) {
      boolean freeText = row.templateName() == null && row.contentSid() == null;
      String source = row.gov().crmObject() != null ? "crm" : "table";
      if (!freeText || !r.freeTextSources().contains(source)) {
        return false;
      }
    }
    if (r.allowedCountries() != null) {
      // The region the validator found while checking the number (no second parse).
      String region = w.getToRegion();
      if (region != null && r.allowedCountries().contains(region)) {
        return false;
      }
    }
    return r.allowedDomains() == null || hasForeignUrl(w.getBody(), r.allowedDomains());
  }

  /**
   * For a row that meets the rule's {@link #inMemoryConditions}: null when the rule does not hold
   * it; else the grouping key: "" for the row's own campaign, or a key the rule groups by
   * (template, template version).
   */
  private String matches(
      Policy.Rule r, OutboxWork w, Map<String, Long> counts, Map<String, Boolean> firstSends)
      throws SQLException {
    OutboxRow row = w.getRow();
    String key = "";
    if (r.bulk() != null) {
      String k = bulkKey(r.bulk(), row);
      Long n = k == null ? null : counts.get(k);
      if (n == null || n <= r.bulk().moreThan()) {
        return null;
      }
      if (r.bulk().by() == Policy.Bulk.By.TEMPLATE) {
        key = "template:" + k;
      }
    }
    if (r.firstSendOfTemplateVersion()) {
      if (row.templateName() == null) {
        return null;
      }
      String v = templateVersion.apply(row.templateName());
      key = "template:" + row.templateName() + "@" + (v == null ? "?" : v);
      String k = openKey(r.name(), key);
      Boolean approved = firstSends.get(k);
      if (approved == null) {
        approved = firstSendApproved(r.name(), key);
        firstSends.put(k, approved);
      }
      if (approved) {
        return null;
      }
    }
    return key;
  }

  private boolean firstSendApproved(String rule, String key) throws SQLException {
    String k = openKey(rule, key);
    if (approvedFirstSends.contains(k)) {
      return true;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT 1 FROM approval_request WHERE rule_name = ? AND campaign = ?"
                    + " AND status = 'APPROVED'")) {
      ps.setString(1, rule);
      ps.setString(2, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          approvedFirstSends.add(k);
          return true;
        }
      }
    }
    return false;
  }

  private static String bulkKey(Policy.Bulk b, OutboxRow row) {
    return b.by() == Policy.Bulk.By.CAMPAIGN ? row.gov().campaign() : row.templateName();
  }

  public static boolean hasForeignUrl(String body, Set<String> allowed) {
    // Every match of URL contains "://" or "www." (any case): a body with neither, most of them,
    // is answered without running the expression.
    if (body == null || body.indexOf('.') < 0 || !mayHoldUrl(body)) {
      return false;
    }
    Matcher m = URL.matcher(body);
    while (m.find()) {
      String host = m.group(1).toLowerCase(Locale.ROOT);
      while (host.endsWith(".")) {
        host = host.substring(0, host.length() - 1);
      }
      if (!allowedHost(host, allowed)) {
        return true;
      }
    }
    return false;
  }

  /** True when {@code body} contains "://" or "www." in any case: a pre-check, not a match. */
  static boolean mayHoldUrl(String body) {
    if (body.contains("://")) {
      return true;
    }
    for (int i = body.indexOf('.', 3); i >= 0; i = body.indexOf('.', i + 1)) {
      if (body.regionMatches(true, i - 3, "www", 0, 3)) {
        return true;
      }
    }
    return false;
  }

  /** The host is an allowed domain or below one (no string built per domain). */
  private static boolean allowedHost(String host, Set<String> allowed) {
    for (String d : allowed) {
      int below = host.length() - d.length() - 1;
      if (host.equals(d) || (below >= 0 && host.charAt(below) == '.' && host.endsWith(d))) {
        return true;
      }
    }
    return false;
  }

  public static String region(String to) {
    if (to == null) {
      return null;
    }
    String n = to.startsWith("whatsapp:") ? to.substring(9) : to;
    try {
      return PHONES.getRegionCodeForNumber(PHONES.parse(n, "ZZ"));
    } catch (NumberParseException e) {
      return null;
    }
  }

  /**
   * Rows created within each bulk rule's window sharing a campaign (or template) with a row of the
   * batch that meets the rule's other conditions: one statement for every bulk rule, one group per
   * key, the window measured on the database's clock (no separate round trip for its time): the
   * tally's whole minutes inside the window plus the rows of its first, partial minute. The counts
   * come back by the rule's position (an empty map for a rule nothing was counted for): looked up
   * per row, and a rule's record hash would walk its sets every time.
   */
  private List<Map<String, Long>> bulkCounts(
      List<Policy.Rule> rules, List<OutboxWork> candidates, boolean[][] passes)
      throws SQLException {
    List<Integer> counted = new ArrayList<>();
    List<Set<String>> keysOf = new ArrayList<>();
    for (int j = 0; j < rules.size(); j++) {
      Policy.Rule r = rules.get(j);
      if (r.bulk() == null) {
        continue;
      }
      Set<String> keys = new LinkedHashSet<>();
      for (int i = 0; i < candidates.size(); i++) {
        String k = passes[i][j] ? bulkKey(r.bulk(), candidates.get(i).getRow()) : null;
        if (k != null) {
          keys.add(k);
        }
      }
      if (!keys.isEmpty()) {
        counted.add(j);
        keysOf.add(keys);
      }
    }
    List<Map<String, Long>> out = new ArrayList<>(rules.size());
    for (int j = 0; j < rules.size(); j++) {
      out.add(Map.of());
    }
    if (counted.isEmpty()) {
      return out;
    }
    StringBuilder sql = new StringBuilder();
    String since = OutboxStore.nowPlusMillis(vendor);
    String wholeMinutes = firstWholeMinute(vendor);
    for (int q = 0; q < counted.size(); q++) {
      Policy.Rule r = rules.get(counted.get(q));
      boolean byCampaign = r.bulk().by() == Policy.Bulk.By.CAMPAIGN;
      String col = byCampaign ? "campaign" : "template_name";
      String in = String.join(",", java.util.Collections.nCopies(keysOf.get(q).size(), "?"));
      if (q > 0) {
        sql.append(" UNION ALL ");
      }
      // The window's whole minutes from the tally (kept by triggers in the writers' transactions,
      // V98), its first, partial minute from the rows themselves: together exactly the rows
      // created within the window, read in one snapshot. The rule's position and the kind are
      // literals of ours, never input.
      sql.append("SELECT ")
          .append(q)
          .append(", k, SUM(n) FROM (SELECT bulk_key AS k, n FROM outbox_bulk_tally WHERE kind = '")
          .append(byCampaign ? 'c' : 't')
          .append("' AND bulk_key IN (")
          .append(in)
          .append(") AND bucket >= ")
          .append(wholeMinutes)
          .append(" UNION ALL SELECT ")
          .append(col)
          .append(", 1 FROM outbox_message WHERE ")
          .append(col)
          .append(" IN (")
          .append(in)
          .append(") AND created_at >= ")
          .append(since)
          .append(" AND created_at < ")
          .append(wholeMinutes)
          .append(") t")
          .append(q)
          .append(" GROUP BY k");
      out.set(counted.get(q), new HashMap<>());
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = 1;
      for (int q = 0; q < counted.size(); q++) {
        long window = -rules.get(counted.get(q)).bulk().window().toMillis();
        for (String k : keysOf.get(q)) {
          ps.setString(i++, k);
        }
        ps.setLong(i++, window);
        for (String k : keysOf.get(q)) {
          ps.setString(i++, k);
        }
        ps.setLong(i++, window);
        ps.setLong(i++, window);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.get(counted.get(rs.getInt(1))).put(rs.getString(2), rs.getLong(3));
        }
      }
    }
    return out;
  }

  /**
   * The first whole minute after "now plus ? milliseconds" on the database clock: the tally's
   * buckets from it on lie wholly inside the window. Truncated as the V98 triggers truncate
   * created_at, so each row falls on exactly one side.
   */
  static String firstWholeMinute(Vendor v) {
    String at = OutboxStore.nowPlusMillis(v);
    return switch (v) {
      case POSTGRESQL -> "(date_trunc('minute', " + at + ") + INTERVAL '1 minute')";
      case H2 -> "DATEADD(MINUTE, 1, DATE_TRUNC('MINUTE', " + at + "))";
      case MARIADB ->
          "(CAST(DATE_FORMAT(" + at + ", '%Y-%m-%d %H:%i:00') AS DATETIME(6)) + INTERVAL 1 MINUTE)";
    };
  }

  private Map<Long, String> approvalStatuses(List<OutboxWork> todo) throws SQLException {
    Set<Long> ids = new LinkedHashSet<>();
    for (OutboxWork w : todo) {
      if (w.getRow().gov().approvalId() != null) {
        ids.add(w.getRow().gov().approvalId());
      }
    }
    Map<Long, String> out = new HashMap<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, status FROM approval_request WHERE id IN ("
                    + String.join(",", java.util.Collections.nCopies(ids.size(), "?"))
                    + ")")) {
      int i = 1;
      for (Long id : ids) {
        ps.setLong(i++, id);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------ holding

  /** Holds {@code rows} under the open request of their rule and campaign, opening one if none. */
  private void hold(Policy policy, Match m, List<OutboxWork> rows) throws SQLException {
    String key = openKey(m.rule().name(), m.campaign());
    OutboxWork first = rows.get(0);
    Set<String> countries = new LinkedHashSet<>();
    Set<String> requesters = new LinkedHashSet<>();
    for (OutboxWork w : rows) {
      String region = w.getToRegion();
      if (region != null) {
        countries.add(region);
      }
      requesters.add(requester(w.getRow()));
    }
    for (int attempt = 0; ; attempt++) {
      long requestId;
      try {
        requestId =
            Transactions.inTransaction(
                dataSource,
                c -> {
                  long id;
                  boolean opened = false;
                  String[] existing = openRequest(c, key);
                  if (existing == null) {
                    id = insertRequest(c, policy, m, key, first, countries, requesters);
                    opened = true;
                  } else {
                    id = Long.parseLong(existing[0]);
                    Set<String> cs = new LinkedHashSet<>(Approvals.split(existing[1]));
                    cs.addAll(countries);
                    Set<String> rs = new LinkedHashSet<>(Approvals.split(existing[2]));
                    rs.addAll(requesters);
                    try (PreparedStatement ps =
                        c.prepareStatement(
                            "UPDATE approval_request SET countries = ?, requested_by = ? WHERE id = ?")) {
                      ps.setString(1, Audit.clip(String.join(",", cs), 1000));
                      ps.setString(2, Audit.clip(String.join(",", rs), 1000));
                      ps.setLong(3, id);
                      ps.executeUpdate();
                    }
                  }
                  int held = writeHolds(c, id, m.reason(), rows);
                  try (PreparedStatement ps =
                      c.prepareStatement(
                          "UPDATE approval_request SET row_count = row_count + ? WHERE id = ?")) {
                    ps.setInt(1, held);
                    ps.setLong(2, id);
                    ps.executeUpdate();
                  }
                  Audit.append(
                      c,
                      Audit.Entry.of(
                          Audit.CONNECTOR,
                          Audit.Action.HOLD,
                          Approvals.SUBJECT,
                          String.valueOf(id),
                          opened ? null : "PENDING",
                          "PENDING",
                          held
                              + " row(s) held by rule "
                              + m.rule().name()
                              + (m.campaign() == null ? "" : ", campaign " + m.campaign())
                              + "; "
                              + m.reason()
                              + "; policy sha256 "
                              + policy.hash()));
                  return id;
                });
      } catch (SQLException e) {
        // Another replica opened the same request between our look-up and insert: join it.
        if (attempt < 3 && isUniqueViolation(e)) {
          continue;
        }
        throw e;
      }
      for (OutboxWork w : rows) {
        w.decide(Outcome.held(m.reason() + "; approval request " + requestId));
        w.log("GOVERNANCE", "HELD", null, null, null, "request " + requestId + ", " + m.reason());
      }
      return;
    }
  }

  /** A row with a pending approval found back in the queue (edited by hand): held again. */
  private void rehold(long id, List<OutboxWork> rows) throws SQLException {
    boolean pending =
        Transactions.inTransaction(
            dataSource,
            c -> {
              Approvals.find(c, id, true); // serialize with a decision on the same request
              String status = null;
              try (PreparedStatement ps =
                  c.prepareStatement("SELECT status FROM approval_request WHERE id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                  status = rs.next() ? rs.getString(1) : null;
                }
              }
              if (!"PENDING".equals(status)) {
                c.rollback();
                return false;
              }
              int held = writeHolds(c, id, "still awaiting approval request " + id, rows);
              Audit.append(
                  c,
                  Audit.Entry.of(
                      Audit.CONNECTOR,
                      Audit.Action.REHOLD,
                      Approvals.SUBJECT,
                      String.valueOf(id),
                      "PENDING",
                      "PENDING",
                      held + " row(s) back in the queue without a decision were held again"));
              return true;
            });
    if (!pending) {
      // Decided meanwhile: leave the rows to the next claim, which sees the decision.
      for (OutboxWork w : rows) {
        w.decide(Outcome.retry("GOVERNANCE_RECHECK", "approval " + id + " changed", null, 0));
      }
      return;
    }
    for (OutboxWork w : rows) {
      w.decide(Outcome.held("still awaiting approval request " + id));
      w.log("GOVERNANCE", "HELD", null, null, null, "request " + id + " still pending");
    }
  }

  private int writeHolds(Connection c, long id, String reason, List<OutboxWork> rows)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET status = 'HELD', reason_code = 'AWAITING_APPROVAL',"
                + " reason = ?, approval_id = ?, held_from = ?, hold_digest = ?, attempts = ?,"
                + " lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = "
                + now()
                + " WHERE id = ? AND lease_owner = ?")) {
      for (OutboxWork w : rows) {
        OutboxRow row = w.getRow();
        boolean reconciling = row.reconciling();
        // The claim counted a send attempt that did not happen: give it back.
        int attempts = reconciling ? row.attempts() : Math.max(0, row.attempts() - 1);
        String from = reconciling ? "RECONCILE" : attempts == 0 ? "PENDING" : "RETRY";
        ps.setString(1, Audit.clip(reason, 1000));
        ps.setLong(2, id);
        ps.setString(3, from);
        ps.setString(4, digest(w));
        ps.setInt(5, attempts);
        ps.setLong(6, row.id());
        ps.setString(7, owner);
        ps.addBatch();
      }
      int n = 0;
      for (int k : ps.executeBatch()) {
        n += k == Statement.SUCCESS_NO_INFO ? 1 : Math.max(0, k);
      }
      return n;
    }
  }

  private String[] openRequest(Connection c, String key) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, countries, requested_by FROM approval_request WHERE open_key = ?"
                + " FOR UPDATE")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? new String[] {String.valueOf(rs.getLong(1)), rs.getString(2), rs.getString(3)}
            : null;
      }
    }
  }

  private long insertRequest(
      Connection c,
      Policy policy,
      Match m,
      String key,
      OutboxWork first,
      Set<String> countries,
      Set<String> requesters)
      throws SQLException {
    Duration expiry = policy.approvalExpiry();
    String sql =
        "INSERT INTO approval_request (rule_name, campaign, open_key, status, reason, row_count,"
            + " template_name, channel, countries, sample, requested_by, policy_hash, expires_at)"
            + " VALUES (?, ?, ?, 'PENDING', ?, 0, ?, ?, ?, ?, ?, ?, "
            + nowPlusMillis()
            + ")";
    try (PreparedStatement ps = c.prepareStatement(sql, new String[] {"id"})) {
      ps.setString(1, m.rule().name());
      ps.setString(2, m.campaign());
      ps.setString(3, Audit.clip(key, 250));
      ps.setString(4, Audit.clip(m.reason(), 1000));
      ps.setString(5, first.getRow().templateName());
      ps.setString(6, first.getChannel());
      ps.setString(7, Audit.clip(String.join(",", countries), 1000));
      ps.setString(8, sample(first));
      ps.setString(9, Audit.clip(String.join(",", requesters), 1000));
      ps.setString(10, policy.hash());
      ps.setLong(11, expiry.toMillis());
      ps.executeUpdate();
      try (ResultSet rs = ps.getGeneratedKeys()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** What an approver sees: the rendered text and the masked recipient. */
  static String sample(OutboxWork w) {
    String body = w.getBody();
    if (w.getRow().contentSid() != null) {
      body = "[WhatsApp content " + w.getRow().contentSid() + "] " + w.getContentVariables();
    }
    return "to " + Redaction.phone(w.getTo()) + " via " + w.getChannel() + ": " + body;
  }

  /** The identity that caused the hold: the row's requested_by, else its source. */
  static String requester(OutboxRow row) {
    if (row.gov().requestedBy() != null && !row.gov().requestedBy().isBlank()) {
      return row.gov().requestedBy().trim();
    }
    return row.gov().crmObject() != null ? "crm:" + row.gov().crmObject() : "table";
  }

  /** Digest of what would be sent: an edit after the hold changes it. */
  static String digest(OutboxWork w) {
    OutboxRow r = w.getRow();
    String s =
        String.join(
            "\u0000",
            String.valueOf(r.channel()),
            String.valueOf(w.getTo()),
            String.valueOf(w.getFrom()),
            String.valueOf(w.getMessagingServiceSid()),
            String.valueOf(w.getBody()),
            String.valueOf(r.contentSid()),
            String.valueOf(w.getContentVariables()),
            String.valueOf(w.getMediaUrls()));
    return PolicyLoader.sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean isUniqueViolation(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.equals("23505") || state.equals("23000"));
  }

  private String now() {
    return switch (vendor) {
      case POSTGRESQL -> "now()";
      case H2 -> "CURRENT_TIMESTAMP";
      case MARIADB -> "NOW(6)";
    };
  }

  private String nowPlusMillis() {
    return switch (vendor) {
      case POSTGRESQL -> "now() + (CAST(? AS BIGINT) * INTERVAL '1 millisecond')";
      case H2 -> "DATEADD(MILLISECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)";
      case MARIADB -> "DATE_ADD(NOW(6), INTERVAL ? * 1000 MICROSECOND)";
    };
  }
}
