package org.twiliocrm.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code java -jar twilio-crm-connector.jar new-flow NAME}: the starting point of a new flow in the
 * editable tree: a commented route skeleton that loads as is, a commented rule stub at the end of
 * the CRM send rules, and a flow test that fails until it describes what the flow should do.
 * Nothing existing is overwritten.
 */
final class NewFlowCommand {
  private NewFlowCommand() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length != 1 || !args[0].matches("[a-z][a-z0-9-]{0,60}")) {
      err.println(
          "Usage: new-flow NAME   (lower-case letters, digits and dashes, e.g. order-shipped)");
      return 2;
    }
    try {
      return write(Path.of("."), args[0], out, err);
    } catch (IOException e) {
      err.println("new-flow: " + e.getMessage());
      return 1;
    }
  }

  static int write(Path root, String name, PrintStream out, PrintStream err) throws IOException {
    Path route = root.resolve("routes").resolve(name + ".camel.yaml");
    Path test = root.resolve("tests").resolve(name + ".flow.yaml");
    Path rules = root.resolve("rules").resolve("crm-send-rules.yaml");
    for (Path p : new Path[] {route, test}) {
      if (Files.exists(p)) {
        err.println("new-flow: " + p + " already exists; nothing written");
        return 1;
      }
    }
    Files.createDirectories(route.getParent());
    Files.createDirectories(test.getParent());
    Files.writeString(route, route(name), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    Files.writeString(test, test(name), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
    out.println("Wrote " + route + "  (route skeleton: loads as is, does nothing until edited)");
    out.println("Wrote " + test + "  (flow test: fails until you fill it in)");
    if (Files.isRegularFile(rules)
        && !Files.readString(rules, StandardCharsets.UTF_8).contains("id: " + name + "\n")) {
      Files.writeString(rules, ruleStub(name), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      out.println(
          "Appended a commented rule stub to "
              + rules
              + " (uncomment it if a record change starts the flow)");
    }
    out.println("Next: java -jar twilio-crm-connector.jar --dev   (edits apply live), then");
    out.println("      java -jar twilio-crm-connector.jar test " + test);
    return 0;
  }

  static String route(String name) {
    return """
        # Flow '%1$s' (written by new-flow). Edit it while the connector runs with --dev: the change
        # applies within a second or two, and a broken edit is reported with file:line while the last
        # good version keeps running. Check it with: java -jar twilio-crm-connector.jar validate
        #
        # Routes reach the connector's beans by name (#dataSource, #outboxStore, ...) and its settings
        # as {{key}}. The usual shape of a flow: something happens (a timer over a business table, a
        # Salesforce event, an HTTP call) -> decide -> insert an outbox row, which the shipped outbox
        # route validates, checks for consent, sends and tracks (docs/outbox.md).
        - route:
            id: %1$s
            description: "TODO: what starts this flow and what it sends"
            from:
              # Nothing calls direct:%1$s yet, so the skeleton is harmless. For a business table:
              #   uri: "timer:%1$s?period=60000"
              uri: "direct:%1$s"
              steps:
                - log:
                    message: "%1$s: ${body}"
                # Queue a message for the outbox (the sql component with the connector's database):
                # - to:
                #     uri: >-
                #       sql:INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)
                #       VALUES (:#${header.key}, 'sms', :#${header.to}, '+15005550006', :#${header.text})?dataSource=#dataSource
        """
        .formatted(name);
  }

  static String test(String name) {
    return """
        # yaml-language-server: $schema=../schemas/flow-test.schema.json
        # Flow test for '%1$s' (written by new-flow). It fails until it describes your flow: give the
        # steps that start the flow and what must happen. Run it with
        #   java -jar twilio-crm-connector.jar test tests/%1$s.flow.yaml
        # Steps: outbox, sql, platformEvent, record (create/update), inboundSms, outcomeRule, await.
        # Expectations: twilio (the messages sent), outbox (rows), salesforce (records), consent.
        name: %1$s
        tests:
          - name: "TODO: %1$s sends the message it should"
            steps: []
            expect:
              twilio:
                - { to: "+14155550100", body: "TODO: the text %1$s sends" }
        """
        .formatted(name);
  }

  static String ruleStub(String name) {
    return """

        # Rule stub for flow '%1$s' (written by new-flow): uncomment and edit if a Salesforce record
        # change should start it.
        #  - id: %1$s
        #    object: Case
        #    on: [UPDATE]
        #    when: { field: Status, changedTo: Closed }
        #    send:
        #      channel: sms
        #      to: ContactId
        #      body: "TODO: text with {{CaseNumber}} placeholders"
        """
        .formatted(name);
  }
}
