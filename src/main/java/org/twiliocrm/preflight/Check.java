package org.twiliocrm.preflight;

/**
 * One line of the preflight table.
 *
 * @param area Database, Twilio, Salesforce, Kubernetes
 * @param name what was checked, e.g. {@code field Twilio_Message__c.Status__c}
 * @param status the outcome
 * @param detail what was found (an error message when the check could not run)
 * @param fix what to do about a failure; empty when it passed
 */
public record Check(String area, String name, Status status, String detail, String fix) {

  public enum Status {
    /** Passed. */
    PASS("✓"),
    /** A required check failed: the connector would not work; preflight exits 1. */
    FAIL("✗"),
    /** A recommended check failed: worth fixing, does not fail preflight. */
    WARN("!"),
    /** Did not apply here (e.g. Kubernetes outside a pod). */
    SKIP("-");

    private final String symbol;

    Status(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }
  }

  public static Check pass(String area, String name, String detail) {
    return new Check(area, name, Status.PASS, detail, "");
  }

  public static Check fail(String area, String name, String detail, String fix) {
    return new Check(area, name, Status.FAIL, detail, fix);
  }

  public static Check warn(String area, String name, String detail, String fix) {
    return new Check(area, name, Status.WARN, detail, fix);
  }

  public static Check skip(String area, String name, String detail) {
    return new Check(area, name, Status.SKIP, detail, "");
  }

  /**
   * A failed check in live mode; in sandbox mode, where nothing is exposed to Twilio and nothing of
   * value is stored, a skipped line that says what live mode will require.
   */
  public static Check failInLive(
      boolean live, String area, String name, String detail, String fix) {
    return live
        ? fail(area, name, detail, fix)
        : skip(area, name, detail + " (required in live mode)");
  }

  /** A recommendation in live mode, a skipped line in sandbox mode. */
  public static Check warnInLive(
      boolean live, String area, String name, String detail, String fix) {
    return live
        ? warn(area, name, detail, fix)
        : skip(area, name, detail + " (recommended in live mode)");
  }

  public boolean ok() {
    return status != Status.FAIL;
  }

  /** The message of an exception for the table: its class and message, never a stack trace. */
  static String error(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = e; c != null && sb.length() < 400; c = c.getCause()) {
      String m = c.getMessage();
      String part = c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
      if (sb.indexOf(part) < 0) {
        sb.append(sb.length() == 0 ? "" : " <- ").append(part);
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return sb.toString().replaceAll("\\s+", " ");
  }
}
