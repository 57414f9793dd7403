package org.twiliocrm.sandbox.twilio;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One sandbox and one webhook receiver per test class, both back to a clean state before each test.
 * Register it with {@code @RegisterExtension static final SandboxWithHooks sandbox = ...}.
 */
final class SandboxWithHooks implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {
  private final Function<Recorder, Map<String, String>> overrides;
  TwilioSandboxFixture fx;
  Recorder hooks;

  SandboxWithHooks() {
    this(hooks -> Map.of());
  }

  /** Sandbox settings that may name the receiver's URLs (e.g. the inbound webhook). */
  SandboxWithHooks(Function<Recorder, Map<String, String>> overrides) {
    this.overrides = overrides;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    hooks = new Recorder();
    fx = new TwilioSandboxFixture(overrides.apply(hooks));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    hooks.close();
    fx.close();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    fx.control("POST", "/sandbox/reset", null);
    hooks.hits.clear();
    hooks.reply.set("<Response/>");
    hooks.status.set(200);
    hooks.gate.set(null);
  }
}
