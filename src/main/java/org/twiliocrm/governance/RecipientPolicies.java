package org.twiliocrm.governance;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recipient policy in force ({@code governance/recipients.yaml}) and its reloading ({@link
 * PolicyFile}), as for the approval rules: a bad file stops start-up with file:line; a broken edit
 * while running keeps the last good policy, is logged once and audited (POLICY_REJECTED); each
 * policy taken into force is audited (POLICY_LOADED) with its SHA-256.
 */
public final class RecipientPolicies {
  private static final Logger LOG = LoggerFactory.getLogger(RecipientPolicies.class);

  private final PolicyFile<RecipientPolicy> file;

  public RecipientPolicies(String location, Audit audit) {
    file =
        new PolicyFile<>(
            LOG,
            "Recipient policy",
            location,
            new RecipientPolicyLoader()::parse,
            RecipientPolicy::hash,
            RecipientPolicies::summary,
            audit);
  }

  public RecipientPolicy current() {
    return file.current();
  }

  /** The problem with the file on disk while it is not the policy in force; null when fine. */
  public String error() {
    return file.error();
  }

  /** Re-reads the file; takes it into force only if whole and valid. Returns true if so. */
  public boolean reload() {
    return file.reload();
  }

  private static String summary(RecipientPolicy p) {
    return "purposes " + p.purposes().keySet() + ", geo " + p.geo().keySet();
  }
}
