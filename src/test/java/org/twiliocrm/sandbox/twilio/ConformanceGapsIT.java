package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.base.ResourceSet;
import com.twilio.exception.ApiException;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.rest.verify.v2.Service;
import com.twilio.rest.verify.v2.service.Verification;
import com.twilio.type.PhoneNumber;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The places where the sandbox used to answer differently from Twilio (issue 19): paging, Verify
 * Services, message delete and redaction, empty form values, the 404 for what is not emulated.
 * twilio-java where it has the operation, raw HTTP where the wire itself is the point.
 */
class ConformanceGapsIT {
  static TwilioSandboxFixture fx;
  static final String MESSAGES =
      "/2010-04-01/Accounts/" + TwilioSandboxFixture.ACCOUNT + "/Messages.json";

  @BeforeAll
  static void start() {
    fx = new TwilioSandboxFixture(Map.of());
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @BeforeEach
  void reset() {
    fx.control("POST", "/sandbox/reset", null);
  }

  private static Message send(String to, String body) {
    return Message.creator(new PhoneNumber(to), new PhoneNumber(TwilioSandboxFixture.NUMBER), body)
        .create(fx.client);
  }

  static HttpResponse<String> raw(String method, String path, String form) {
    return fx.api(method, path, form);
  }

  static Map<String, Object> json(HttpResponse<String> r) {
    try {
      return Wire.JSON.readValue(
          r.body(), new com.fasterxml.jackson.core.type.TypeReference<>() {});
    } catch (Exception e) {
      throw new IllegalStateException(r.statusCode() + " " + r.body(), e);
    }
  }

  @Test
  void listingPagesThroughAllMessagesAndKeepsFiltersInEveryUri() {
    for (int i = 0; i < 120; i++) {
      send("+14155550" + (i % 2 == 0 ? "800" : "801"), "m" + i);
    }
    // twilio-java follows next_page_uri until it is null.
    ResourceSet<Message> all = Message.reader().pageSize(50).read(fx.client);
    Set<String> sids = new HashSet<>();
    all.forEach(m -> sids.add(m.getSid()));
    assertThat(sids).hasSize(120);

    Map<String, Object> first = json(raw("GET", MESSAGES + "?To=%2B14155550800&PageSize=25", null));
    assertThat((List<?>) first.get("messages")).hasSize(25);
    assertThat((String) first.get("uri")).contains("To=%2B14155550800").contains("PageSize=25");
    assertThat((String) first.get("first_page_uri")).contains("To=%2B14155550800");
    String next = (String) first.get("next_page_uri");
    assertThat(next).contains("To=%2B14155550800").contains("Page=1").contains("PageToken=PA");
    List<String> seen = new ArrayList<>();
    Map<String, Object> page = first;
    while (true) {
      for (Object m : (List<?>) page.get("messages")) {
        @SuppressWarnings("unchecked")
        Map<String, Object> mm = (Map<String, Object>) m;
        assertThat(mm.get("to")).isEqualTo("+14155550800");
        seen.add((String) mm.get("sid"));
      }
      String n = (String) page.get("next_page_uri");
      if (n == null) {
        break;
      }
      // A message created between pages does not shift the rest (the token anchors the page).
      send("+14155550800", "late");
      page = json(raw("GET", n, null));
    }
    assertThat(seen).hasSize(60).doesNotHaveDuplicates();

    HttpResponse<String> bad = raw("GET", MESSAGES + "?PageSize=abc", null);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad)).containsEntry("code", 20001);
  }

  @Test
  void verifyServicesAreCreatedFetchedAndUsedAndUnknownOnesAre404() {
    Service s = Service.creator("My app").create(fx.client);
    assertThat(s.getSid()).matches("VA[0-9a-f]{32}");
    assertThat(s.getFriendlyName()).isEqualTo("My app");
    assertThat(Service.fetcher(s.getSid()).fetch(fx.client).getFriendlyName()).isEqualTo("My app");
    assertThat(Service.reader().read(fx.client)).extracting(Service::getSid).contains(s.getSid());
    assertThat(fx.controlList("/sandbox/verify-services"))
        .extracting(m -> m.get("sid"))
        .containsExactly(s.getSid());
    Verification v = Verification.creator(s.getSid(), "+14155550810", "sms").create(fx.client);
    assertThat(v.getStatus()).isEqualTo("pending");

    String made_up = "VA" + "7".repeat(32);
    ApiException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            ApiException.class,
            () -> Verification.creator(made_up, "+14155550810", "sms").create(fx.client));
    assertThat(e.getStatusCode()).isEqualTo(404);
    assertThat(e.getCode()).isEqualTo(20404);
    e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            ApiException.class, () -> Service.fetcher(made_up).fetch(fx.client));
    assertThat(e.getCode()).isEqualTo(20404);

    assertThat(Service.deleter(s.getSid()).delete(fx.client)).isTrue();
    e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            ApiException.class, () -> Service.fetcher(s.getSid()).fetch(fx.client));
    assertThat(e.getCode()).isEqualTo(20404);
  }

  @Test
  void aFinishedMessageCanBeRedactedAndDeleted() {
    Message m = send("+14155550820", "secret text");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                "delivered"
                    .equals(
                        fx.controlMap("GET", "/sandbox/messages/" + m.getSid(), null)
                            .get("status")));
    Message redacted = Message.updater(m.getSid()).setBody("").update(fx.client);
    assertThat(redacted.getBody()).isEmpty();
    assertThat(Message.fetcher(m.getSid()).fetch(fx.client).getBody()).isEmpty();

    HttpResponse<String> notEmpty =
        raw("POST", MESSAGES.replace(".json", "/" + m.getSid() + ".json"), "Body=other");
    assertThat(notEmpty.statusCode()).isEqualTo(400);

    assertThat(Message.deleter(m.getSid()).delete(fx.client)).isTrue();
    HttpResponse<String> gone =
        raw("GET", MESSAGES.replace(".json", "/" + m.getSid() + ".json"), null);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(json(gone)).containsEntry("code", 20404);
    HttpResponse<String> again =
        raw("DELETE", MESSAGES.replace(".json", "/" + m.getSid() + ".json"), null);
    assertThat(again.statusCode()).isEqualTo(404);
  }

  @Test
  void emptyFormValuesAreAcceptedAsTwilioDoes() {
    HttpResponse<String> r =
        raw(
            "POST",
            MESSAGES,
            "To=%2B14155550830&From=%2B15005550006&Body=hi&StatusCallback=&ValidityPeriod=");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(json(r)).containsEntry("status", "queued");
  }

  @Test
  void aPathOutsideTheEmulatedSurfaceGetsTwiliosNotFoundNamingThePath() {
    HttpResponse<String> r =
        raw("GET", "/2010-04-01/Accounts/" + TwilioSandboxFixture.ACCOUNT + "/Queues.json", null);
    assertThat(r.statusCode()).isEqualTo(404);
    Map<String, Object> body = json(r);
    assertThat(body).containsEntry("code", 20404).containsEntry("status", 404);
    assertThat((String) body.get("message"))
        .contains("/Queues.json")
        .contains("docs/sandbox-coverage.md");
    assertThat(r.body()).doesNotContain("Exception");
  }
}
