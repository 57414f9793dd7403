package org.twiliocrm.app;

import java.util.ArrayList;
import java.util.List;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Mode;

/**
 * What an operator must know at a glance: which mode, which database, and the exact webhook URLs to
 * paste into the Twilio console.
 */
final class Banner {
  /** Webhook paths, relative to connector.public-url. The webhook routes listen on these. */
  static final List<String[]> WEBHOOKS =
      List.of(
          new String[] {"Message status callback", "/webhooks/twilio/message-status"},
          new String[] {"Inbound messages (A message comes in)", "/webhooks/twilio/inbound"},
          new String[] {"Call status callback", "/webhooks/twilio/call-status"},
          new String[] {"TwiML for outbound calls", "/webhooks/twilio/twiml"});

  private Banner() {}

  /** 0.0.0.0 (all interfaces) is not an address to browse to: localhost stands in for it. */
  private static String hostForUrl(String host) {
    return host == null || host.isBlank() || host.equals("0.0.0.0") || host.equals("::")
        ? "localhost"
        : host.contains(":") ? "[" + host + "]" : host;
  }

  /**
   * Where health and metrics are: the public URL, or with {@code managementPort} > 0
   * (connector.management.port) that port on connector.http.host, since the public URL then answers
   * 404 for them. The banner and GET / (ConnectorInfo) name the same.
   */
  static String observeBase(ConnectorConfig cfg, int managementPort) {
    return managementPort > 0
        ? "http://" + hostForUrl(cfg.http().host()) + ":" + managementPort
        : cfg.http().publicUrl();
  }

  static String render(
      ConnectorConfig cfg, String dbDisplay, List<String> sandboxLines, long startMillis) {
    return render(cfg, dbDisplay, sandboxLines, List.of(), startMillis);
  }

  static String render(
      ConnectorConfig cfg,
      String dbDisplay,
      List<String> sandboxLines,
      List<String> operatorLines,
      long startMillis) {
    return render(cfg, dbDisplay, sandboxLines, operatorLines, 0, startMillis);
  }

  /**
   * {@code managementPort} > 0: health and metrics are only on that port
   * (connector.management.port), so the banner names it there rather than on the public URL, which
   * answers 404 for them.
   */
  static String render(
      ConnectorConfig cfg,
      String dbDisplay,
      List<String> sandboxLines,
      List<String> operatorLines,
      int managementPort,
      long startMillis) {
    String observe = observeBase(cfg, managementPort);
    List<String> lines = new ArrayList<>();
    if (cfg.mode() == Mode.SANDBOX) {
      lines.add("MODE: SANDBOX  (no Twilio credentials configured: nothing leaves this machine)");
    } else {
      lines.add(
          "MODE: LIVE  (real Twilio account "
              + cfg.twilio().accountSid()
              + ", real Salesforce at "
              + cfg.salesforce().loginUrl()
              + ")");
    }
    lines.add("Database: " + dbDisplay);
    lines.add(
        "HTTP: "
            + cfg.http().host()
            + ":"
            + cfg.http().port()
            + "   public URL: "
            + cfg.http().publicUrl());
    lines.add(
        "Health: "
            + observe
            + "/observe/health/ready   Metrics: "
            + observe
            + "/observe/metrics"
            + (managementPort > 0 ? "   (management port " + managementPort + ")" : ""));
    lines.add("Webhook URLs to paste into the Twilio console:");
    for (String[] w : WEBHOOKS) {
      lines.add(String.format("  %-40s %s%s", w[0], cfg.http().publicUrl(), w[1]));
    }
    if (!sandboxLines.isEmpty()) {
      lines.add("Sandbox endpoints:");
      sandboxLines.forEach(l -> lines.add("  " + l));
    }
    lines.addAll(operatorLines);
    lines.add("Started in " + startMillis + " ms");
    int width = lines.stream().mapToInt(String::length).max().orElse(40) + 4;
    String rule = "=".repeat(width);
    StringBuilder sb = new StringBuilder("\n").append(rule).append('\n');
    sb.append("  Twilio CRM connector\n");
    for (String l : lines) {
      sb.append("  ").append(l).append('\n');
    }
    return sb.append(rule).toString();
  }
}
