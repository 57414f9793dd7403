package org.twiliocrm.crm.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Record-id look-ups of a commit group: one {@code WHERE Id IN (...)} query per object and 200 ids,
 * order kept, a missing record rejected alone, 15- and 18-character ids alike. The SOQL client is a
 * fake that answers IN queries from a table of 18-character ids, the way Salesforce does (it
 * accepts either form and returns the 18-character one).
 */
class RecipientBatchTest {
  private static final Pattern QUERY =
      Pattern.compile("SELECT Id, (\\w+) FROM (\\w+) WHERE Id IN \\(([^)]*)\\)");
  private static final String TOPIC = "/event/Send_Message__e";

  private final Map<String, Map<String, Object>> org = new LinkedHashMap<>();
  private final List<String> queries = new ArrayList<>();
  private final SoqlClient soql =
      q -> {
        queries.add(q);
        Matcher m = QUERY.matcher(q);
        assertThat(m.matches()).as(q).isTrue();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String lit : m.group(3).split(", ")) {
          String id = lit.substring(1, lit.length() - 1);
          org.values().stream()
              .filter(r -> r.get("Id").toString().startsWith(id.substring(0, 15)))
              .filter(
                  r -> r.get("Id").toString().startsWith(m.group(2).equals("Lead") ? "00Q" : "003"))
              .findFirst()
              .ifPresent(rows::add);
        }
        return rows;
      };
  private final RecipientResolver resolver =
      new RecipientResolver(soql, CrmEventsSettings.defaults().phoneFields());
  private final PlatformEventMapper mapper =
      new PlatformEventMapper(resolver, n -> java.util.Optional.empty(), "sms");

  private static String contact(int i) {
    return String.format("0035g%010dAAA", i);
  }

  private void seed(String id, String field, String phone) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("Id", id);
    r.put(field, phone);
    org.put(id, r);
  }

  private EventOutcome event(long replayId, String payload) throws Exception {
    String raw =
        "{\"channel\":\""
            + TOPIC
            + "\",\"data\":{\"payload\":"
            + payload
            + ",\"event\":{\"replayId\":"
            + replayId
            + "}}}";
    return mapper.map(raw, TOPIC, null);
  }

  private EventOutcome byRecord(long replayId, String recordId) throws Exception {
    return event(
        replayId, "{\"Record_Id__c\":\"" + recordId + "\",\"Body__c\":\"m" + replayId + "\"}");
  }

  @Test
  void aGroupIsOneQueryPerObjectInOrderWithTheMissingRecordRejectedAlone() throws Exception {
    seed(contact(1), "MobilePhone", "+14155550001");
    seed(contact(2), "MobilePhone", "+14155550002");
    seed(contact(3), "MobilePhone", null);
    seed("00Q5g0000000001AAA", "MobilePhone", "+14155550101");
    List<EventOutcome> group = new ArrayList<>();
    group.add(byRecord(1, contact(1)));
    group.add(event(2, "{\"To__c\":\"+14155559999\",\"Body__c\":\"direct\"}"));
    group.add(byRecord(3, contact(404))); // no such record
    group.add(byRecord(4, "00Q5g0000000001AAA"));
    group.add(byRecord(5, contact(2)));
    group.add(byRecord(6, contact(3))); // no phone
    group.add(byRecord(7, "0015g0000000001AAA")); // an Account: not mapped, no query
    group.add(byRecord(8, contact(1))); // the same record again

    // Before the look-up nothing was queried: the mapper only checks the id.
    assertThat(queries).isEmpty();
    List<EventOutcome> out = resolver.resolveAll(group);

    assertThat(queries).hasSize(2);
    assertThat(queries.get(0)).contains("FROM Contact").contains(contact(404));
    assertThat(queries.get(1)).contains("FROM Lead");
    assertThat(out)
        .extracting(EventOutcome::replayId)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(out.get(0).sends().get(0).recipient()).isEqualTo("+14155550001");
    assertThat(out.get(1).sends().get(0).recipient()).isEqualTo("+14155559999");
    assertThat(out.get(2).rejections().get(0).reasonCode()).isEqualTo("RECORD_NOT_FOUND");
    assertThat(out.get(2).rejections().get(0).crmRecordId()).isEqualTo(contact(404));
    assertThat(out.get(3).sends().get(0).recipient()).isEqualTo("+14155550101");
    assertThat(out.get(3).sends().get(0).crmObject()).isEqualTo("Lead");
    assertThat(out.get(4).sends().get(0).recipient()).isEqualTo("+14155550002");
    assertThat(out.get(5).rejections().get(0).reasonCode()).isEqualTo("NO_PHONE");
    assertThat(out.get(6).rejections().get(0).reasonCode()).isEqualTo("UNSUPPORTED_RECORD");
    assertThat(out.get(7).sends().get(0).recipient()).isEqualTo("+14155550001");
    assertThat(out.get(7).sends().get(0).idempotencyKey()).endsWith(":8");
    // nothing is left to look up
    assertThat(out)
        .allSatisfy(o -> assertThat(o.decisions()).noneMatch(Decision.Lookup.class::isInstance));
  }

  @Test
  void fifteenAndEighteenCharacterIdsNameTheSameRecord() throws Exception {
    seed(contact(7), "MobilePhone", "+14155550007");
    String id15 = contact(7).substring(0, 15);
    List<EventOutcome> out =
        resolver.resolveAll(
            List.of(
                byRecord(1, id15),
                byRecord(2, contact(7)),
                event(
                    3,
                    "{\"Record_Id__c\":\""
                        + id15
                        + "\",\"Body__c\":\"w\",\"Channel__c\":\"whatsapp\"}")));
    // one id in one query, though the events spelled it two ways
    assertThat(queries).hasSize(1);
    assertThat(queries.get(0)).endsWith("IN ('" + id15 + "')");
    assertThat(out.get(0).sends().get(0).recipient()).isEqualTo("+14155550007");
    assertThat(out.get(0).sends().get(0).crmRecordId()).isEqualTo(id15);
    assertThat(out.get(1).sends().get(0).recipient()).isEqualTo("+14155550007");
    assertThat(out.get(1).sends().get(0).crmRecordId()).isEqualTo(contact(7));
    assertThat(out.get(2).sends().get(0).recipient()).isEqualTo("whatsapp:+14155550007");
  }

  @Test
  void atMostTwoHundredIdsPerQuery() throws Exception {
    List<EventOutcome> group = new ArrayList<>();
    for (int i = 0; i < 450; i++) {
      seed(contact(i), "MobilePhone", String.format("+1415555%04d", i));
      group.add(byRecord(i, contact(i)));
    }
    List<EventOutcome> out = resolver.resolveAll(group);
    assertThat(queries).hasSize(3);
    assertThat(queries).extracting(q -> q.split("', '").length).containsExactly(200, 200, 50);
    for (int i = 0; i < 450; i++) {
      assertThat(out.get(i).sends().get(0).recipient()).isEqualTo(String.format("+1415555%04d", i));
    }
  }

  @Test
  void aGroupWithoutLookUpsAsksNothing() throws Exception {
    List<EventOutcome> group = List.of(event(1, "{\"To__c\":\"+14155559999\",\"Body__c\":\"x\"}"));
    assertThat(resolver.resolveAll(group)).isSameAs(group);
    assertThat(queries).isEmpty();
  }
}
