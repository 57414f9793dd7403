package org.twiliocrm.crm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A field mapping written in a route's YAML: {@code SalesforceField=source,...}. Parsed here, kept
 * in YAML so an integration engineer changes objects and fields without touching Java.
 */
public final class CrmMapping {
  private CrmMapping() {}

  /** {@code A=b, C=d} -> {A: b, C: d} in order; blank items are skipped. */
  public static Map<String, String> parse(String what, String spec) {
    Map<String, String> out = new LinkedHashMap<>();
    if (spec == null) {
      return out;
    }
    for (String item : spec.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.indexOf('=');
      if (eq <= 0 || eq == item.trim().length() - 1) {
        throw new IllegalArgumentException(
            what + ": each item must read SalesforceField=source, got '" + item.trim() + "'");
      }
      out.put(item.substring(0, eq).trim(), item.substring(eq + 1).trim());
    }
    return out;
  }
}
