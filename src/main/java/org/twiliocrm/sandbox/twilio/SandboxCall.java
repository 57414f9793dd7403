package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.Map;

/** Placeholder until Calls are implemented. */
final class SandboxCall {
  final Instant dateCreated = Instant.now();

  Map<String, Object> toJson() {
    return Map.of();
  }

  Map<String, Object> toInspection() {
    return Map.of();
  }
}
