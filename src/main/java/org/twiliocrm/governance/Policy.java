package org.twiliocrm.governance;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A loaded, checked policy file ({@code governance/policies.yaml}): the rules that hold a send for
 * a human. Immutable: a reload builds a new one and swaps it in whole, so a row is never judged by
 * half a policy. See docs/governance.md for the file format.
 *
 * @param location where it was read from (path or classpath:...)
 * @param hash SHA-256 of the file's bytes (hex), recorded in the audit trail when loaded
 * @param approvalExpiry how long an approval request waits for a decision before its rows fail
 * @param rules the rules, in file order; a row is held by the first that matches
 */
public record Policy(String location, String hash, Duration approvalExpiry, List<Rule> rules) {

  /** An empty policy: nothing is held. */
  public static Policy none(String location, Duration expiry) {
    return new Policy(location, "", expiry, List.of());
  }

  /**
   * One rule: every condition given must hold for a row to be held by it.
   *
   * @param name unique, stable name (it groups rows into approval requests with the campaign)
   * @param line the rule's line in the file, for messages
   * @param channels held only on these channels (empty: any)
   * @param templates held only for rows using one of these templates (empty: any)
   * @param bulk more than N rows per campaign or per template within a window
   * @param freeTextSources a body without a template from one of these sources (crm, table)
   * @param firstSendOfTemplateVersion the first sends of each new template version
   * @param allowedCountries held when the destination's region is outside these (ISO codes)
   * @param allowedDomains held when the body has a URL whose host is outside these domains
   */
  public record Rule(
      String name,
      int line,
      Set<String> channels,
      Set<String> templates,
      Bulk bulk,
      Set<String> freeTextSources,
      boolean firstSendOfTemplateVersion,
      Set<String> allowedCountries,
      Set<String> allowedDomains) {}

  /**
   * Bulk condition: more than {@code moreThan} rows sharing a campaign (or template) in a window.
   */
  public record Bulk(By by, int moreThan, Duration window) {
    public enum By {
      CAMPAIGN,
      TEMPLATE
    }
  }
}
