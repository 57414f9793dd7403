package org.twiliocrm.crm.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.ServiceStatus;
import org.apache.camel.spi.RouteController;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The CRM-event routes in the connector as shipped (TestConnector), over real sockets: the
 * Salesforce sandbox (OAuth, REST, CometD with replay), shared by the class so that it outlives
 * connector restarts, and PostgreSQL. Each test uses its own schema (fresh replay state).
 */
class CrmEventsIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static SalesforceSandbox org;
  private static SandboxOrg api;

  @BeforeAll
  static void startOrg() throws Exception {
    Path dir = Files.createTempDirectory("sf-sandbox");
    org =
        SalesforceSandbox.start(SalesforceSandboxSettings.defaults().withPort(0).withDataDir(dir));
    api = new SandboxOrg(org.baseUrl());
  }

  @AfterAll
  static void stopOrg() {
    if (org != null) {
      org.close();
    }
  }

  /** The connector as shipped, on this test's schema, with the class's org as its Salesforce. */
  private static TestConnector.Builder connector(TestDatabase db) {
    return TestConnector.on(db)
        .salesforce(org.baseUrl())
        .property("crm.events.max-redeliveries", "5");
  }

  private static TestConnector node(TestDatabase db) throws Exception {
    TestConnector n = connector(db).start();
    awaitSubscribed("/event/Send_Message__e", 1);
    return n;
  }

  private static CrmEventMetrics metrics(TestConnector node) {
    return node.bean("crmEventMetrics", CrmEventMetrics.class);
  }

  /** The Tasks that tell CRM users why a message did not go out. */
  private static List<Map<String, Object>> notSentTasks() throws Exception {
    return api.query("SELECT Id, Subject, WhoId FROM Task WHERE Subject LIKE 'Message not sent%'");
  }

  private static void awaitSubscribed(String channel, int count) {
    await().atMost(WAIT).until(() -> org.streamingSubscribers().getOrDefault(channel, 0) == count);
  }

  private static Map<String, Object> event(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void platformEventsBecomeOutboxRowsAndBadOnesAreRecordedAndWrittenBack() throws Exception {
    try (TestDatabase db = TestDatabase.postgres("crm_events");
        TestConnector node = node(db)) {
      // The org is the class's: Tasks other tests wrote (a closed Case without a contact is
      // NO_RECIPIENT on the Case) are not this test's.
      java.util.Set<Object> earlier =
          notSentTasks().stream()
              .map(t -> t.get("Id"))
              .collect(java.util.stream.Collectors.toSet());
      String ada = api.idOf("Contact", "Lovelace");
      String edsger = api.idOf("Contact", "Dijkstra"); // no MobilePhone
      String linus = api.idOf("Lead", "Torvalds");
      api.publish(event("To__c", "+14155550999", "Body__c", "Hello", "Idempotency_Key__c", "k-1"));
      api.publish(
          event(
              "Record_Id__c", ada,
              "Template__c", "payment-due",
              "Variables__c", "{\"name\":\"Ada\",\"amount\":\"$5\",\"date\":\"Monday\"}"));
      api.publish(event("Record_Id__c", linus, "Body__c", "Hi lead", "Channel__c", "whatsapp"));
      // the same idempotency key again: ignored, not a second row
      api.publish(event("To__c", "+14155550999", "Body__c", "Hello", "Idempotency_Key__c", "k-1"));
      // bad events
      api.publish(event("Body__c", "to nobody"));
      api.publish(event("Record_Id__c", ada, "Template__c", "no-such-template"));
      api.publish(event("Record_Id__c", edsger, "Body__c", "no phone"));
      api.publish(event("Record_Id__c", ada, "Template__c", "payment-due", "Variables__c", "{x"));
      // the subscription keeps going after bad events
      api.publish(event("To__c", "+14155550998", "Body__c", "still here"));

      await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 4);
      await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM crm_event_rejection") == 4);
      assertThat(
              db.rows(
                  "SELECT idempotency_key, channel, recipient, body, template_name, crm_object"
                      + " FROM outbox_message ORDER BY id"))
          .extracting(r -> r.subList(1, 6))
          .containsExactly(
              List.of("sms", "+14155550999", "Hello", "null", "null").stream()
                  .map(s -> s.equals("null") ? null : s)
                  .toList(),
              java.util.Arrays.asList("sms", "+14155550101", null, "payment-due", "Contact"),
              java.util.Arrays.asList("whatsapp", "whatsapp:+14155550301", "Hi lead", null, "Lead"),
              java.util.Arrays.asList("sms", "+14155550998", "still here", null, null));
      assertThat(db.rows("SELECT reason_code, crm_record_id FROM crm_event_rejection ORDER BY id"))
          .containsExactly(
              java.util.Arrays.asList("MISSING_FIELD", null),
              List.of("UNKNOWN_TEMPLATE", ada),
              List.of("NO_PHONE", edsger),
              List.of("BAD_VARIABLES", ada));
      assertThat(metrics(node).count("crm.events.duplicates")).isEqualTo(1.0);
      assertThat(metrics(node).count("crm.events.rejected", "reason", "NO_PHONE")).isEqualTo(1.0);
      // reasons went back to the CRM records as Tasks (none for the event without a record)
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(notSentTasks())
                      .filteredOn(t -> !earlier.contains(t.get("Id")))
                      .extracting(t -> t.get("Subject") + "@" + t.get("WhoId"))
                      .containsExactlyInAnyOrder(
                          "Message not sent: UNKNOWN_TEMPLATE@" + ada,
                          "Message not sent: NO_PHONE@" + edsger,
                          "Message not sent: BAD_VARIABLES@" + ada));
      // the stored resume point is the last event's replay id
      long last = org.eventLog().lastReplayId();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  db.rows(
                          "SELECT state_value FROM connector_state WHERE name ="
                              + " 'crm.events.replay-id:/event/Send_Message__e'")
                      .equals(List.of(List.of(Long.toString(last)))));
    }
  }

  /**
   * Events that carry only a record id: the connector reads the phones per commit group, one {@code
   * WHERE Id IN (...)} query for many events, not one query each (the sandbox counts the SOQL
   * queries per object). The events are published while no connector runs and replayed at once
   * (-2), with the org 100 ms away, so the groups are many events large. Its own org: the replay
   * holds only this test's events, and the Contacts are seeded (no change events).
   */
  @Test
  void recordIdOnlyEventsCostOneQueryPerCommitGroupInOrder() throws Exception {
    int n = 120;
    try (SalesforceSandbox own =
        SalesforceSandbox.start(
            SalesforceSandboxSettings.defaults()
                .withPort(0)
                .withDataDir(Files.createTempDirectory("sf-batch")))) {
      SandboxOrg ownApi = new SandboxOrg(own.baseUrl());
      List<Map<String, Object>> contacts = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        contacts.add(
            Map.of("LastName", "Batch" + i, "MobilePhone", String.format("+1415777%04d", i)));
      }
      own.seedRecords(Map.of("Contact", contacts));
      Map<String, String> idOf = new HashMap<>();
      for (Map<String, Object> r :
          ownApi.query("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Batch%'")) {
        idOf.put(r.get("LastName").toString(), r.get("Id").toString());
      }
      assertThat(idOf).hasSize(n);
      List<String> expected = new java.util.ArrayList<>();
      for (int i = 0; i < n; i++) {
        // every tenth event names its record by the 15-character id
        String id = idOf.get("Batch" + i);
        ownApi.publish(
            event("Record_Id__c", i % 10 == 3 ? id.substring(0, 15) : id, "Body__c", "b" + i));
        expected.add(String.format("+1415777%04d", i));
        if (i == n / 2) {
          // a record that does not exist: rejected alone, the others still go out
          ownApi.publish(event("Record_Id__c", "0035g00000Zz404AAA", "Body__c", "nobody"));
        }
      }
      long queriesBefore = own.apiUsage().queriesByObject().getOrDefault("Contact", 0L);
      own.faults().setLatencyMillis(100);
      try (TestDatabase db = TestDatabase.postgres("crm_events");
          TestConnector node =
              TestConnector.on(db)
                  .salesforce(own.baseUrl())
                  .property("crm.events.initial-replay-id", "-2")
                  .property("governance.salesforce.enabled", "false")
                  .start()) {
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    db.count("SELECT count(*) FROM outbox_message") == n
                        && db.count("SELECT count(*) FROM crm_event_rejection") == 1);
        // in the order published, each to its record's phone
        assertThat(
                db.rows("SELECT recipient FROM outbox_message ORDER BY id").stream()
                    .map(r -> r.get(0))
                    .toList())
            .containsExactlyElementsOf(expected);
        assertThat(db.rows("SELECT reason_code, crm_record_id FROM crm_event_rejection"))
            .containsExactly(List.of("RECORD_NOT_FOUND", "0035g00000Zz404AAA"));
        long queries = own.apiUsage().queriesByObject().getOrDefault("Contact", 0L) - queriesBefore;
        long commits = node.bean("crmEventCommitter", CrmEventCommitter.class).commits();
        System.out.printf(
            "%d record-id events: %d SOQL queries on Contact, %d commits%n",
            n + 1, queries, commits);
        // at most one query per commit group (it was one per event), and the groups were large
        assertThat(queries).isBetween(1L, commits);
        assertThat(queries).isLessThanOrEqualTo(n / 10);
      }
    }
  }

  /**
   * What a leader does when it steps down (stops its leader-only routes) ends its CometD session,
   * and a new leadership (the routes start again) handshakes afresh and receives events.
   */
  @Test
  void stoppingTheSubscriptionRoutesEndsTheCometDSession() throws Exception {
    try (TestDatabase db = TestDatabase.postgres("crm_events");
        TestConnector node = node(db)) {
      RouteController routes = node.context().getRouteController();
      List<String> started =
          node.bean("crmEventsLeader", LeaderOnlyRoutePolicy.class).routeIds().stream()
              .filter(id -> routes.getRouteStatus(id) == ServiceStatus.Started)
              .toList();
      assertThat(started).contains(CrmEventSubscriptions.PLATFORM_ROUTE);
      int clients = org.streamingClients();
      long handshakes = handshakes();
      for (String id : started) {
        routes.stopRoute(id);
      }
      await().atMost(WAIT).until(() -> org.streamingClients() == clients - 1);
      assertThat(org.streamingSubscribers().getOrDefault("/event/Send_Message__e", 0)).isZero();
      for (String id : started) {
        routes.startRoute(id);
      }
      awaitSubscribed("/event/Send_Message__e", 1);
      assertThat(handshakes()).isEqualTo(handshakes + 1);
      api.publish(event("To__c", "+14155556000", "Body__c", "after re-subscribing"));
      await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 1);
    }
  }

  @Test
  void restartResumesFromTheStoredReplayIdExactlyOnce() throws Exception {
    try (TestDatabase db = TestDatabase.postgres("crm_events")) {
      try (TestConnector first = node(db)) {
        for (int i = 0; i < 5; i++) {
          api.publish(event("To__c", "+1415555100" + i, "Body__c", "before " + i));
        }
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 5);
      }
      awaitSubscribed("/event/Send_Message__e", 0);
      // published while the connector is down
      for (int i = 0; i < 10; i++) {
        api.publish(event("To__c", "+1415555200" + i, "Body__c", "while down " + i));
      }
      assertThat(db.count("SELECT count(*) FROM outbox_message")).isEqualTo(5);
      try (TestConnector second = node(db)) {
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 15);
        api.publish(event("To__c", "+14155553000", "Body__c", "after restart"));
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 16);
        // resumed exactly after the last committed event: nothing re-read, nothing skipped
        assertThat(metrics(second).count("crm.events.duplicates")).isZero();
        assertThat(db.count("SELECT count(DISTINCT body) FROM outbox_message")).isEqualTo(16);
        assertThat(db.count("SELECT count(*) FROM crm_event_rejection")).isZero();
      }
    }
  }

  @Test
  void anExpiredReplayIdFallsBackLogsTheGapAndCountsIt() throws Exception {
    try (TestDatabase db = TestDatabase.postgres("crm_events")) {
      try (TestConnector first = node(db)) {
        api.publish(event("To__c", "+14155554000", "Body__c", "seen"));
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 1);
      }
      awaitSubscribed("/event/Send_Message__e", 0);
      api.publish(event("To__c", "+14155554001", "Body__c", "expired while down"));
      org.eventLog().age(Duration.ofHours(24 * 30)); // everything so far is past retention
      api.publish(event("To__c", "+14155554002", "Body__c", "retained"));
      try (TestConnector second = node(db)) {
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 2);
        await()
            .atMost(WAIT)
            .until(
                () ->
                    db.count(
                            "SELECT count(*) FROM crm_event_rejection WHERE reason_code = 'REPLAY_GAP'")
                        == 1);
        assertThat(metrics(second).count("crm.events.replay.gap")).isEqualTo(1.0);
        assertThat(db.rows("SELECT body FROM outbox_message ORDER BY id"))
            .containsExactly(List.of("seen"), List.of("retained"));
      }
    }
  }

  @Test
  void caseClosedSendsTheRuleMessageToTheCaseContact() throws Exception {
    try (TestDatabase db = TestDatabase.postgres("crm_events");
        TestConnector node = node(db)) {
      awaitSubscribed("/data/ChangeEvents", 1);
      String ada = api.idOf("Contact", "Lovelace");
      String withContact = api.create("Case", event("Subject", "help", "ContactId", ada));
      String orphan = api.create("Case", event("Subject", "no contact"));
      api.update("Case", withContact, event("Status", "Working")); // not the rule's value
      api.update("Case", withContact, event("Status", "Closed"));
      api.update("Case", orphan, event("Status", "Closed"));

      await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM outbox_message") == 1);
      await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM crm_event_rejection") == 1);
      String caseNumber =
          (String)
              api.query("SELECT CaseNumber FROM Case WHERE Id = '" + withContact + "'")
                  .get(0)
                  .get("CaseNumber");
      assertThat(db.rows("SELECT recipient, body, crm_object, crm_record_id FROM outbox_message"))
          .containsExactly(
              List.of(
                  "+14155550101",
                  "Your case "
                      + caseNumber
                      + " has been closed. Reply to this message if you need more help.",
                  "Case",
                  withContact));
      assertThat(db.rows("SELECT reason_code, crm_record_id FROM crm_event_rejection"))
          .containsExactly(List.of("NO_RECIPIENT", orphan));
      await()
          .atMost(WAIT)
          .until(() -> !api.query("SELECT Id FROM Task WHERE WhatId = '" + orphan + "'").isEmpty());
    }
  }

  @Test
  void groupCommitStoresTheLastReplayIdAndIsolatesAnEventTheDatabaseRefuses() throws Exception {
    try (TestDatabase schema = TestDatabase.postgres("crm_events");
        Database db =
            Database.open(
                new ConnectorConfig.Db(schema.url(), "postgres", "", 5, Duration.ofSeconds(5)))) {
      CrmEventStore store =
          new CrmEventStore(db.dataSource(), CrmEventMetrics.standalone(), "+15005550006", true);
      String ch = "/event/Send_Message__e";
      // one transaction for three events: counts per event, the last replay id stored
      assertThat(
              store.commitAll(
                  List.of(
                      new EventOutcome(ch, 1L, List.of(send("g-1", "+14155554001"))),
                      new EventOutcome(ch, 2L, List.of(send("g-1", "+14155554001"))),
                      new EventOutcome(
                          ch,
                          3L,
                          List.of(
                              new Decision.Reject(
                                  "e-3", "MISSING_FIELD", "no body", null, null, "{}"))))))
          .containsExactly(
              new CrmEventStore.Result(1, 0, 0),
              new CrmEventStore.Result(0, 1, 0),
              new CrmEventStore.Result(0, 0, 1));
      assertThat(store.replayId(ch)).contains(3L);

      List<EventOutcome> handedOff = new java.util.concurrent.CopyOnWriteArrayList<>();
      CrmEventCommitter committer = new CrmEventCommitter(store, 0, handedOff::add);
      committer.start();
      // 300 events queued at once; number 150 has a recipient the column refuses (varchar 64)
      for (int i = 0; i < 300; i++) {
        String to = i == 150 ? "+1".repeat(40) : String.format("+1415555%04d", i);
        committer.submit(new EventOutcome(ch, 10L + i, List.of(send("g-q-" + i, to))));
      }
      assertThat(committer.flush(20_000)).isTrue();
      assertThat(
              schema.count(
                  "SELECT count(*) FROM outbox_message WHERE idempotency_key LIKE 'g-q-%'"))
          .isEqualTo(299);
      assertThat(
              schema.rows(
                  "SELECT reason_code, replay_id FROM crm_event_rejection WHERE event_key LIKE 'failed:%'"))
          .containsExactly(List.of("PROCESSING_FAILED", "160"));
      // the database's reason, without the refused row's values (a recipient)
      assertThat(
              schema
                  .rows("SELECT reason FROM crm_event_rejection WHERE event_key LIKE 'failed:%'")
                  .get(0)
                  .get(0))
          .contains("value too long")
          .doesNotContain("+1+1+1");
      assertThat(store.replayId(ch)).contains(309L);
      // fewer transactions than events: they were grouped
      assertThat(committer.commits()).isLessThan(300);
      // nothing to write back: no rejection names a record
      assertThat(handedOff).isEmpty();
      committer.stop();
    }
  }

  private static Decision.Send send(String key, String to) {
    return new Decision.Send(key, "sms", to, "hi", null, null, null, null);
  }

  @Test
  void disabledMeansNoSubscription() throws Exception {
    long handshakes = handshakes();
    try (TestDatabase db = TestDatabase.postgres("crm_events");
        // Governance in Salesforce subscribes to its own channel: off, so that any session or
        // subscriber seen here would be the CRM events'.
        TestConnector node =
            connector(db)
                .property("crm.events.enabled", "false")
                .property("governance.salesforce.enabled", "false")
                .start()) {
      long before = org.streamingDeliveries().values().stream().mapToLong(Long::longValue).sum();
      api.publish(event("To__c", "+14155555000", "Body__c", "nobody listens"));
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  org.streamingSubscribers().values().stream().mapToInt(Integer::intValue).sum()
                      == 0);
      assertThat(org.streamingDeliveries().values().stream().mapToLong(Long::longValue).sum())
          .isEqualTo(before);
      assertThat(db.count("SELECT count(*) FROM outbox_message")).isZero();
      assertThat(node.bean("crmEventSubscriptions", CrmEventSubscriptions.class).isLeader())
          .isFalse();
      // not even a CometD session (camel-salesforce starts one for a loaded, stopped consumer)
      assertThat(handshakes()).isEqualTo(handshakes);
    }
  }

  private static long handshakes() {
    return org.apiUsage().byEndpoint().getOrDefault("cometd /meta/handshake", 0L);
  }
}
