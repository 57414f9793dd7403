package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.Map;

/** Placeholder until Verify is implemented. */
final class SandboxVerification {
  final Instant dateCreated = Instant.now();

  Map<String, Object> toInspection() {
    return Map.of();
  }
}
