package org.twiliocrm.preflight;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The preflight table: one line per check (✓ passed, ✗ required and failed, ! recommended, -
 * skipped), then the fix of each failure. Every known secret is masked in the output, whatever
 * message it came through.
 */
public final class PreflightReport {
  private final List<Check> checks;
  private final List<String> secrets;

  public PreflightReport(List<Check> checks, Set<String> secrets) {
    this.checks = List.copyOf(checks);
    // Longest first, so that a secret containing another is masked whole.
    this.secrets =
        secrets.stream()
            .filter(s -> s != null && s.length() >= 4)
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList();
  }

  public List<Check> checks() {
    return checks;
  }

  /** True when every required check passed. */
  public boolean passed() {
    return checks.stream().allMatch(Check::ok);
  }

  /** 0 when every required check passed, 1 otherwise. */
  public int exitCode() {
    return passed() ? 0 : 1;
  }

  public String render() {
    int areaW = "AREA".length();
    int nameW = "CHECK".length();
    for (Check c : checks) {
      areaW = Math.max(areaW, c.area().length());
      nameW = Math.min(60, Math.max(nameW, c.name().length()));
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%s  %-" + areaW + "s  %-" + nameW + "s  %s%n";
    sb.append(String.format(fmt, " ", "AREA", "CHECK", "DETAIL"));
    List<Check> fixes = new ArrayList<>();
    for (Check c : checks) {
      sb.append(String.format(fmt, c.status().symbol(), c.area(), c.name(), c.detail()));
      if (!c.fix().isEmpty()
          && (c.status() == Check.Status.FAIL || c.status() == Check.Status.WARN)) {
        fixes.add(c);
      }
    }
    long failed = checks.stream().filter(c -> c.status() == Check.Status.FAIL).count();
    long warned = checks.stream().filter(c -> c.status() == Check.Status.WARN).count();
    if (!fixes.isEmpty()) {
      sb.append(System.lineSeparator()).append("How to fix:").append(System.lineSeparator());
      for (Check c : fixes) {
        sb.append("  ")
            .append(c.status().symbol())
            .append(' ')
            .append(c.area())
            .append(" / ")
            .append(c.name())
            .append(": ")
            .append(c.fix())
            .append(System.lineSeparator());
      }
    }
    sb.append(System.lineSeparator())
        .append(
            failed == 0
                ? "PREFLIGHT PASSED: every required check passed"
                : "PREFLIGHT FAILED: " + failed + " required check(s) failed")
        .append(warned == 0 ? "" : " (" + warned + " recommendation(s))")
        .append(System.lineSeparator());
    return mask(sb.toString());
  }

  public String mask(String text) {
    String out = text;
    for (String s : secrets) {
      out = out.replace(s, "****");
    }
    return out;
  }
}
