package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which Salesforce change events are consent events, and what they record (no services: the
 * records' phone fields come from a map standing in for SOQL). The shipped recipients.yaml maps
 * Contact and Lead SMS_Opt_Out__c (true = opted out) with phones in MobilePhone, then Phone.
 */
class CrmConsentSyncTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ME = "005000000000001AAA";
  private static final String OLIVIA = "005000000000002AAA";
  private static final String CONTACT = "003000000000001AAA";

  private final CrmConsentSync sync =
      new CrmConsentSync(
          null,
          new RecipientPolicies("governance/recipients.yaml", new Audit(null)),
          new PhoneRules("US"));
  private final Map<String, Map<String, Object>> org = new HashMap<>();
  private final List<String> lookups = new ArrayList<>();

  private final CrmConsentSync.RecordReader reader =
      (object, fields, ids) -> {
        lookups.add(object + " " + fields + " " + ids);
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        ids.forEach(id -> out.put(id, org.get(id)));
        out.values().removeIf(v -> v == null);
        return out;
      };

  private JsonNode event(
      String changeType, String user, List<String> changed, Map<String, Object> values)
      throws Exception {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("entityName", "Contact");
    header.put("recordIds", List.of(CONTACT));
    header.put("changeType", changeType);
    header.put("transactionKey", "tx-1");
    header.put("sequenceNumber", 1);
    header.put("commitTimestamp", 1_764_000_000_000L);
    header.put("commitUser", user);
    header.put("changedFields", changed);
    header.put("nulledFields", List.of());
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("ChangeEventHeader", header);
    payload.putAll(values);
    return JSON.valueToTree(Map.of("data", Map.of("payload", payload, "event", Map.of())));
  }

  private JsonNode optOut(String user, boolean value) throws Exception {
    return event(
        "UPDATE",
        user,
        List.of("SMS_Opt_Out__c", "LastModifiedDate"),
        Map.of("SMS_Opt_Out__c", value));
  }

  @Test
  void anOptOutByAPersonIsOneEventPerNumberOfTheRecord() throws Exception {
    org.put(CONTACT, Map.of("MobilePhone", "(415) 555-0123", "Phone", "+1 415 555 0199"));
    List<ConsentLedger.Event> events = sync.events(optOut(OLIVIA, true), ME, reader);
    assertThat(lookups).containsExactly("Contact [MobilePhone, Phone] [" + CONTACT + "]");
    assertThat(events)
        .extracting(ConsentLedger.Event::recipient)
        .containsExactly("+14155550123", "+14155550199");
    ConsentLedger.Event e = events.get(0);
    assertThat(e.status()).isEqualTo(ConsentLedger.OPTED_OUT);
    assertThat(e.purpose()).isEqualTo(RecipientPolicy.ALL_PURPOSES);
    assertThat(e.source()).isEqualTo(ConsentLedger.SOURCE_CRM);
    assertThat(e.occurredAt()).isEqualTo(Instant.ofEpochMilli(1_764_000_000_000L));
    assertThat(e.evidence())
        .contains("Contact " + CONTACT, "SMS_Opt_Out__c=true", "user " + OLIVIA, "tx-1/1");
  }

  @Test
  void clearingTheFieldIsAnOptIn() throws Exception {
    org.put(CONTACT, Map.of("MobilePhone", "+14155550123"));
    assertThat(sync.events(optOut(OLIVIA, false), ME, reader))
        .singleElement()
        .extracting(ConsentLedger.Event::status)
        .isEqualTo(ConsentLedger.OPTED_IN);
  }

  @Test
  void theConnectorsOwnWriteBackIsAnEchoAndCostsNoLookUp() throws Exception {
    org.put(CONTACT, Map.of("MobilePhone", "+14155550123"));
    assertThat(sync.events(optOut(ME, true), ME, reader)).isEmpty();
    assertThat(lookups).isEmpty();
  }

  @Test
  void otherChangesAndANewRecordsDefaultAreNoConsentEvents() throws Exception {
    org.put(CONTACT, Map.of("MobilePhone", "+14155550123"));
    assertThat(
            sync.events(
                event("UPDATE", OLIVIA, List.of("Title"), Map.of("Title", "CFO")), ME, reader))
        .isEmpty();
    // A new record not opted out is no opt-in: it would lift a STOP for the number.
    Map<String, Object> created = Map.of("SMS_Opt_Out__c", false, "MobilePhone", "+14155550123");
    assertThat(sync.events(event("CREATE", OLIVIA, List.of(), created), ME, reader)).isEmpty();
    assertThat(sync.events(event("DELETE", OLIVIA, List.of(), Map.of()), ME, reader)).isEmpty();
    assertThat(lookups).isEmpty();
  }

  @Test
  void aRecordCreatedOptedOutIsAnOptOutWithItsNumbersFromTheRecord() throws Exception {
    org.put(CONTACT, Map.of("MobilePhone", "+14155550123"));
    Map<String, Object> created = Map.of("SMS_Opt_Out__c", true, "MobilePhone", "+14155550123");
    assertThat(sync.events(event("CREATE", OLIVIA, List.of(), created), ME, reader))
        .singleElement()
        .satisfies(e -> assertThat(e.status()).isEqualTo(ConsentLedger.OPTED_OUT));
  }

  @Test
  void phonesInTheEventSaveTheLookUp() throws Exception {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("SMS_Opt_Out__c", true);
    values.put("MobilePhone", "+14155550123");
    values.put("Phone", null);
    List<ConsentLedger.Event> events =
        sync.events(
            event("UPDATE", OLIVIA, List.of("SMS_Opt_Out__c", "MobilePhone", "Phone"), values),
            ME,
            reader);
    assertThat(events).extracting(ConsentLedger.Event::recipient).containsExactly("+14155550123");
    assertThat(lookups).isEmpty();
  }

  @Test
  void anUnreadableNumberOrNoneIsRejectedWithTheReason() throws Exception {
    org.put(CONTACT, Map.of("MobilePhone", "call me maybe", "Phone", "+14155550123"));
    List<ConsentLedger.Event> events = sync.events(optOut(OLIVIA, true), ME, reader);
    assertThat(events).hasSize(2);
    assertThat(events.get(0).status()).isEqualTo(ConsentLedger.REJECTED);
    assertThat(events.get(0).recipient()).isEqualTo("call me maybe");
    assertThat(events.get(0).reason()).contains("MobilePhone", "not a valid phone number");
    assertThat(events.get(1).status()).isEqualTo(ConsentLedger.OPTED_OUT);

    org.put(CONTACT, Map.of());
    assertThat(sync.events(optOut(OLIVIA, true), ME, reader))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.status()).isEqualTo(ConsentLedger.REJECTED);
              assertThat(e.reason()).isEqualTo("no phone number in MobilePhone, Phone");
            });
    org.remove(CONTACT);
    assertThat(sync.events(optOut(OLIVIA, true), ME, reader))
        .singleElement()
        .satisfies(e -> assertThat(e.reason()).startsWith("record not found"));
  }
}
