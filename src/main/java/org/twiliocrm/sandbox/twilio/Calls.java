package org.twiliocrm.sandbox.twilio;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Placeholder until Calls are implemented. */
final class Calls {
  Calls(
      TwilioSandboxSettings settings, SandboxState state, CallbackSender callbacks, Vertx vertx) {}

  SandboxCall create(String account, Map<String, List<String>> form) {
    throw ApiError.notFound("Calls");
  }

  SandboxCall fetch(String account, String sid) {
    throw ApiError.notFound("Calls");
  }

  SandboxCall update(String account, String sid, Map<String, List<String>> form) {
    throw ApiError.notFound("Calls");
  }

  List<Map<String, Object>> forHandset(String handset) {
    return List.of();
  }

  CompletableFuture<Map<String, Object>> answerGather(
      String handset, String callSid, String digits) {
    throw new IllegalArgumentException("no calls yet");
  }
}
