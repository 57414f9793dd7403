package org.twiliocrm.app;

import java.util.ArrayList;
import java.util.List;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Key;
import org.twiliocrm.crm.WritebackSettings;
import org.twiliocrm.crm.events.CrmEventsSettings;
import org.twiliocrm.outbound.OutboxSettings;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.twilio.TwilioClientSettings;
import org.twiliocrm.webhook.WebhookSettings;

/**
 * Every declared configuration key, by section, and the reference table derived from them
 * (docs/configuration.md; ConfigReferenceTest keeps it and application.properties current). Lives
 * at the wiring point because it is the one package that sees every flow's settings.
 */
public final class ConfigReference {
  private ConfigReference() {}

  /** A titled group of keys, in the order the reference lists them. */
  public record Section(String title, List<Key<?>> keys) {}

  public static List<Section> sections() {
    return List.of(
        new Section("Connector core and live credentials", ConnectorConfig.KEYS),
        new Section("Twilio client", TwilioClientSettings.KEYS),
        new Section("Outbox (database to Twilio)", OutboxSettings.KEYS),
        new Section("Outbox sender pacing", org.twiliocrm.outbound.PacingSettings.KEYS),
        new Section(
            "Channel fallback (whatsapp, sms, voice)",
            org.twiliocrm.outbound.FallbackSettings.KEYS),
        new Section(
            "Templates (versioned, approved before sending)",
            org.twiliocrm.governance.templates.TemplateSettings.KEYS),
        new Section(
            "Governance (send approval gate)", org.twiliocrm.governance.GovernanceSettings.KEYS),
        new Section(
            "Governance in Salesforce (approvals, audit)",
            org.twiliocrm.crm.approvals.SalesforceApprovalSettings.KEYS),
        new Section(
            "Governance (recipient checks: consent by purpose, quiet hours, caps, geo, OTP)",
            org.twiliocrm.governance.RecipientSettings.KEYS),
        new Section(
            "Governance (sender check: owned senders, A2P 10DLC, toll-free verification)",
            org.twiliocrm.senders.SenderSettings.KEYS),
        new Section("CRM events (Salesforce to outbox)", CrmEventsSettings.KEYS),
        new Section("Webhooks", WebhookSettings.KEYS),
        new Section("Salesforce write-back", WritebackSettings.KEYS),
        new Section("Preflight", org.twiliocrm.preflight.PreflightSettings.KEYS),
        new Section("Operator access", org.twiliocrm.operator.OperatorSettings.KEYS),
        new Section("Retention", org.twiliocrm.retention.RetentionSettings.KEYS),
        new Section("Logs and metrics", ObservabilitySettings.KEYS),
        // The local emulators (run by `sandbox` mode and the tests), not the connector itself.
        new Section("Local emulator: Twilio sandbox", TwilioSandboxSettings.KEYS),
        new Section("Local emulator: Salesforce sandbox", SalesforceSandboxSettings.KEYS));
  }

  public static List<Key<?>> all() {
    List<Key<?>> out = new ArrayList<>();
    sections().forEach(s -> out.addAll(s.keys()));
    return out;
  }

  /** The Markdown reference, generated: edit the declarations, then regenerate (see the test). */
  public static String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Configuration reference\n\n")
        .append("<!-- Generated from the key declarations (config.Key constants in each")
        .append(" settings class) by\n")
        .append("     ConfigReference.markdown(); do not edit by hand. Regenerate with:\n")
        .append(
            "     mvn -B -o test -Dtest=ConfigReferenceTest -Dconfig.reference.write=true -->\n\n")
        .append("Every key can be set in `application.properties`, in the file named by")
        .append(" `CONNECTOR_CONFIG_FILE`, as a file named by the key or by its environment")
        .append(" variable in the directory `CONNECTOR_SECRETS_DIR` (a mounted Secret),")
        .append(" as an environment variable (the name in the table) or")
        .append(" as a `-D` system property; see the README's Configuration section.\n")
        .append("The local emulators' `sandbox.*` keys come last, in their own sections; see also")
        .append(" docs/twilio-sandbox.md.\n");
    for (Section s : sections()) {
      md.append("\n## ").append(s.title()).append("\n\n");
      md.append("| key | type | default | allowed | description |\n");
      md.append("|---|---|---|---|---|\n");
      for (Key<?> k : s.keys()) {
        md.append("| `")
            .append(k.name())
            .append("`<br>`")
            .append(k.envName())
            .append("` | ")
            .append(k.type())
            .append(" | ")
            .append(k.defaultText().isEmpty() ? "" : "`" + cell(k.defaultText()) + "`")
            .append(" | ")
            .append(cell(k.range()))
            .append(" | ")
            .append(cell(k.description()))
            .append(" |\n");
      }
    }
    return md.toString();
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
  }
}
