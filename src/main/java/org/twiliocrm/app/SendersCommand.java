package org.twiliocrm.app;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConfigException;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Mode;
import org.twiliocrm.outbound.OutboxSettings;
import org.twiliocrm.senders.SenderAudit;
import org.twiliocrm.senders.SenderInventory;
import org.twiliocrm.senders.SenderTable;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;
import org.twiliocrm.twilio.TwilioRegion;

/**
 * {@code java -jar twilio-crm-connector.jar senders [--apply]}: lists the Twilio account's phone
 * numbers and Messaging Services with their senders, through the connector's own twilio-java client
 * (so {@code twilio.base-url} and the sandbox work as for the outbox), and prints each problem with
 * its fix. {@code --apply} sets the webhook URLs that are wrong, then checks again. Exit 0 when
 * nothing is left to fix, 1 when something is, 2 on a usage or configuration error.
 */
final class SendersCommand {
  private SendersCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    ConfigSource source;
    try {
      source = ConfigSource.load();
    } catch (ConfigException e) {
      err.println("Configuration error: " + e.getMessage());
      return 2;
    }
    return run(source, args, out, err);
  }

  static int run(ConfigSource source, String[] args, PrintStream out, PrintStream err) {
    boolean apply = false;
    for (String a : args) {
      if (a.equals("--apply")) {
        apply = true;
      } else {
        err.println("Unknown option '" + a + "'. Usage: senders [--apply]");
        return 2;
      }
    }
    ConnectorConfig cfg;
    try {
      cfg = ConnectorConfig.from(source);
    } catch (ConfigException e) {
      err.println("Configuration error: " + e.getMessage());
      return 2;
    }
    Map<String, String> derived = new LinkedHashMap<>();
    Sandboxes own = null;
    try {
      if (cfg.mode() != Mode.LIVE) {
        own = PreflightCommand.sandboxes(source, cfg, derived);
      }
      Function<String, String> lookup = PreflightCommand.lookup(derived, source);
      TwilioClientSettings ts = TwilioClientSettings.from(lookup);
      String publicUrl = cfg.http().publicUrl().replaceAll("/+$", "");
      String status = OutboxSettings.STATUS_CALLBACK_URL.read(lookup);
      // With twilio.region set, the expected URLs carry ?region= (as the outbox's callbacks do).
      SenderAudit audit =
          new SenderAudit(
              ts.region().callbackUrl(publicUrl + "/webhooks/twilio/inbound"),
              status == null
                  ? ts.region().callbackUrl(publicUrl + "/webhooks/twilio/message-status")
                  : status);
      try (TwilioClientFactory factory = new TwilioClientFactory(ts)) {
        var client = factory.create();
        SenderInventory inv = SenderInventory.load(client);
        out.println(
            "Senders of Twilio account "
                + ts.accountSid()
                + " ("
                + cfg.mode()
                + (ts.baseUrl() == null ? "" : ", API at " + ts.baseUrl())
                + ", region "
                + ts.region().label()
                + ")");
        out.println("  inbound webhook expected:  " + audit.inboundUrl());
        out.println("  status callback expected:  " + audit.statusUrl());
        out.println();
        List<SenderAudit.Problem> problems = audit.check(inv);
        out.print(table(inv, problems, ts.region().label()));
        if (apply) {
          int fixed = audit.apply(client, problems);
          out.println();
          out.println("Applied " + fixed + " webhook fix(es); checking again:");
          out.println();
          inv = SenderInventory.load(client);
          problems = audit.check(inv);
          out.print(table(inv, problems, ts.region().label()));
        }
        return problems.isEmpty() ? 0 : 1;
      }
    } catch (RuntimeException e) {
      err.println(
          "senders could not run: "
              + e.getClass().getSimpleName()
              + ": "
              + (e.getMessage() == null ? "" : e.getMessage()));
      return 1;
    } finally {
      if (own != null) {
        own.close();
      }
    }
  }

  /** The senders table, then each problem with its fix (Twilio's default region). */
  static String table(SenderInventory inv, List<SenderAudit.Problem> problems) {
    return table(inv, problems, new TwilioRegion(null, null).label());
  }

  /**
   * The senders table with a REGION column (SenderTable, shared with /api/senders): the Twilio
   * Region (and edge) the connector's traffic for each sender goes through, {@code
   * twilio.region}/{@code twilio.edge}, since one client sends everything.
   */
  static String table(SenderInventory inv, List<SenderAudit.Problem> problems, String region) {
    return SenderTable.text(inv, problems, region);
  }
}
