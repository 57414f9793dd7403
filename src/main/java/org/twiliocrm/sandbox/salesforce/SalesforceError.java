package org.twiliocrm.sandbox.salesforce;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Salesforce API error: HTTP status plus the {@code [{"message","errorCode","fields"}]} body
 * shape the REST API answers with (and {@code statusCode} inside collection results).
 */
public final class SalesforceError extends RuntimeException {
  private final int status;
  private final String errorCode;
  private final List<String> fields;

  public SalesforceError(int status, String errorCode, String message, List<String> fields) {
    super(message, null, false, false);
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  public SalesforceError(int status, String errorCode, String message) {
    this(status, errorCode, message, List.of());
  }

  public int status() {
    return status;
  }

  public String errorCode() {
    return errorCode;
  }

  public List<String> fields() {
    return fields;
  }

  /** Element of the top-level REST error array. */
  public Map<String, Object> restBody() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("message", getMessage());
    m.put("errorCode", errorCode);
    if (!fields.isEmpty()) {
      m.put("fields", fields);
    }
    return m;
  }

  /** Element of an {@code errors} list inside a collections/save result. */
  public Map<String, Object> saveResultError() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("statusCode", errorCode);
    m.put("message", getMessage());
    m.put("fields", fields);
    return m;
  }

  static SalesforceError notFound() {
    return new SalesforceError(404, "NOT_FOUND", "The requested resource does not exist");
  }

  /** A resource the sandbox does not emulate: Salesforce's 404 shape, naming the path. */
  static SalesforceError notEmulated(String method, String path) {
    return new SalesforceError(
        404,
        "NOT_FOUND",
        "The requested resource does not exist: the Salesforce sandbox does not emulate "
            + method
            + " "
            + path
            + "; the operations it serves are listed in docs/sandbox-coverage.md");
  }

  /** 400 INVALID_FIELD: a field name the object does not have, as the caller words it. */
  static SalesforceError invalidField(String message) {
    return new SalesforceError(400, "INVALID_FIELD", message);
  }

  static SalesforceError invalidSession() {
    return new SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid");
  }
}
