package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.component.salesforce.api.SalesforceException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real camel-salesforce producer against the sandbox org: login, CRUD, SOQL, errors. */
class SalesforceRestIT {
  @TempDir static Path dir;
  static SalesforceSandboxFixture f;
  final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    f = SalesforceSandboxFixture.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    f.close();
  }

  @BeforeEach
  void reset() {
    f.org.reset(true);
  }

  private JsonNode call(String op, Object body, Map<String, Object> headers) throws Exception {
    String out = f.request("salesforce:" + op, body, headers);
    return out == null ? null : json.readTree(out);
  }

  private static SalesforceException failure(Runnable r) {
    try {
      r.run();
    } catch (CamelExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(SalesforceException.class);
      return (SalesforceException) e.getCause();
    }
    throw new AssertionError("expected a SalesforceException");
  }

  @Test
  void createsReadsUpdatesAndDeletesAContact() throws Exception {
    JsonNode created =
        call(
            "createSObject",
            "{\"FirstName\":\"Joan\",\"LastName\":\"Clarke\",\"MobilePhone\":\"+14155550999\"}",
            Map.of("sObjectName", "Contact"));
    String id = created.get("id").asText();
    assertThat(id).hasSize(18).startsWith("003");
    assertThat(created.get("success").asBoolean()).isTrue();

    JsonNode read = call("getSObject", null, Map.of("sObjectName", "Contact", "sObjectId", id));
    assertThat(read.get("Name").asText()).isEqualTo("Joan Clarke");
    assertThat(read.at("/attributes/type").asText()).isEqualTo("Contact");

    call(
        "updateSObject",
        "{\"SMS_Opt_Out__c\":true}",
        Map.of("sObjectName", "Contact", "sObjectId", id));
    assertThat(f.org.records("Contact"))
        .filteredOn(r -> id.equals(r.get("Id")))
        .singleElement()
        .satisfies(r -> assertThat(r.get("SMS_Opt_Out__c")).isEqualTo(true));

    call("deleteSObject", null, Map.of("sObjectName", "Contact", "sObjectId", id));
    SalesforceException gone =
        failure(
            () ->
                f.request(
                    "salesforce:getSObject",
                    null,
                    Map.of("sObjectName", "Contact", "sObjectId", id)));
    assertThat(gone.getStatusCode()).isEqualTo(404);
    assertThat(gone.getErrors().get(0).getErrorCode()).isEqualTo("NOT_FOUND");
  }

  @Test
  void upsertByExternalIdCreatesThenUpdates() throws Exception {
    Map<String, Object> key =
        Map.of(
            "sObjectName", "Twilio_Message__c",
            "sObjectIdName", "Message_Sid__c",
            "sObjectIdValue", "SM00000000000000000000000000000001");
    JsonNode first =
        call("upsertSObject", "{\"Status__c\":\"queued\",\"To__c\":\"+14155550101\"}", key);
    assertThat(first.get("created").asBoolean()).isTrue();
    JsonNode second = call("upsertSObject", "{\"Status__c\":\"delivered\"}", key);
    assertThat(second.get("created").asBoolean()).isFalse();
    assertThat(second.get("id").asText()).isEqualTo(first.get("id").asText());
    assertThat(f.org.records("Twilio_Message__c"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.get("Status__c")).isEqualTo("delivered");
              assertThat(r.get("To__c")).isEqualTo("+14155550101");
            });
  }

  @Test
  void soqlFindsContactsByMobileAndOptOut() throws Exception {
    JsonNode one =
        call(
            "query",
            null,
            Map.of(
                "sObjectQuery",
                "SELECT Id, FirstName, MobilePhone FROM Contact WHERE MobilePhone = '+14155550101'"
                    + " AND SMS_Opt_Out__c = false"));
    assertThat(one.get("totalSize").asInt()).isEqualTo(1);
    assertThat(one.at("/records/0/FirstName").asText()).isEqualTo("Ada");

    JsonNode several =
        call(
            "query",
            null,
            Map.of(
                "sObjectQuery",
                "SELECT FirstName FROM Contact WHERE (MobilePhone IN ('+14155550102', '+14155550103')"
                    + " OR LastName LIKE 'john%') AND SMS_Opt_Out__c != true ORDER BY FirstName DESC"
                    + " LIMIT 5"));
    List<String> names = new ArrayList<>();
    several.get("records").forEach(r -> names.add(r.get("FirstName").asText()));
    assertThat(names).containsExactly("Katherine", "Grace");

    SalesforceException bad =
        failure(
            () ->
                f.request(
                    "salesforce:query",
                    null,
                    Map.of("sObjectQuery", "SELECT Nope__c FROM Contact")));
    assertThat(bad.getStatusCode()).isEqualTo(400);
    assertThat(bad.getErrors().get(0).getErrorCode()).isEqualTo("INVALID_FIELD");
  }

  @Test
  void describeListsSeededFields() throws Exception {
    JsonNode d = call("getDescription", null, Map.of("sObjectName", "Twilio_Message__c"));
    assertThat(d.get("keyPrefix").asText()).isEqualTo("a0X");
    JsonNode sid = null;
    for (JsonNode field : d.get("fields")) {
      if ("Message_Sid__c".equals(field.get("name").asText())) {
        sid = field;
      }
    }
    assertThat(sid).isNotNull();
    assertThat(sid.get("externalId").asBoolean()).isTrue();
    assertThat(sid.get("length").asInt()).isEqualTo(34);
  }

  @Test
  void fieldRulesAnswerWithSalesforceErrors() {
    Map<String, Object> contact = Map.of("sObjectName", "Contact");
    assertThat(
            failure(() -> f.request("salesforce:createSObject", "{\"FirstName\":\"No\"}", contact))
                .getErrors()
                .get(0)
                .getErrorCode())
        .isEqualTo("REQUIRED_FIELD_MISSING");
    assertThat(
            failure(
                    () ->
                        f.request(
                            "salesforce:createSObject",
                            "{\"LastName\":\"X\",\"Bogus__c\":1}",
                            contact))
                .getErrors()
                .get(0)
                .getErrorCode())
        .isEqualTo("INVALID_FIELD");
    Map<String, Object> msg = Map.of("sObjectName", "Twilio_Message__c");
    assertThat(
            failure(
                    () ->
                        f.request(
                            "salesforce:createSObject",
                            "{\"Message_Sid__c\":\"" + "S".repeat(35) + "\"}",
                            msg))
                .getErrors()
                .get(0)
                .getErrorCode())
        .isEqualTo("STRING_TOO_LONG");
    assertThat(
            failure(() -> f.request("salesforce:createSObject", "{\"Segments__c\":\"abc\"}", msg))
                .getErrors()
                .get(0)
                .getErrorCode())
        .isEqualTo("INVALID_TYPE_ON_FIELD_IN_RECORD");
    f.request("salesforce:createSObject", "{\"Message_Sid__c\":\"SMdup\"}", msg);
    SalesforceException dup =
        failure(() -> f.request("salesforce:createSObject", "{\"Message_Sid__c\":\"SMDUP\"}", msg));
    assertThat(dup.getStatusCode()).isEqualTo(400);
    assertThat(dup.getErrors().get(0).getErrorCode()).isEqualTo("DUPLICATE_VALUE");
    // the valid neighbour of each negative case went through
    assertThat(f.org.records("Twilio_Message__c")).hasSize(1);
  }

  @Test
  void logsInAgainAfterTheTokenExpires() throws Exception {
    long before = f.org.logins();
    assertThat(f.org.expireTokens()).isPositive();
    JsonNode r = call("query", null, Map.of("sObjectQuery", "SELECT Id FROM Lead"));
    assertThat(r.get("totalSize").asInt()).isEqualTo(3);
    assertThat(f.org.logins()).isEqualTo(before + 1);
    // the first query got 401 INVALID_SESSION_ID, the component logged in and retried it
    assertThat(f.org.apiUsage().byEndpoint())
        .containsEntry("GET query", 2L)
        .containsEntry("POST oauth2/token", 1L);
  }

  @Test
  void collectionsUpsertUpTo200WithAllOrNone() throws Exception {
    List<Twilio_Message__c> batch = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      batch.add(new Twilio_Message__c("SMbatch" + i, "sent", null));
    }
    Object result =
        f.template.requestBodyAndHeaders(
            "salesforce:compositeUpsertSObjectCollections",
            batch,
            Map.of(
                "sObjectName",
                "Twilio_Message__c",
                "sObjectIdName",
                "Message_Sid__c",
                "allOrNone",
                "true"));
    assertThat((List<?>) result).hasSize(200);
    assertThat(f.org.records("Twilio_Message__c")).hasSize(200);

    batch.set(0, new Twilio_Message__c("SMbatch0", "delivered", null));
    batch.set(1, new Twilio_Message__c("SMbatch1", "not-a-status", null));
    f.template.requestBodyAndHeaders(
        "salesforce:compositeUpsertSObjectCollections",
        batch.subList(0, 2),
        Map.of(
            "sObjectName",
            "Twilio_Message__c",
            "sObjectIdName",
            "Message_Sid__c",
            "allOrNone",
            "true"));
    // all or none: the valid first record was rolled back with the invalid second one
    assertThat(f.org.records("Twilio_Message__c"))
        .filteredOn(r -> "SMbatch0".equals(r.get("Message_Sid__c")))
        .singleElement()
        .satisfies(r -> assertThat(r.get("Status__c")).isEqualTo("sent"));

    batch.add(new Twilio_Message__c("SMbatch200", "sent", null));
    SalesforceException tooMany =
        failure(
            () ->
                f.template.requestBodyAndHeaders(
                    "salesforce:compositeUpsertSObjectCollections",
                    batch,
                    Map.of("sObjectName", "Twilio_Message__c", "sObjectIdName", "Message_Sid__c")));
    assertThat(tooMany.getStatusCode()).isEqualTo(400);
  }

  @Test
  void compositeResolvesReferencesAndRollsBackAllOrNone() throws Exception {
    String ok =
        "{\"allOrNone\":true,\"compositeRequest\":["
            + "{\"method\":\"POST\",\"url\":\"/services/data/v62.0/sobjects/Contact\",\"referenceId\":\"c\","
            + "\"body\":{\"LastName\":\"Composite\"}},"
            + "{\"method\":\"POST\",\"url\":\"/services/data/v62.0/sobjects/Twilio_Message__c\",\"referenceId\":\"m\","
            + "\"body\":{\"Message_Sid__c\":\"SMcomp\",\"Contact__c\":\"@{c.id}\"}}]}";
    JsonNode r =
        json.readTree(
            f.request(
                "salesforce:raw?rawMethod=POST&rawPath=/services/data/v62.0/composite",
                ok,
                Map.of()));
    assertThat(r.at("/compositeResponse/1/httpStatusCode").asInt()).isEqualTo(201);
    String contactId = r.at("/compositeResponse/0/body/id").asText();
    assertThat(f.org.records("Twilio_Message__c"))
        .singleElement()
        .satisfies(m -> assertThat(m.get("Contact__c")).isEqualTo(contactId));

    String failing =
        ok.replace("SMcomp", "SMcomp2")
            .replace("\"Composite\"", "\"Composite2\"")
            .replace("@{c.id}", "not-an-id");
    JsonNode halted =
        json.readTree(
            f.request(
                "salesforce:raw?rawMethod=POST&rawPath=/services/data/v62.0/composite",
                failing,
                Map.of()));
    assertThat(halted.at("/compositeResponse/0/body/0/errorCode").asText())
        .isEqualTo("PROCESSING_HALTED");
    assertThat(halted.at("/compositeResponse/1/body/0/errorCode").asText())
        .isEqualTo("MALFORMED_ID");
    assertThat(f.org.records("Contact")).noneMatch(c -> "Composite2".equals(c.get("LastName")));
  }

  @Test
  void dailyLimitAnswers403AndEveryCallIsCounted() throws Exception {
    Exchange first =
        f.template.request(
            "salesforce:query", e -> e.getIn().setHeader("sObjectQuery", "SELECT Id FROM Case"));
    assertThat(first.getException()).isNull();
    String limitInfo = first.getMessage().getHeader("Sforce-Limit-Info", String.class);
    assertThat(limitInfo).matches("api-usage=\\d+/15000");

    f.org.apiUsage().setDailyLimit(f.org.apiUsage().dailyUsed());
    SalesforceException limited =
        failure(
            () ->
                f.request("salesforce:query", null, Map.of("sObjectQuery", "SELECT Id FROM Case")));
    assertThat(limited.getStatusCode()).isEqualTo(403);
    assertThat(limited.getErrors().get(0).getErrorCode()).isEqualTo("REQUEST_LIMIT_EXCEEDED");
    assertThat(f.org.apiUsage().byEndpoint()).containsEntry("GET query", 2L);
    f.org.apiUsage().setDailyLimit(15000);
  }

  private String raw(String method, String path, String body) {
    return f.request(
        "salesforce:raw?rawMethod=" + method + "&rawPath=/services/data/v62.0/" + path,
        body,
        Map.of());
  }

  @Test
  void collectionsCreateAndUpdateReportPerRecordResults() throws Exception {
    JsonNode created =
        json.readTree(
            raw(
                "POST",
                "composite/sobjects",
                "{\"allOrNone\":false,\"records\":["
                    + "{\"attributes\":{\"type\":\"Contact\"},\"LastName\":\"Batch\"},"
                    + "{\"attributes\":{\"type\":\"Contact\"},\"FirstName\":\"NoLastName\"}]}"));
    assertThat(created.at("/0/success").asBoolean()).isTrue();
    assertThat(created.at("/1/success").asBoolean()).isFalse();
    assertThat(created.at("/1/errors/0/statusCode").asText()).isEqualTo("REQUIRED_FIELD_MISSING");
    String id = created.at("/0/id").asText();

    JsonNode updated =
        json.readTree(
            raw(
                "PATCH",
                "composite/sobjects",
                "{\"allOrNone\":true,\"records\":[{\"attributes\":{\"type\":\"Contact\"},\"Id\":\""
                    + id
                    + "\",\"Title\":\"Updated\"}]}"));
    assertThat(updated.at("/0/success").asBoolean()).isTrue();
    assertThat(f.org.records("Contact"))
        .filteredOn(r -> id.equals(r.get("Id")))
        .singleElement()
        .satisfies(r -> assertThat(r.get("Title")).isEqualTo("Updated"));

    StringBuilder many = new StringBuilder("{\"records\":[");
    for (int i = 0; i < 201; i++) {
      many.append(i == 0 ? "" : ",")
          .append("{\"attributes\":{\"type\":\"Task\"},\"Subject\":\"t\"}");
    }
    many.append("]}");
    SalesforceException tooMany = failure(() -> raw("POST", "composite/sobjects", many.toString()));
    assertThat(tooMany.getStatusCode()).isEqualTo(400);
    // the raw operation does not parse the error body; the count shows nothing was stored
    assertThat(f.org.records("Task")).isEmpty();
  }

  @Test
  void compositeAllowsAtMost25Subrequests() {
    StringBuilder b = new StringBuilder("{\"compositeRequest\":[");
    for (int i = 0; i < 26; i++) {
      b.append(i == 0 ? "" : ",")
          .append("{\"method\":\"GET\",\"url\":\"/services/data/v62.0/limits\",\"referenceId\":\"r")
          .append(i)
          .append("\"}");
    }
    b.append("]}");
    SalesforceException e = failure(() -> raw("POST", "composite", b.toString()));
    assertThat(e.getStatusCode()).isEqualTo(400);
    assertThat(f.org.apiUsage().byEndpoint()).containsEntry("POST composite", 1L);
  }

  @Test
  void controlApiInspectsAndResets() throws Exception {
    f.request(
        "salesforce:createSObject",
        "{\"LastName\":\"Inspect\",\"Company\":\"C\"}",
        Map.of("sObjectName", "Lead"));
    assertThat(json.readTree(f.control("GET", "records?object=Lead", null).body())).hasSize(4);
    assertThat(json.readTree(f.control("GET", "records", null).body()).has("Twilio_Message__c"))
        .isTrue();
    JsonNode usage = json.readTree(f.control("GET", "api-usage", null).body());
    assertThat(usage.at("/byEndpoint/POST sobjects~1Lead").asLong()).isEqualTo(1);
    assertThat(usage.get("dailyUsed").asLong()).isEqualTo(1);
    assertThat(json.readTree(f.control("GET", "events?channel=/data/LeadChangeEvent", null).body()))
        .hasSize(1);
    assertThat(f.control("POST", "reset", null).statusCode()).isEqualTo(200);
    assertThat(json.readTree(f.control("GET", "records?object=Lead", null).body())).hasSize(3);
    assertThat(json.readTree(f.control("GET", "events", null).body())).isEmpty();
    assertThat(f.control("POST", "faults", "{\"unavailableRate\":2}").statusCode()).isEqualTo(400);
    assertThat(f.control("GET", "nothing-here", null).statusCode()).isEqualTo(404);
  }
}
