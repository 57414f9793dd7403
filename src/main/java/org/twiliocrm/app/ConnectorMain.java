package org.twiliocrm.app;

import java.util.Arrays;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.ConfigSource;

/**
 * Entry point of the runnable jar.
 *
 * <pre>
 *   java -jar twilio-crm-connector.jar                 run the connector
 *   java -jar twilio-crm-connector.jar validate [dir]  check routes and kamelets, start nothing
 *   java -jar twilio-crm-connector.jar sandbox [...]   only the Twilio and Salesforce emulators
 *   java -jar twilio-crm-connector.jar preflight       check both accounts before going live
 *   java -jar twilio-crm-connector.jar templates ...   list, approve or reject template versions
 * </pre>
 */
public final class ConnectorMain {
  private ConnectorMain() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "run" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "run" -> run();
      case "validate" -> System.exit(RouteValidator.run(rest, System.out, System.err));
      case "sandbox" ->
          System.exit(org.twiliocrm.sandbox.SandboxMain.run(rest, System.out, System.err));
      case "preflight" -> System.exit(PreflightCommand.run(System.out, System.err));
      case "templates" -> System.exit(TemplatesCommand.run(rest, System.out, System.err));
      case "help", "--help", "-h" -> usage(0);
      default -> {
        System.err.println("Unknown command '" + command + "'.");
        usage(2);
      }
    }
  }

  private static void run() throws Exception {
    ConnectorApp app;
    try {
      app = new ConnectorApp(ConfigSource.load());
    } catch (ConfigException e) {
      System.err.println("Configuration error: " + e.getMessage());
      System.err.println("The connector did not start.");
      System.exit(2);
      return;
    }
    try {
      app.runUntilStopped();
    } catch (Exception e) {
      // One readable line first; the stack trace above it is for the developer.
      System.err.println("Start-up failed: " + causes(e));
      System.exit(3);
    }
  }

  private static String causes(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = e; c != null && c != c.getCause(); c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && sb.indexOf(m) < 0) {
        sb.append(sb.length() == 0 ? "" : " <- ").append(m);
      }
    }
    return sb.toString();
  }

  private static void usage(int exit) {
    System.out.println(
        """
        Usage:
          java -jar twilio-crm-connector.jar [run]
              Start the connector (sandbox mode unless Twilio credentials are configured).
          java -jar twilio-crm-connector.jar validate [--routes DIR] [--kamelets DIR]
                  [--templates DIR] [--policies FILE] [FILE...]
              Check YAML routes, kamelets, message templates and the send approval policy
              (governance/policies.yaml) without starting any consumer.
              Prints each error with file, line and reason; exits 1 if any.
          java -jar twilio-crm-connector.jar templates list [NAME]
          java -jar twilio-crm-connector.jar templates approve VERSION --as NAME
          java -jar twilio-crm-connector.jar templates reject VERSION --as NAME [--comment TEXT]
              List template versions with their approval state, or decide a pending one, in the
              connector's database (connector.db.*); see docs/templates.md.
          java -jar twilio-crm-connector.jar sandbox [--host H] [--twilio-port N]
                  [--salesforce-port N] [--seed FILE] [--state-dir DIR]
              Start only the local Twilio and Salesforce emulators (127.0.0.1:8089 and :8091)
              for testing your own application against them; see docs/sandbox.md.
          java -jar twilio-crm-connector.jar preflight
              Check the database, Twilio, Salesforce (against salesforce/) and Kubernetes;
              prints a table with the fix of each failure; exits 0 only if all required pass.
        """);
    System.exit(exit);
  }
}
