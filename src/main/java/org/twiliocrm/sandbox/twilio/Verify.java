package org.twiliocrm.sandbox.twilio;

import java.util.List;
import java.util.Map;

/** Placeholder until Verify is implemented. */
final class Verify {
  Verify(TwilioSandboxSettings settings, SandboxState state) {}

  Map<String, Object> start(String account, String service, Map<String, List<String>> form) {
    throw ApiError.notFound("Verify");
  }

  Map<String, Object> fetch(String account, String service, String sid) {
    throw ApiError.notFound("Verify");
  }

  Map<String, Object> update(
      String account, String service, String sid, Map<String, List<String>> form) {
    throw ApiError.notFound("Verify");
  }

  Map<String, Object> check(String account, String service, Map<String, List<String>> form) {
    throw ApiError.notFound("Verify");
  }

  void reset() {}
}
