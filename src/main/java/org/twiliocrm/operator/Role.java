package org.twiliocrm.operator;

import java.util.Locale;

/**
 * What an operator may do on the connector's HTTP port, each role including the ones before it: a
 * viewer reads (approval requests, templates, audit, metrics), an approver also decides approval
 * requests, an admin may do everything, including endpoints no narrower role is named for.
 */
public enum Role {
  VIEWER,
  APPROVER,
  ADMIN;

  /** True when this role includes {@code required}. */
  public boolean includes(Role required) {
    return compareTo(required) >= 0;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code viewer}, {@code approver} or {@code admin}; null when it is none of them. */
  public static Role parse(String s) {
    if (s == null) {
      return null;
    }
    for (Role r : values()) {
      if (r.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    return null;
  }
}
