package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RecordStoreTest {
  private final List<ChangeEvent> committed = new ArrayList<>();
  private RecordStore store;

  @BeforeEach
  void setUp() throws Exception {
    var seed =
        new ObjectMapper()
            .readTree(RecordStoreTest.class.getResourceAsStream(SalesforceSandbox.SEED_RESOURCE));
    store =
        new RecordStore(
            OrgSchema.bundled(),
            new SalesforceIds(0),
            Clock.systemUTC(),
            "005000000000001AAA",
            committed::addAll);
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private String errorOf(Runnable r) {
    try {
      r.run();
    } catch (SalesforceError e) {
      return e.errorCode();
    }
    return "none";
  }

  @Test
  void idsAre18CharactersWithKeyPrefixAndCaseSafeSuffix() {
    String id = store.inTxn(t -> store.create("Contact", map("LastName", "X"), t));
    assertThat(id).hasSize(18).startsWith("003");
    assertThat(SalesforceIds.to18("0015000000Gv7qJ")).isEqualTo("0015000000Gv7qJAAR");
    assertThat(store.get("Contact", id.substring(0, 15))).isPresent();
  }

  @Test
  void fieldRulesPairedWithTheirValidNeighbours() {
    assertThat(errorOf(() -> store.inTxn(t -> store.create("Contact", map("FirstName", "A"), t))))
        .isEqualTo("REQUIRED_FIELD_MISSING");
    assertThat(errorOf(() -> store.inTxn(t -> store.create("Contact", map("LastName", "A"), t))))
        .isEqualTo("none");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Contact", map("LastName", "A", "Nope__c", 1), t))))
        .isEqualTo("INVALID_FIELD");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Contact", map("LastName", "A", "lastname", "B"), t))))
        .isEqualTo("none"); // field names are case-insensitive
    assertThat(
            errorOf(
                () ->
                    store.inTxn(t -> store.create("Contact", map("LastName", "x".repeat(81)), t))))
        .isEqualTo("STRING_TOO_LONG");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(t -> store.create("Contact", map("LastName", "x".repeat(80)), t))))
        .isEqualTo("none");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Twilio_Message__c", map("Segments__c", "two"), t))))
        .isEqualTo("INVALID_TYPE_ON_FIELD_IN_RECORD");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Twilio_Message__c", map("Segments__c", "2"), t))))
        .isEqualTo("none");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Contact", map("LastName", "A", "Name", "B"), t))))
        .isEqualTo("INVALID_FIELD_FOR_INSERT_UPDATE");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Twilio_Message__c", map("Status__c", "lost"), t))))
        .isEqualTo("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Twilio_Message__c", map("Contact__c", "xyz"), t))))
        .isEqualTo("MALFORMED_ID");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t ->
                            store.create(
                                "Twilio_Message__c", map("Contact__c", "003000000000999AAA"), t))))
        .isEqualTo("INVALID_CROSS_REFERENCE_KEY");
  }

  @Test
  void externalIdsAreUniqueAndUpsertAddressesThem() {
    var first =
        store.inTxn(
            t ->
                store.upsert(
                    "Twilio_Message__c", "Message_Sid__c", "SM1", map("Status__c", "queued"), t));
    var second =
        store.inTxn(
            t ->
                store.upsert(
                    "Twilio_Message__c", "message_sid__c", "sm1", map("Status__c", "sent"), t));
    assertThat(first.created()).isTrue();
    assertThat(second.created()).isFalse();
    assertThat(second.id()).isEqualTo(first.id());
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.create("Twilio_Message__c", map("Message_Sid__c", "SM1"), t))))
        .isEqualTo("DUPLICATE_VALUE");
    assertThat(
            errorOf(
                () ->
                    store.inTxn(
                        t -> store.upsert("Twilio_Message__c", "Status__c", "x", map(), t))))
        .isEqualTo("INVALID_FIELD");
  }

  @Test
  void rollbackUndoesEverythingAndEmitsNoChangeEvents() {
    RecordStore.Txn txn = store.begin();
    String id = store.create("Lead", map("LastName", "Temp", "Company", "C"), txn);
    store.update("Lead", id, map("Company", "D"), txn);
    txn.rollback();
    assertThat(store.get("Lead", id)).isEmpty();
    assertThat(committed).isEmpty();
  }

  @Test
  void commitEmitsChangeEventsWithChangedFieldsInOneTransaction() {
    RecordStore.Txn txn = store.begin();
    String id = store.create("Lead", map("LastName", "Temp", "Company", "C"), txn);
    store.update("Lead", id, map("Company", "D", "LastName", "Temp"), txn);
    store.delete("Lead", id, txn);
    txn.commit();
    assertThat(committed)
        .extracting(ChangeEvent::changeType)
        .containsExactly("CREATE", "UPDATE", "DELETE");
    assertThat(committed).extracting(ChangeEvent::sequenceNumber).containsExactly(1, 2, 3);
    assertThat(committed)
        .extracting(ChangeEvent::transactionKey)
        .containsOnly(committed.get(0).transactionKey());
    assertThat(committed.get(1).changedFields()).containsExactly("Company", "LastModifiedDate");
    // Task is not CDC-enabled in the seed
    store.inTxn(t -> store.create("Task", map("Subject", "Call"), t));
    assertThat(committed).hasSize(3);
  }

  @Test
  void defaultsAndAutoNumbersAreApplied() {
    String id = store.inTxn(t -> store.create("Case", map("Subject", "S"), t));
    Map<String, Object> c = store.get("Case", id).orElseThrow();
    assertThat(c.get("Status")).isEqualTo("New");
    assertThat((String) c.get("CaseNumber")).matches("\\d{8}");
  }

  @Test
  void beyondMaxRecordsTheOldestOfTheObjectGoAsIfDeletedAndPurged() {
    int max = 3;
    RecordStore capped =
        new RecordStore(
            OrgSchema.bundled(),
            new SalesforceIds(0),
            Clock.systemUTC(),
            "005000000000001AAA",
            committed::addAll,
            max);
    String contact = capped.inTxn(t -> capped.create("Contact", map("LastName", "Kept"), t));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < max + 2; i++) {
      String sid = String.format("SM%032d", i);
      ids.add(
          capped
              .inTxn(
                  t ->
                      capped.upsert(
                          "Twilio_Message__c", "Message_Sid__c", sid, map("Status__c", "sent"), t))
              .id());
    }
    // The object holds the newest three; another object's records are not touched.
    assertThat(capped.count("Twilio_Message__c")).isEqualTo(max);
    assertThat(capped.all("Twilio_Message__c"))
        .extracting(r -> r.get("Id"))
        .containsExactlyElementsOf(ids.subList(2, 5));
    assertThat(capped.evicted()).isEqualTo(2);
    assertThat(capped.get("Contact", contact)).isPresent();
    // An evicted record answers as a deleted one that left the recycle bin: not found by id, by
    // external id, nor in queryAll's deleted records; no write count, no change event.
    assertThat(capped.get("Twilio_Message__c", ids.get(0))).isEmpty();
    assertThat(
            capped.getByExternalId(
                "Twilio_Message__c", "Message_Sid__c", String.format("SM%032d", 0)))
        .isEmpty();
    assertThat(capped.deleted("Twilio_Message__c")).isEmpty();
    assertThat(capped.writes()).doesNotContainKey(ids.get(0)).containsKey(ids.get(4));
    assertThat(committed).extracting(ChangeEvent::changeType).doesNotContain("DELETE");
    assertThat(
            errorOf(
                () ->
                    capped.inTxn(
                        t -> {
                          capped.update("Twilio_Message__c", ids.get(0), map("Status__c", "x"), t);
                          return null;
                        })))
        .isEqualTo("NOT_FOUND");
    // A later upsert of an evicted record's external id creates a new record (the unique index
    // forgot the old one), and the oldest remaining one goes in turn.
    RecordStore.UpsertResult again =
        capped.inTxn(
            t ->
                capped.upsert(
                    "Twilio_Message__c",
                    "Message_Sid__c",
                    String.format("SM%032d", 0),
                    map("Status__c", "delivered"),
                    t));
    assertThat(again.created()).isTrue();
    assertThat(again.id()).isNotEqualTo(ids.get(0));
    assertThat(capped.count("Twilio_Message__c")).isEqualTo(max);
    assertThat(capped.get("Twilio_Message__c", ids.get(2))).isEmpty();
    // Deleted records are bounded the same way in the recycle bin.
    for (String id : List.of(ids.get(3), ids.get(4), again.id())) {
      capped.inTxn(
          t -> {
            capped.delete("Twilio_Message__c", id, t);
            return null;
          });
    }
    capped.inTxn(t -> capped.create("Twilio_Message__c", map("Status__c", "sent"), t));
    String last = capped.all("Twilio_Message__c").get(0).get("Id").toString();
    capped.inTxn(
        t -> {
          capped.delete("Twilio_Message__c", last, t);
          return null;
        });
    assertThat(capped.deleted("Twilio_Message__c"))
        .extracting(r -> r.get("Id"))
        .containsExactly(ids.get(4), again.id(), last);
  }

  @Test
  void aRolledBackTransactionEvictsNothing() {
    RecordStore capped =
        new RecordStore(
            OrgSchema.bundled(),
            new SalesforceIds(0),
            Clock.systemUTC(),
            "005000000000001AAA",
            committed::addAll,
            1);
    String first =
        capped.inTxn(t -> capped.create("Lead", map("LastName", "A", "Company", "C"), t));
    assertThat(
            errorOf(
                () ->
                    capped.inTxn(
                        t -> {
                          capped.create("Lead", map("LastName", "B", "Company", "C"), t);
                          throw SalesforceError.notFound();
                        })))
        .isEqualTo("NOT_FOUND");
    assertThat(capped.all("Lead")).extracting(r -> r.get("Id")).containsExactly(first);
    assertThat(capped.evicted()).isZero();
  }
}
