package org.twiliocrm.sandbox.twilio;

import java.util.LinkedHashMap;
import java.util.Map;

/** A Twilio REST error: HTTP status plus Twilio's JSON body {code, message, more_info, status}. */
final class ApiError extends RuntimeException {
  final int status;
  final int code;

  ApiError(int status, int code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  Map<String, Object> body() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("code", code);
    m.put("message", getMessage());
    m.put("more_info", "https://www.twilio.com/docs/errors/" + code);
    m.put("status", status);
    return m;
  }

  static ApiError badRequest(int code, String message) {
    return new ApiError(400, code, message);
  }

  /** A path or method the sandbox does not emulate: Twilio's 404 shape, naming what is missing. */
  static ApiError notEmulated(String method, String path) {
    return new ApiError(
        404,
        20404,
        "The requested resource "
            + path
            + " was not found. The Twilio sandbox does not emulate "
            + method
            + " "
            + path
            + "; the operations it serves are listed in docs/sandbox-coverage.md");
  }

  static ApiError notFound(String what) {
    return new ApiError(404, 20404, "The requested resource " + what + " was not found");
  }
}
