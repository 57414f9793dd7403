package org.twiliocrm.crm.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;

/** Mapping, rules and the one-transaction store, with no external services (H2, fake SOQL). */
class CrmEventsMappingTest {
  private static final String ADA = "0035g0000000001AAA";
  private static final String NOPHONE = "0035g0000000009AAA";
  private static final String CASE = "5005g0000000001AAA";

  private final SoqlClient soql =
      q -> {
        if (q.contains("FROM Contact") && q.contains(ADA)) {
          return List.of(Map.of("Id", ADA, "MobilePhone", "+14155550101"));
        }
        if (q.contains("FROM Contact") && q.contains(NOPHONE)) {
          return List.of(Map.of("Id", NOPHONE));
        }
        if (q.contains("FROM Case") && q.contains(CASE)) {
          return List.of(Map.of("Id", CASE, "ContactId", ADA, "CaseNumber", "00001001"));
        }
        return List.of();
      };
  private final RecipientResolver resolver =
      new RecipientResolver(soql, CrmEventsSettings.defaults().phoneFields());
  private final TemplateCatalog templates =
      n -> n.equals("payment-due") ? Optional.of(Set.of("name", "amount")) : Optional.empty();
  private final PlatformEventMapper events = new PlatformEventMapper(resolver, templates, "sms");

  private static String pe(long replayId, String payloadJson) {
    return "{\"channel\":\"/event/Send_Message__e\",\"data\":{\"schema\":\"x\",\"payload\":"
        + payloadJson
        + ",\"event\":{\"replayId\":"
        + replayId
        + "}}}";
  }

  @Test
  void recordIdOnlyLooksUpTheMobilePhoneAndKeysByReplayId() throws Exception {
    EventOutcome o =
        resolved(
            events.map(
                pe(7, "{\"Record_Id__c\":\"" + ADA + "\",\"Body__c\":\"hi\"}"),
                "/event/Send_Message__e",
                null));
    assertThat(o.replayId()).isEqualTo(7L);
    assertThat(o.sends())
        .containsExactly(
            new Decision.Send(
                "sf-event:/event/Send_Message__e:7",
                "sms",
                "+14155550101",
                "hi",
                null,
                null,
                "Contact",
                ADA));
  }

  @Test
  void idempotencyKeyFieldWinsOverTheReplayId() throws Exception {
    EventOutcome o =
        events.map(
            pe(8, "{\"To__c\":\"+14155550999\",\"Body__c\":\"hi\",\"Idempotency_Key__c\":\"k1\"}"),
            "/event/Send_Message__e",
            8L);
    assertThat(o.sends()).extracting(Decision.Send::idempotencyKey).containsExactly("k1");
  }

  @Test
  void badEventsAreRejectionsWithAClearReason() throws Exception {
    assertThat(reject("{\"Body__c\":\"x\"}")).isEqualTo("MISSING_FIELD");
    assertThat(reject("{\"To__c\":\"+1555\"}")).isEqualTo("MISSING_FIELD");
    assertThat(reject("{\"To__c\":\"+1555\",\"Template__c\":\"nope\"}"))
        .isEqualTo("UNKNOWN_TEMPLATE");
    assertThat(
            reject("{\"To__c\":\"+1555\",\"Template__c\":\"payment-due\",\"Variables__c\":\"{x\"}"))
        .isEqualTo("BAD_VARIABLES");
    assertThat(
            reject(
                "{\"To__c\":\"+1555\",\"Template__c\":\"payment-due\",\"Variables__c\":\"{\\\"name\\\":\\\"A\\\"}\"}"))
        .isEqualTo("MISSING_VARIABLES");
    assertThat(reject("{\"Record_Id__c\":\"" + NOPHONE + "\",\"Body__c\":\"x\"}"))
        .isEqualTo("NO_PHONE");
    assertThat(reject("{\"Record_Id__c\":\"0035g0000000404AAA\",\"Body__c\":\"x\"}"))
        .isEqualTo("RECORD_NOT_FOUND");
    assertThat(reject("{\"Record_Id__c\":\"001000000000001AAA\",\"Body__c\":\"x\"}"))
        .isEqualTo("UNSUPPORTED_RECORD");
    assertThat(reject("{\"To__c\":\"+1555\",\"Body__c\":\"x\",\"Channel__c\":\"fax\"}"))
        .isEqualTo("UNKNOWN_CHANNEL");
    EventOutcome malformed = events.map("{not json", "/event/Send_Message__e", 9L);
    assertThat(malformed.rejections())
        .extracting(Decision.Reject::reasonCode)
        .containsExactly("MALFORMED_PAYLOAD");
    assertThat(malformed.replayId()).isEqualTo(9L);
  }

  /** What the committer does with the group before it commits. */
  private EventOutcome resolved(EventOutcome o) throws Exception {
    return resolver.resolveAll(List.of(o)).get(0);
  }

  private String reject(String payload) throws Exception {
    EventOutcome o = resolved(events.map(pe(1, payload), "/event/Send_Message__e", null));
    assertThat(o.sends()).isEmpty();
    return o.rejections().get(0).reasonCode();
  }

  private static final String RULES =
      """
      rules:
        - id: case-closed
          object: Case
          on: [UPDATE]
          when: {field: Status, changedTo: Closed}
          send: {to: ContactId, body: "Case {{CaseNumber}} closed"}
      """;

  private static String cdc(String status, String changeType) {
    return "{\"channel\":\"/data/ChangeEvents\",\"data\":{\"payload\":{\"ChangeEventHeader\":"
        + "{\"entityName\":\"Case\",\"recordIds\":[\""
        + CASE
        + "\"],\"changeType\":\""
        + changeType
        + "\",\"transactionKey\":\"tx1\",\"sequenceNumber\":1,\"changedFields\":[\"Status\"]},"
        + "\"Status\":\""
        + status
        + "\"},\"event\":{\"replayId\":3}}}";
  }

  @Test
  void aRuleMatchesOnlyItsObjectChangeTypeAndValue() throws Exception {
    SendRules rules =
        SendRules.parse(
            new org.snakeyaml.engine.v2.api.Load(
                    org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
                .loadFromString(RULES),
            "test",
            "sms");
    ChangeEventMapper m = new ChangeEventMapper(rules, resolver, templates);
    assertThat(m.map(cdc("Closed", "UPDATE"), "/data/ChangeEvents", null).sends())
        .containsExactly(
            new Decision.Send(
                "sf-cdc:case-closed:" + CASE + ":tx1:1",
                "sms",
                "+14155550101",
                "Case 00001001 closed",
                null,
                null,
                "Case",
                CASE));
    assertThat(m.map(cdc("Working", "UPDATE"), "/data/ChangeEvents", null).decisions()).isEmpty();
    assertThat(m.map(cdc("Closed", "CREATE"), "/data/ChangeEvents", null).decisions()).isEmpty();
  }

  @Test
  void aBrokenRuleFailsTheStartNamingTheRule() {
    String bad = RULES.replace("to: ContactId", "to: \"\"");
    assertThatThrownBy(
            () ->
                SendRules.parse(
                    new org.snakeyaml.engine.v2.api.Load(
                            org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
                        .loadFromString(bad),
                    "rules.yaml",
                    "sms"))
        .hasMessageContaining("rule 'case-closed'")
        .hasMessageContaining("send.to");
    assertThat(SendRules.load("classpath:rules/crm-send-rules.yaml", "sms").rules())
        .extracting(SendRules.Rule::id)
        .containsExactly("case-closed");
  }

  @Test
  void settingsNameTheKeyThatIsWrong() {
    assertThat(CrmEventsSettings.defaults().fallbackReplayId()).isEqualTo(-2);
    assertThatThrownBy(
            () -> CrmEventsSettings.from(Map.of("crm.events.fallback-replay-id", "5")::get))
        .hasMessageStartingWith("crm.events.fallback-replay-id:");
    assertThatThrownBy(() -> CrmEventsSettings.from(Map.of("crm.events.leader.mode", "zk")::get))
        .hasMessageStartingWith("crm.events.leader.mode:");
    assertThatThrownBy(
            () ->
                CrmEventsSettings.from(
                    Map.of("crm.events.leader.kubernetes.lease-name", "Twilio_CRM")::get))
        .hasMessageStartingWith("crm.events.leader.kubernetes.lease-name:");
    assertThatThrownBy(
            () ->
                CrmEventsSettings.from(
                    Map.of("crm.events.leader.kubernetes.master-url", "k8s.local")::get))
        .hasMessageStartingWith("crm.events.leader.kubernetes.master-url:");
    CrmEventsSettings k =
        CrmEventsSettings.from(
            Map.of(
                    "crm.events.leader.mode", "Kubernetes",
                    "crm.events.leader.kubernetes.namespace", "crm")
                ::get);
    assertThat(k.leaderMode()).isEqualTo("kubernetes");
    assertThat(k.kubernetes())
        .isEqualTo(new CrmEventsSettings.KubernetesLease("crm", null, "twilio-crm-connector"));
  }

  @Test
  void oneTransactionWritesRowsOnceAndAdvancesTheReplayId() throws Exception {
    try (Database db =
        Database.open(
            new ConnectorConfig.Db(
                "jdbc:h2:mem:crm" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                "sa",
                "",
                5,
                Duration.ofSeconds(5)))) {
      CrmEventStore store =
          new CrmEventStore(db.dataSource(), CrmEventMetrics.standalone(), "+15005550006", false);
      Decision.Send send =
          new Decision.Send("k1", "sms", "+14155550101", "hi", null, null, "Contact", ADA);
      Decision.Reject rej = new Decision.Reject("e2", "NO_PHONE", "none", "Contact", NOPHONE, "{}");
      assertThat(store.write(new EventOutcome("/event/X", 5L, List.of(send, rej))))
          .isEqualTo(new CrmEventStore.Result(1, 0, 1));
      // the same event again (replay or failover): nothing new, resume point still moves
      assertThat(store.write(new EventOutcome("/event/X", 6L, List.of(send, rej))))
          .isEqualTo(new CrmEventStore.Result(0, 1, 0));
      assertThat(store.replayId("/event/X")).contains(6L);
      assertThat(store.replayId("/event/Other")).isEmpty();
    }
  }

  /**
   * The route's body is camel-salesforce's parsed change event (rawPayload=false): an event of an
   * object no rule names gives the same outcome as mapping its whole message would (no decision,
   * its channel and replay id for the committer), and a named object's event is still mapped.
   */
  @Test
  void anEventOfAnObjectNoRuleNamesDecidesNothingAndKeepsItsReplayId() throws Exception {
    SendRules rules =
        SendRules.parse(
            new org.snakeyaml.engine.v2.api.Load(
                    org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
                .loadFromString(RULES),
            "test",
            "sms");
    ChangeEventMapper mapper = new ChangeEventMapper(rules, resolver, templates);
    CrmEvents crm =
        new CrmEvents(events, mapper, CrmEventsSettings.defaults(), CrmEventMetrics.standalone());
    try (org.apache.camel.CamelContext ctx = new org.apache.camel.impl.DefaultCamelContext()) {
      EventOutcome echo =
          crm.fromChangeEvent(
              changeEvent(
                  ctx, "Twilio_Message__c", "a0B5g0000000001AAA", Map.of("Status__c", "x")));
      assertThat(echo.decisions()).isEmpty();
      assertThat(echo.channel()).isEqualTo("/data/Twilio_Message__ChangeEvent");
      assertThat(echo.replayId()).isEqualTo(41L);
      // What the whole mapping gives for the same event.
      String whole =
          "{\"channel\":\"/data/Twilio_Message__ChangeEvent\",\"data\":{\"payload\":"
              + "{\"ChangeEventHeader\":{\"entityName\":\"Twilio_Message__c\",\"recordIds\":"
              + "[\"a0B5g0000000001AAA\"],\"changeType\":\"UPDATE\"},\"Status__c\":\"x\"},"
              + "\"event\":{\"replayId\":41}}}";
      assertThat(mapper.map(whole, "/data/ChangeEvents", null)).isEqualTo(echo);

      EventOutcome closed =
          crm.fromChangeEvent(changeEvent(ctx, "Case", CASE, Map.of("Status", "Closed")));
      assertThat(closed.sends())
          .extracting(Decision.Send::recipient, Decision.Send::body)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("+14155550101", "Case 00001001 closed"));
      assertThat(closed.replayId()).isEqualTo(41L);
    }
  }

  /** An UPDATE change event as the route gets it: the fields as a Map, the header in headers. */
  private static org.apache.camel.Exchange changeEvent(
      org.apache.camel.CamelContext ctx,
      String entity,
      String recordId,
      Map<String, Object> fields) {
    org.apache.camel.Exchange e = new org.apache.camel.support.DefaultExchange(ctx);
    org.apache.camel.Message m = e.getMessage();
    m.setBody(new java.util.LinkedHashMap<>(fields));
    m.setHeader(
        org.apache.camel.component.salesforce.SalesforceConstants.HEADER_SALESFORCE_ENTITY_NAME,
        entity);
    m.setHeader(
        org.apache.camel.component.salesforce.SalesforceConstants.HEADER_SALESFORCE_RECORD_IDS,
        List.of(recordId));
    m.setHeader(
        org.apache.camel.component.salesforce.SalesforceConstants.HEADER_SALESFORCE_CHANGE_TYPE,
        "UPDATE");
    m.setHeader(
        org.apache.camel.component.salesforce.SalesforceConstants.HEADER_SALESFORCE_CHANNEL,
        "/data/" + entity.replace("__c", "__") + "ChangeEvent");
    m.setHeader(
        org.apache.camel.component.salesforce.SalesforceConstants.HEADER_SALESFORCE_REPLAY_ID, 41L);
    return e;
  }

  @Test
  void camelSalesforceInternalsWeRelyOnAreStillThere() {
    assertThat(ReplayPins.extension()).isNotNull();
    ReplayPins.pin("/event/Pinned", 42);
  }
}
