package org.twiliocrm.governance;

import java.io.IOException;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * A policy file in force and its reloading, the same for the approval rules ({@link Policies}) and
 * the recipient checks ({@link RecipientPolicies}). Start-up loads the file and a bad one throws
 * {@link PolicyException} with file:line. {@link #reload()} takes a changed file into force only if
 * it parses whole; a broken edit keeps the last good policy, is logged once and audited
 * (POLICY_REJECTED), and {@link #error()} says why until the file is good again. Every policy taken
 * into force is audited as POLICY_LOADED with the file's SHA-256.
 *
 * @param <P> the parsed policy
 */
final class PolicyFile<P> {
  private final Logger log;
  private final String label;
  private final String location;
  private final BiFunction<String, byte[], P> parse;
  private final Function<P, String> hash;
  private final Function<P, String> summary;
  private final Audit audit;
  private final AtomicReference<P> current = new AtomicReference<>();
  private final AtomicReference<String> error = new AtomicReference<>();
  private volatile String lastSeenHash;
  private volatile boolean auditedCurrent;

  /**
   * Loads the policy now; a bad file throws {@link PolicyException}.
   *
   * @param log the owner's logger, so the lines keep its name
   * @param label how log lines name the file, e.g. "Recipient policy"
   * @param parse the file's bytes to a policy; a bad file throws {@link PolicyException}
   * @param hash the policy's file SHA-256
   * @param summary the audit entry's detail for a policy taken into force
   */
  PolicyFile(
      Logger log,
      String label,
      String location,
      BiFunction<String, byte[], P> parse,
      Function<P, String> hash,
      Function<P, String> summary,
      Audit audit) {
    this.log = log;
    this.label = label;
    this.location = location;
    this.parse = parse;
    this.hash = hash;
    this.summary = summary;
    this.audit = audit;
    P p = parse.apply(location, PolicyYaml.bytes(location));
    current.set(p);
    lastSeenHash = hash.apply(p);
  }

  P current() {
    return current.get();
  }

  String location() {
    return location;
  }

  /** The problem with the file on disk while it is not the policy in force; null when fine. */
  String error() {
    return error.get();
  }

  /** Audits the policy in force once the database is reachable (start-up). */
  void auditLoaded() {
    if (!auditedCurrent) {
      P p = current.get();
      auditedCurrent = audit(Audit.Action.POLICY_LOADED, null, hash.apply(p), summary.apply(p));
    }
  }

  /** Re-reads the file; takes it into force only if it is whole and valid. Returns true if so. */
  boolean reload() {
    auditLoaded();
    byte[] bytes;
    try {
      bytes = PolicyLoader.read(location);
    } catch (IOException e) {
      return reject(location + ": cannot read: " + e.getMessage(), "unreadable");
    }
    String h = PolicyLoader.sha256(bytes);
    if (h.equals(lastSeenHash)) {
      return false;
    }
    lastSeenHash = h;
    try {
      P p = parse.apply(location, bytes);
      String before = hash.apply(current.get());
      current.set(p);
      error.set(null);
      String detail = summary.apply(p);
      log.info("{} {} reloaded, sha256 {}: {}", label, location, h, detail);
      audit(Audit.Action.POLICY_LOADED, before, h, detail);
      return true;
    } catch (PolicyException e) {
      return reject(e.getMessage(), h);
    }
  }

  private boolean reject(String problem, String h) {
    if (!problem.equals(error.get())) {
      String inForce = hash.apply(current.get());
      log.error(
          "{} {} not taken into force, keeping the last good one (sha256 {}): {}",
          label,
          location,
          inForce,
          problem);
      audit(Audit.Action.POLICY_REJECTED, inForce, h, problem);
    }
    error.set(problem);
    return false;
  }

  /** Appends an entry about the file; false (logged) when the database cannot take it yet. */
  private boolean audit(String action, String before, String after, String detail) {
    try {
      audit.append(
          Audit.Entry.of(Audit.CONNECTOR, action, "policy", location, before, after, detail));
      return true;
    } catch (SQLException e) {
      log.warn("Could not audit {} of {} {} yet: {}", action, label, location, e.getMessage());
      return false;
    }
  }
}
