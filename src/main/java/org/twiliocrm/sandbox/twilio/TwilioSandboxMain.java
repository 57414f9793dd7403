package org.twiliocrm.sandbox.twilio;

import java.util.Locale;

/**
 * Runs the sandbox on its own. Settings come from system properties ({@code
 * -Dsandbox.twilio.port=8089}) or the environment ({@code SANDBOX_TWILIO_PORT=8089}); defaults as
 * in application.properties.
 */
public final class TwilioSandboxMain {
  private TwilioSandboxMain() {}

  public static void main(String[] args) throws InterruptedException {
    TwilioSandboxSettings settings =
        TwilioSandboxSettings.from(
            key -> {
              String v = System.getProperty(key);
              return v != null
                  ? v
                  : System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            });
    TwilioSandbox sandbox = TwilioSandbox.start(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(sandbox::close, "twilio-sandbox-stop"));
    System.out.println(
        "Twilio sandbox on " + sandbox.baseUrl() + " (account " + sandbox.accountSid() + ")");
    Thread.currentThread().join();
  }
}
