package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.component.salesforce.api.SalesforceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sandbox.salesforce.max-records} over the REST API, with camel-salesforce as the connector
 * calls it: an org capped at three message records keeps the newest three, and answers for an
 * evicted record exactly as for a deleted one.
 */
class SalesforceRecordCapIT {
  private static final int MAX = 3;
  private final ObjectMapper json = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void anEvictedRecordAnswersAsADeletedOneAndItsExternalIdCreatesANewRecord() throws Exception {
    SalesforceSandboxSettings s = SalesforceSandboxFixture.settings(dir).withMaxRecords(MAX);
    SalesforceSandbox org = SalesforceSandbox.start(s);
    try (SalesforceSandboxFixture f =
        SalesforceSandboxFixture.start(org, sf -> SalesforceSandboxFixture.passwordLogin(sf, s))) {
      f.camel.start();
      int before = org.records("Contact").size();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < MAX + 2; i++) {
        JsonNode r = upsert(f, sid(i), "{\"Status__c\":\"sent\"}");
        assertThat(r.get("created").asBoolean()).isTrue();
        ids.add(r.get("id").asText());
      }
      assertThat(org.records("Twilio_Message__c"))
          .extracting(r -> r.get("Id"))
          .containsExactlyElementsOf(ids.subList(2, MAX + 2));
      JsonNode count =
          json.readTree(
              f.request(
                  "salesforce:query",
                  null,
                  Map.of("sObjectQuery", "SELECT COUNT() FROM Twilio_Message__c")));
      assertThat(count.get("totalSize").asInt()).isEqualTo(MAX);
      // Seeded records of other objects stay (fewer than MAX per object in the seed or not).
      assertThat(org.records("Contact")).hasSize(before);

      // A record deleted through the API, then the same questions for it and for an evicted one.
      f.request(
          "salesforce:deleteSObject",
          null,
          Map.of("sObjectName", "Twilio_Message__c", "sObjectId", ids.get(MAX + 1)));
      SalesforceException deleted = getFailure(f, ids.get(MAX + 1));
      SalesforceException evicted = getFailure(f, ids.get(0));
      assertThat(evicted.getStatusCode()).isEqualTo(deleted.getStatusCode()).isEqualTo(404);
      assertThat(evicted.getErrors().get(0).getErrorCode())
          .isEqualTo(deleted.getErrors().get(0).getErrorCode())
          .isEqualTo("NOT_FOUND");

      // Upserting by the evicted record's external id creates a new record, as after a delete.
      JsonNode again = upsert(f, sid(0), "{\"Status__c\":\"delivered\"}");
      assertThat(again.get("created").asBoolean()).isTrue();
      assertThat(again.get("id").asText()).isNotEqualTo(ids.get(0));
      JsonNode deletedAgain = upsert(f, sid(MAX + 1), "{\"Status__c\":\"delivered\"}");
      assertThat(deletedAgain.get("created").asBoolean()).isTrue();
      assertThat(org.records("Twilio_Message__c")).hasSize(MAX);
    }
  }

  private static String sid(int i) {
    return String.format("SM%032d", i);
  }

  private JsonNode upsert(SalesforceSandboxFixture f, String sid, String body) throws Exception {
    return json.readTree(
        f.request(
            "salesforce:upsertSObject",
            body,
            Map.of(
                "sObjectName", "Twilio_Message__c",
                "sObjectIdName", "Message_Sid__c",
                "sObjectIdValue", sid)));
  }

  private static SalesforceException getFailure(SalesforceSandboxFixture f, String id) {
    try {
      f.request(
          "salesforce:getSObject",
          null,
          Map.of("sObjectName", "Twilio_Message__c", "sObjectId", id));
    } catch (CamelExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(SalesforceException.class);
      return (SalesforceException) e.getCause();
    }
    throw new AssertionError("expected a SalesforceException for " + id);
  }
}
