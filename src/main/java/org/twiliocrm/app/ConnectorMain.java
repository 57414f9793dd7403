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
 *   java -jar twilio-crm-connector.jar senders [--apply] the account's senders, problems and fixes
 *   java -jar twilio-crm-connector.jar test [files]    run flow tests (tests/*.flow.yaml)
 *   java -jar twilio-crm-connector.jar operator ...    hash a password / mint a token for the Secret
 *   java -jar twilio-crm-connector.jar templates ...   list, approve or reject template versions
 * </pre>
 */
public final class ConnectorMain {
  private ConnectorMain() {}

  public static void main(String[] args) throws Exception {
    // "java -jar ... --dev" is "run --dev".
    boolean flagsOnly = args.length == 0 || args[0].startsWith("--");
    String command = flagsOnly ? "run" : args[0];
    String[] rest = flagsOnly ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "run" -> {
        if (!runFlags(rest)) {
          usage(2);
        }
        run();
      }
      case "new-flow" -> System.exit(NewFlowCommand.run(rest, System.out, System.err));
      case "validate" -> System.exit(RouteValidator.run(rest, System.out, System.err));
      case "sandbox" ->
          System.exit(org.twiliocrm.sandbox.SandboxMain.run(rest, System.out, System.err));
      case "preflight" -> System.exit(PreflightCommand.run(System.out, System.err));
      case "senders" -> System.exit(SendersCommand.run(rest, System.out, System.err));
      case "test" ->
          System.exit(org.twiliocrm.app.FlowTestCommand.run(rest, System.out, System.err));
      case "operator" -> System.exit(OperatorCommand.run(rest, System.out, System.err));
      case "templates" -> System.exit(TemplatesCommand.run(rest, System.out, System.err));
      case "help", "--help", "-h" -> usage(0);
      default -> {
        System.err.println("Unknown command '" + command + "'.");
        usage(2);
      }
    }
  }

  /** An example's own connector keys (e.g. the Verify service of otp-login). */
  static final String EXAMPLE_PROPERTIES = "example.properties";

  /**
   * Loads an example's keys as system properties; a key already set as a system property or in the
   * environment (the higher layers) keeps its value.
   */
  private static boolean exampleProperties(java.nio.file.Path file) {
    if (!java.nio.file.Files.isRegularFile(file)) {
      return true;
    }
    java.util.Properties p = new java.util.Properties();
    try (var in = java.nio.file.Files.newBufferedReader(file)) {
      p.load(in);
    } catch (java.io.IOException e) {
      System.err.println("Cannot read " + file + ": " + e.getMessage());
      return false;
    }
    for (String k : p.stringPropertyNames()) {
      String env = k.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
      if (System.getProperty(k) == null && System.getenv(env) == null) {
        System.setProperty(k, p.getProperty(k).trim());
      }
    }
    return true;
  }

  /**
   * {@code --dev}: connector.dev=true. {@code --examples NAME}: the shipped routes plus
   * examples/NAME/routes, and that example's rules and templates (in place of the shipped ones).
   * Both become system properties, the highest configuration layer.
   */
  static boolean runFlags(String[] flags) {
    for (int i = 0; i < flags.length; i++) {
      switch (flags[i]) {
        case "--dev" -> System.setProperty("connector.dev", "true");
        case "--examples" -> {
          if (i + 1 >= flags.length) {
            System.err.println("--examples needs the name of a folder in examples/");
            return false;
          }
          java.nio.file.Path ex = java.nio.file.Path.of("examples", flags[++i]);
          if (!java.nio.file.Files.isDirectory(ex)) {
            System.err.println("No example " + ex + " (see examples/README.md)");
            return false;
          }
          String routes = System.getProperty("connector.routes.location", "routes");
          System.setProperty("connector.routes.location", routes + "," + ex.resolve("routes"));
          java.nio.file.Path rules = ex.resolve("rules/crm-send-rules.yaml");
          if (java.nio.file.Files.isRegularFile(rules)) {
            System.setProperty("crm.events.rules-location", rules.toString());
          }
          java.nio.file.Path templates = ex.resolve("templates");
          if (java.nio.file.Files.isDirectory(templates)) {
            System.setProperty("outbox.templates.location", templates.toString());
          }
          if (!exampleProperties(ex.resolve(EXAMPLE_PROPERTIES))) {
            return false;
          }
        }
        default -> {
          System.err.println("Unknown option '" + flags[i] + "'.");
          return false;
        }
      }
    }
    return true;
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
          java -jar twilio-crm-connector.jar [run] [--dev] [--examples NAME]
              Start the connector (sandbox mode unless Twilio credentials are configured).
              --dev reloads edited routes and rules live; --examples NAME also loads
              examples/NAME (routes, rules, templates, example.properties).
          java -jar twilio-crm-connector.jar new-flow NAME
              Write a commented route skeleton, a rule stub and a failing flow test for NAME.
          java -jar twilio-crm-connector.jar validate [--routes DIR] [--kamelets DIR]
                  [--templates DIR] [--policies FILE] [FILE...]
              Check YAML routes, kamelets, message templates, the send approval policy
              (governance/policies.yaml), the CRM send rules and the flow tests without
              starting any consumer.
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
          java -jar twilio-crm-connector.jar senders [--apply]
              List the Twilio account's numbers and Messaging Services with their senders;
              check capabilities, inbound and status webhooks against connector.public-url,
              A2P 10DLC campaigns and toll-free verifications; print each problem and its fix.
              --apply sets the webhook URLs. Exits 0 only when nothing is left to fix.
          java -jar twilio-crm-connector.jar test [--report DIR] [FILE|DIR...]
              Run flow tests (*.flow.yaml; default tests/ and examples/*/tests/), each file on
              a fresh sandbox and in-memory database; JUnit XML in target/flow-tests; exits 1
              if any test fails.
          java -jar twilio-crm-connector.jar operator hash-password NAME ROLE
          java -jar twilio-crm-connector.jar operator mint-token NAME ROLE
              Print an operators Secret entry (ROLE: viewer, approver, admin): a bcrypt hash
              of a password read without echo, or a new API token (shown once) and its hash.
        """);
    System.exit(exit);
  }
}
