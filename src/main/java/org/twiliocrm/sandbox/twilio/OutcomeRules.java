package org.twiliocrm.sandbox.twilio;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Chooses a message's final status from its recipient: the first rule whose pattern matches the
 * whole To (with its {@code whatsapp:} prefix, if any) wins; otherwise the message is delivered.
 * Status {@code rejected} refuses the create itself (HTTP 400 with the rule's error code, e.g.
 * {@code whatsapp:\+1...=rejected:63016}), where Twilio refuses a request before any message
 * exists. Rules come from settings and can be added at run time through the control API.
 */
final class OutcomeRules {

  record Rule(Pattern pattern, String status, Integer errorCode) {}

  record Outcome(String status, Integer errorCode) {
    static final Outcome DELIVERED = new Outcome("delivered", null);
  }

  private final List<Rule> defaults;
  private final List<Rule> rules = new CopyOnWriteArrayList<>();

  OutcomeRules(String spec) {
    this.defaults = parse("sandbox.twilio.outcome-rules", spec);
    rules.addAll(defaults);
  }

  /** The error code a {@code rejected} rule refuses a create to {@code to} with, if any. */
  Integer rejectionFor(String to) {
    for (Rule r : rules) {
      if (r.pattern.matcher(to).matches()) {
        return "rejected".equals(r.status) ? r.errorCode : null;
      }
    }
    return null;
  }

  Outcome outcomeFor(String to) {
    for (Rule r : rules) {
      if (r.pattern.matcher(to).matches()) {
        return new Outcome(r.status, r.errorCode);
      }
    }
    return Outcome.DELIVERED;
  }

  /** Adds a rule in front of the others, so a test can override a default. */
  void addFirst(String pattern, String status, Integer errorCode) {
    rules.add(0, rule("rule", pattern, status, errorCode));
  }

  List<Rule> rules() {
    return List.copyOf(rules);
  }

  void reset() {
    rules.clear();
    rules.addAll(defaults);
  }

  static String check(String key, String spec) {
    parse(key, spec);
    return spec;
  }

  /** {@code regex=status[:code];regex=status[:code]}. */
  static List<Rule> parse(String key, String spec) {
    List<Rule> out = new java.util.ArrayList<>();
    for (String item : spec.split(";")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            key + ": each rule must be regex=status[:code], got '" + item + "'");
      }
      String[] sc = item.substring(eq + 1).trim().split(":", 2);
      Integer code;
      try {
        code = sc.length == 2 ? Integer.valueOf(sc[1].trim()) : null;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            key + ": error code must be an integer in '" + item + "'");
      }
      out.add(rule(key, item.substring(0, eq).trim(), sc[0].trim(), code));
    }
    return out;
  }

  private static Rule rule(String key, String pattern, String status, Integer code) {
    if (!List.of("delivered", "undelivered", "failed", "read", "sent", "rejected")
        .contains(status)) {
      throw new IllegalArgumentException(
          key
              + ": status must be delivered, undelivered, failed, read, sent or rejected, got '"
              + status
              + "'");
    }
    if ("rejected".equals(status) && code == null) {
      throw new IllegalArgumentException(
          key + ": a rejected rule needs the error code Twilio refuses with, e.g. rejected:63016");
    }
    try {
      return new Rule(Pattern.compile(pattern), status, code);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          key + ": bad pattern '" + pattern + "': " + e.getDescription());
    }
  }
}
