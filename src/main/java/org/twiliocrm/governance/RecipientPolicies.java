package org.twiliocrm.governance;

import java.io.IOException;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recipient policy in force ({@code governance/recipients.yaml}) and its reloading, as {@link
 * Policies} does for the approval rules: a bad file stops start-up with file:line; a broken edit
 * while running keeps the last good policy, is logged once and audited (POLICY_REJECTED); each
 * policy taken into force is audited (POLICY_LOADED) with its SHA-256.
 */
public final class RecipientPolicies {
  private static final Logger LOG = LoggerFactory.getLogger(RecipientPolicies.class);

  private final RecipientPolicyLoader loader = new RecipientPolicyLoader();
  private final String location;
  private final Audit audit;
  private final AtomicReference<RecipientPolicy> current = new AtomicReference<>();
  private final AtomicReference<String> error = new AtomicReference<>();
  private volatile String lastSeenHash;
  private volatile boolean audited;

  public RecipientPolicies(String location, Audit audit) {
    this.location = location;
    this.audit = audit;
    RecipientPolicy p = loader.load(location);
    current.set(p);
    lastSeenHash = p.hash();
  }

  public RecipientPolicy current() {
    return current.get();
  }

  /** The problem with the file on disk while it is not the policy in force; null when fine. */
  public String error() {
    return error.get();
  }

  /** Re-reads the file; takes it into force only if whole and valid. Returns true if so. */
  public boolean reload() {
    if (!audited) {
      audited = audit("POLICY_LOADED", null, current.get().hash(), summary(current.get()));
    }
    byte[] bytes;
    try {
      bytes = PolicyLoader.read(location);
    } catch (IOException e) {
      return reject(location + ": cannot read: " + e.getMessage(), "unreadable");
    }
    String hash = PolicyLoader.sha256(bytes);
    if (hash.equals(lastSeenHash)) {
      return false;
    }
    lastSeenHash = hash;
    try {
      RecipientPolicy p = loader.parse(location, bytes);
      String before = current.get().hash();
      current.set(p);
      error.set(null);
      LOG.info("Recipient policy {} reloaded, sha256 {}", location, hash);
      audit("POLICY_LOADED", before, hash, summary(p));
      return true;
    } catch (PolicyException e) {
      return reject(e.getMessage(), hash);
    }
  }

  private boolean reject(String problem, String hash) {
    if (!problem.equals(error.get())) {
      LOG.error(
          "Recipient policy {} not taken into force, keeping the last good one: {}",
          location,
          problem);
      audit("POLICY_REJECTED", current.get().hash(), hash, problem);
    }
    error.set(problem);
    return false;
  }

  private boolean audit(String action, String before, String after, String detail) {
    try {
      audit.append(
          Audit.Entry.of(Audit.CONNECTOR, action, "policy", location, before, after, detail));
      return true;
    } catch (SQLException e) {
      LOG.warn("Could not audit the recipient policy yet: {}", e.getMessage());
      return false;
    }
  }

  private static String summary(RecipientPolicy p) {
    return "purposes " + p.purposes().keySet() + ", geo " + p.geo().keySet();
  }
}
