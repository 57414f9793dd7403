package org.twiliocrm.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares partial expected records with actual ones and writes what differs: for each expected
 * entry without a match, the closest actual record field by field ({@code -} expected, {@code +}
 * actual), then the actual records nothing expected.
 */
final class Diff {
  private Diff() {}

  /** True when every key of {@code want} has the same text in {@code actual}. */
  static boolean matches(Map<String, Object> want, Map<String, Object> actual) {
    return want.entrySet().stream().allMatch(e -> same(e.getValue(), actual.get(e.getKey())));
  }

  static boolean same(Object want, Object actual) {
    if (want == null) {
      return actual == null;
    }
    // "/regex/": the whole actual text must match (for generated parts such as a CaseNumber).
    if (want instanceof String w && w.length() > 1 && w.startsWith("/") && w.endsWith("/")) {
      return actual != null
          && java.util.regex.Pattern.compile(
                  w.substring(1, w.length() - 1), java.util.regex.Pattern.DOTALL)
              .matcher(text(actual))
              .matches();
    }
    return actual != null && text(want).equals(text(actual));
  }

  static String text(Object o) {
    if (o instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return String.valueOf(n.longValue());
    }
    return String.valueOf(o);
  }

  /** Exactly these records, any order: one actual each, and no actual left over. */
  static void exact(
      String what,
      List<Map<String, Object>> want,
      List<Map<String, Object>> actual,
      StringBuilder out) {
    List<Map<String, Object>> left = new ArrayList<>(actual);
    List<Map<String, Object>> missing = new ArrayList<>();
    for (Map<String, Object> w : want) {
      Map<String, Object> hit = left.stream().filter(a -> matches(w, a)).findFirst().orElse(null);
      if (hit == null) {
        missing.add(w);
      } else {
        left.remove(hit);
      }
    }
    if (missing.isEmpty() && left.isEmpty()) {
      return;
    }
    out.append(what)
        .append(": expected ")
        .append(want.size())
        .append(", got ")
        .append(actual.size())
        .append('\n');
    for (Map<String, Object> w : missing) {
      closest(w, left, out);
    }
    for (Map<String, Object> a : left) {
      out.append("  + unexpected ")
          .append(brief(a, missing.isEmpty() ? null : missing.get(0)))
          .append('\n');
    }
  }

  /** At least one actual record matches. */
  static void contains(
      String what, Map<String, Object> want, List<Map<String, Object>> actual, StringBuilder out) {
    if (actual.stream().anyMatch(a -> matches(want, a))) {
      return;
    }
    out.append(what).append(": no record matches (").append(actual.size()).append(" records)\n");
    closest(want, actual, out);
  }

  private static void closest(
      Map<String, Object> want, List<Map<String, Object>> candidates, StringBuilder out) {
    Map<String, Object> best = null;
    long bestScore = -1;
    for (Map<String, Object> a : candidates) {
      long score =
          want.entrySet().stream().filter(e -> same(e.getValue(), a.get(e.getKey()))).count();
      if (score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
    out.append("  expected ").append(want).append('\n');
    if (best == null) {
      out.append("    (nothing to compare with)\n");
      return;
    }
    out.append("    closest actual:\n");
    for (Map.Entry<String, Object> e : want.entrySet()) {
      Object got = best.get(e.getKey());
      if (same(e.getValue(), got)) {
        out.append("        ").append(e.getKey()).append(": ").append(text(got)).append('\n');
      } else {
        out.append("      - ")
            .append(e.getKey())
            .append(": ")
            .append(text(e.getValue()))
            .append('\n');
        out.append("      + ")
            .append(e.getKey())
            .append(": ")
            .append(best.containsKey(e.getKey()) ? text(got) : "(absent)")
            .append('\n');
      }
    }
  }

  /** An actual record shown with the keys the test talks about (or its first few). */
  private static String brief(Map<String, Object> a, Map<String, Object> like) {
    if (like == null) {
      return a.toString();
    }
    StringBuilder sb = new StringBuilder("{");
    for (String k : like.keySet()) {
      sb.append(sb.length() == 1 ? "" : ", ").append(k).append('=').append(text(a.get(k)));
    }
    return sb.append('}').toString();
  }
}
