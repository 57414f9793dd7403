package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.testsupport.TestHttp;

/**
 * The places where the Salesforce sandbox used to answer differently from Salesforce (issue 19),
 * over plain HTTP as any client sees them: SOAP login, identity, lower-case ids in collections,
 * queryAll, queryMore's totalSize, relationship fields, subqueries, date literals, and the 404 for
 * what is not emulated.
 */
class SalesforceConformanceIT {
  @TempDir static Path dir;
  static SalesforceSandbox org;
  static final HttpClient HTTP = TestHttp.client();
  static final ObjectMapper JSON = new ObjectMapper();
  static final String V = "/services/data/v62.0";
  String token;

  @BeforeAll
  static void start() {
    org = SalesforceSandbox.start(SalesforceSandboxFixture.settings(dir));
  }

  @AfterAll
  static void stop() {
    org.close();
  }

  @BeforeEach
  void login() throws Exception {
    org.reset(true);
    SalesforceSandboxSettings s = org.settings();
    HttpResponse<String> r =
        send(
            "POST",
            "/services/oauth2/token",
            "grant_type=password&client_id="
                + s.clientId()
                + "&client_secret="
                + s.clientSecret()
                + "&username="
                + URLEncoder.encode(s.username(), StandardCharsets.UTF_8)
                + "&password="
                + s.password(),
            "application/x-www-form-urlencoded",
            null);
    token = (String) map(r).get("access_token");
  }

  static HttpResponse<String> send(
      String method, String path, String body, String type, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(org.baseUrl() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (type != null) {
      b.header("Content-Type", type);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> api(String method, String path, Object body) throws Exception {
    return send(
        method,
        V + path,
        body == null ? null : JSON.writeValueAsString(body),
        body == null ? null : "application/json",
        token);
  }

  Map<String, Object> query(String resource, String soql) throws Exception {
    HttpResponse<String> r =
        api("GET", "/" + resource + "?q=" + URLEncoder.encode(soql, StandardCharsets.UTF_8), null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return map(r);
  }

  static Map<String, Object> map(HttpResponse<String> r) throws Exception {
    return JSON.readValue(r.body(), new TypeReference<>() {});
  }

  static List<Map<String, Object>> list(HttpResponse<String> r) throws Exception {
    return JSON.readValue(r.body(), new TypeReference<>() {});
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> records(Map<String, Object> result) {
    return (List<Map<String, Object>>) result.get("records");
  }

  String create(String type, Map<String, Object> fields) throws Exception {
    HttpResponse<String> r = api("POST", "/sobjects/" + type, fields);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return (String) map(r).get("id");
  }

  @Test
  void soapLoginAnswersASessionTheRestApiAcceptsAndAFaultForWrongPasswords() throws Exception {
    SalesforceSandboxSettings s = org.settings();
    String envelope =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><se:Envelope"
            + " xmlns:se=\"http://schemas.xmlsoap.org/soap/envelope/\"><se:Header/><se:Body>"
            + "<login xmlns=\"urn:partner.soap.sforce.com\"><username>%s</username>"
            + "<password>%s</password></login></se:Body></se:Envelope>";
    HttpResponse<String> ok =
        send(
            "POST",
            "/services/Soap/u/62.0",
            envelope.formatted(s.username(), s.password()),
            "text/xml",
            null);
    assertThat(ok.statusCode()).isEqualTo(200);
    String session = ok.body().replaceAll("(?s).*<sessionId>([^<]+)</sessionId>.*", "$1");
    assertThat(ok.body())
        .contains("<serverUrl>" + org.baseUrl() + "/services/Soap/u/62.0/")
        .contains("<organizationId>" + s.orgId() + "</organizationId>");
    assertThat(send("GET", V + "/limits", null, null, session).statusCode()).isEqualTo(200);

    HttpResponse<String> bad =
        send(
            "POST",
            "/services/Soap/u/62.0",
            envelope.formatted(s.username(), "wrong"),
            "text/xml",
            null);
    assertThat(bad.statusCode()).isEqualTo(500);
    assertThat(bad.body()).contains("<faultcode>sf:INVALID_LOGIN</faultcode>");
  }

  @Test
  void theTokensIdentityUrlAndUserinfoAnswer() throws Exception {
    SalesforceSandboxSettings s = org.settings();
    HttpResponse<String> t =
        send(
            "POST",
            "/services/oauth2/token",
            "grant_type=password&client_id="
                + s.clientId()
                + "&client_secret="
                + s.clientSecret()
                + "&username="
                + URLEncoder.encode(s.username(), StandardCharsets.UTF_8)
                + "&password="
                + s.password(),
            "application/x-www-form-urlencoded",
            null);
    String id = (String) map(t).get("id");
    HttpResponse<String> identity =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(id))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(identity.statusCode()).isEqualTo(200);
    assertThat(map(identity))
        .containsEntry("organization_id", s.orgId())
        .containsEntry("username", s.username());
    HttpResponse<String> info = send("GET", "/services/oauth2/userinfo", null, null, token);
    assertThat(info.statusCode()).isEqualTo(200);
    assertThat(map(info)).containsEntry("preferred_username", s.username());
    assertThat(send("GET", "/services/oauth2/userinfo", null, null, "nope").statusCode())
        .isEqualTo(403);
  }

  @Test
  void collectionsUpdateAcceptsLowerCaseIdsAsSalesforceDocumentsThem() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(create("Contact", Map.of("LastName", "Coll" + i)));
    }
    List<Map<String, Object>> recs = new ArrayList<>();
    for (String id : ids) {
      recs.add(Map.of("attributes", Map.of("type", "Contact"), "id", id, "FirstName", "Upd"));
    }
    HttpResponse<String> r =
        api("PATCH", "/composite/sobjects", Map.of("allOrNone", false, "records", recs));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(list(r)).allSatisfy(x -> assertThat(x).containsEntry("success", true));
    assertThat(records(query("query", "SELECT FirstName FROM Contact WHERE LastName LIKE 'Coll%'")))
        .extracting(x -> x.get("FirstName"))
        .containsOnly("Upd");
  }

  @Test
  void queryAllReturnsDeletedRecordsAndQueryDoesNot() throws Exception {
    String id = create("Contact", Map.of("LastName", "Gone"));
    assertThat(api("DELETE", "/sobjects/Contact/" + id, null).statusCode()).isEqualTo(204);
    String soql = "SELECT Id, IsDeleted FROM Contact WHERE LastName = 'Gone'";
    assertThat(query("query", soql)).containsEntry("totalSize", 0);
    Map<String, Object> all = query("queryAll", soql);
    assertThat(all).containsEntry("totalSize", 1);
    assertThat(records(all).get(0)).containsEntry("Id", id).containsEntry("IsDeleted", true);
  }

  @Test
  void everyQueryMoreBatchReportsTheWholeQuerysTotalSize() throws Exception {
    for (int batch = 0; batch < 11; batch++) {
      List<Map<String, Object>> recs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        recs.add(Map.of("attributes", Map.of("type", "Contact"), "LastName", "Bulk"));
      }
      HttpResponse<String> r =
          api("POST", "/composite/sobjects", Map.of("allOrNone", true, "records", recs));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    Map<String, Object> first = query("query", "SELECT Id FROM Contact WHERE LastName = 'Bulk'");
    assertThat(first).containsEntry("totalSize", 2200).containsEntry("done", false);
    HttpResponse<String> more =
        send("GET", (String) first.get("nextRecordsUrl"), null, null, token);
    Map<String, Object> second = map(more);
    assertThat(second).containsEntry("totalSize", 2200).containsEntry("done", true);
    assertThat(records(second)).hasSize(200);
  }

  @Test
  @SuppressWarnings("unchecked")
  void relationshipFieldsSubqueriesAndDateLiteralsWork() throws Exception {
    String acct = create("Account", Map.of("Name", "Acme Rel"));
    create("Contact", Map.of("LastName", "WithAcct", "AccountId", acct));
    create("Contact", Map.of("LastName", "NoAcct"));

    List<Map<String, Object>> rows =
        records(
            query(
                "query",
                "SELECT LastName, Account.Name FROM Contact WHERE LastName IN ('WithAcct',"
                    + " 'NoAcct') ORDER BY LastName"));
    assertThat(rows.get(0)).containsEntry("LastName", "NoAcct").containsEntry("Account", null);
    Map<String, Object> parent = (Map<String, Object>) rows.get(1).get("Account");
    assertThat(parent).containsEntry("Name", "Acme Rel");
    assertThat((Map<String, Object>) parent.get("attributes")).containsEntry("type", "Account");

    assertThat(records(query("query", "SELECT Id FROM Contact WHERE Account.Name = 'Acme Rel'")))
        .hasSize(1);

    Map<String, Object> acctRow =
        records(
                query(
                    "query",
                    "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Id = '"
                        + acct
                        + "'"))
            .get(0);
    Map<String, Object> contacts = (Map<String, Object>) acctRow.get("Contacts");
    assertThat(contacts).containsEntry("totalSize", 1);
    assertThat(records(contacts)).extracting(x -> x.get("LastName")).containsExactly("WithAcct");

    assertThat(
            records(
                query(
                    "query",
                    "SELECT Id FROM Contact WHERE LastName = 'WithAcct' AND CreatedDate ="
                        + " LAST_N_DAYS:7")))
        .hasSize(1);
    assertThat(
            records(
                query(
                    "query",
                    "SELECT Id FROM Contact WHERE LastName = 'WithAcct' AND CreatedDate <"
                        + " YESTERDAY")))
        .isEmpty();
    assertThat(records(query("query", "SELECT Id FROM Contact WHERE CreatedDate = TODAY")))
        .isNotEmpty();
  }

  @Test
  void whatIsNotEmulatedGetsSalesforcesNotFoundNamingThePath() throws Exception {
    HttpResponse<String> search = api("GET", "/search?q=FIND+%7BAda%7D", null);
    assertThat(search.statusCode()).isEqualTo(404);
    Map<String, Object> err = list(search).get(0);
    assertThat(err).containsEntry("errorCode", "NOT_FOUND");
    assertThat((String) err.get("message"))
        .contains("/services/data/v62.0/search")
        .contains("docs/sandbox-coverage.md");
    HttpResponse<String> other = send("GET", "/services/apexrest/foo", null, null, token);
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.body()).contains("/services/apexrest/foo").doesNotContain("Exception");
  }
}
