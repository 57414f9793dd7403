package org.twiliocrm.crm.events;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.twiliocrm.testsupport.TestHttp;

/** Talks to the Salesforce sandbox over HTTP as a Salesforce user or automation would. */
public final class SandboxOrg {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = TestHttp.client();
  private final String base;
  private String token;

  public SandboxOrg(String base) {
    this.base = base;
  }

  private String token() throws Exception {
    if (token == null) {
      String form =
          "grant_type=password&client_id=sandbox-client-id&client_secret=sandbox-client-secret"
              + "&username="
              + URLEncoder.encode("integration@twiliocrm.sandbox", StandardCharsets.UTF_8)
              + "&password=sandbox-password";
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/services/oauth2/token"))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .POST(HttpRequest.BodyPublishers.ofString(form))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      token = (String) JSON.readValue(r.body(), Map.class).get("access_token");
    }
    return token;
  }

  public Map<String, Object> call(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + "/services/data/v62.0/" + path))
            .header("Authorization", "Bearer " + token())
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(
          method + " " + path + " -> " + r.statusCode() + " " + r.body());
    }
    return r.body().isBlank() ? Map.of() : JSON.readValue(r.body(), new TypeReference<>() {});
  }

  public String publish(Map<String, Object> fields) throws Exception {
    return (String) call("POST", "sobjects/Send_Message__e", fields).get("id");
  }

  public String create(String object, Map<String, Object> fields) throws Exception {
    return (String) call("POST", "sobjects/" + object, fields).get("id");
  }

  public void update(String object, String id, Map<String, Object> fields) throws Exception {
    call("PATCH", "sobjects/" + object + "/" + id, fields);
  }

  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> query(String soql) throws Exception {
    return (List<Map<String, Object>>)
        call("GET", "query?q=" + URLEncoder.encode(soql, StandardCharsets.UTF_8), null)
            .get("records");
  }

  public String idOf(String object, String lastName) throws Exception {
    return (String)
        query("SELECT Id FROM " + object + " WHERE LastName = '" + lastName + "'").get(0).get("Id");
  }
}
