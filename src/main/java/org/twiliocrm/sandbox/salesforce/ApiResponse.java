package org.twiliocrm.sandbox.salesforce;

/**
 * An answer of the emulated REST API before it is written to HTTP.
 *
 * @param status HTTP status
 * @param body JSON-serialisable body, or null for none (204)
 */
record ApiResponse(int status, Object body) {
  static ApiResponse of(int status, Object body) {
    return new ApiResponse(status, body);
  }

  static ApiResponse noContent() {
    return new ApiResponse(204, null);
  }

  static ApiResponse error(SalesforceError e) {
    return new ApiResponse(e.status(), java.util.List.of(e.restBody()));
  }
}
