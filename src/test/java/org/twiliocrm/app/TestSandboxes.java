package org.twiliocrm.app;

import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;

/**
 * Test-only access to the emulators a sandbox-mode {@link ConnectorApp} started: ConnectorApp's
 * public API hands out no sandbox types (the sandbox stays at the edge of production code).
 */
public final class TestSandboxes {
  private TestSandboxes() {}

  /** The Twilio emulator the connector started; null when it uses a shared one. */
  public static TwilioSandbox twilio(ConnectorApp app) {
    return app.sandboxes()
        .orElseThrow(() -> new IllegalStateException("not in sandbox mode"))
        .twilio();
  }

  public static SalesforceSandbox salesforce(ConnectorApp app) {
    return app.sandboxes()
        .orElseThrow(() -> new IllegalStateException("not in sandbox mode"))
        .salesforce();
  }
}
