package org.twiliocrm.operator;

import java.util.regex.Pattern;

/**
 * Which role each request on the connector's HTTP port needs; null means open. Deny by default: a
 * path not named here needs {@code admin}, so an endpoint added later (or one Camel's management
 * server adds) is never open by accident.
 *
 * <p>Open, and why:
 *
 * <ul>
 *   <li>{@code /observe/health}, {@code /observe/health/live}, {@code /observe/health/ready}:
 *       Kubernetes' probes cannot send a credential from a Secret; anonymous callers get the status
 *       only ({@code {"status":"UP"}}). With a viewer's credentials, or to ask for detail ({@code
 *       ?exposureLevel=full}, which then needs them), every check with its message.
 *   <li>{@code /webhooks/*}: Twilio cannot send a password; every webhook checks Twilio's request
 *       signature instead (X-Twilio-Signature) and refuses an unsigned one with 403.
 *   <li>{@code /console} and {@code /console/*}: the operator console's static pages (no data in
 *       them) and its sign-in; every piece of data the pages show comes from {@code /api/*}, which
 *       stays protected, and the console's own session endpoints check the session themselves
 *       (console.ConsoleHandler).
 * </ul>
 */
public final class OperatorAccess {
  private static final Pattern DECISION =
      Pattern.compile(
          "/api/(approvals/[^/]+/(approve|reject)|template-approvals/[^/]+/(approve|reject|submit)"
              + "|consent/opt-out|failed/retry|sandbox/handsets/[^/]+/messages)");

  private OperatorAccess() {}

  /** What {@code connector.management.port} serves: {@code /} and {@code /observe/*}. */
  public static boolean isManagement(String path) {
    return path != null
        && (path.equals("/") || path.equals("/observe") || path.startsWith("/observe/"));
  }

  /** One of the health paths: open, but with the status only unless the caller is an operator. */
  public static boolean isHealth(String path) {
    return path != null
        && (path.equals("/observe/health")
            || path.equals("/observe/health/live")
            || path.equals("/observe/health/ready"));
  }

  /**
   * Whether a health request's query asks Camel for more than the status (exposureLevel, data,
   * stackTrace): only an operator (viewer) may.
   */
  public static boolean asksHealthDetail(String query) {
    if (query == null || query.isEmpty()) {
      return false;
    }
    for (String part : query.split("&")) {
      String name = part.contains("=") ? part.substring(0, part.indexOf('=')) : part;
      if (name.equalsIgnoreCase("exposureLevel")
          || name.equalsIgnoreCase("data")
          || name.equalsIgnoreCase("stackTrace")) {
        return true;
      }
    }
    return false;
  }

  /** The role a request needs, or null when it is open. {@code path} must be normalized. */
  public static Role required(String method, String path) {
    if (path == null) {
      return Role.ADMIN;
    }
    if (path.equals("/observe/health")
        || path.equals("/observe/health/live")
        || path.equals("/observe/health/ready")
        || path.startsWith("/webhooks/")
        || path.equals("/console")
        || path.startsWith("/console/")) {
      return null;
    }
    boolean read = "GET".equals(method) || "HEAD".equals(method);
    if (read && (path.equals("/") || path.equals("/observe/metrics"))) {
      return Role.VIEWER;
    }
    if (path.equals("/api") || path.startsWith("/api/")) {
      if (read) {
        return Role.VIEWER;
      }
      if ("POST".equals(method) && DECISION.matcher(path).matches()) {
        return Role.APPROVER;
      }
    }
    return Role.ADMIN;
  }
}
