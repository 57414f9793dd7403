package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The flow test expectation {@code twilio:} over messages, calls and Verify verifications, fed the
 * Twilio sandbox's inspection JSON as it answers it ({@code /sandbox/messages}, {@code
 * /sandbox/calls}, {@code /sandbox/verifications}), and {@code consent:} rows; each kind with a
 * passing expectation and a failing one whose diff names the field.
 */
class TwilioRequestsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<?> json(String s) throws Exception {
    return JSON.readValue(s.replace('\'', '"'), List.class);
  }

  private final List<?> messages;
  private final List<?> calls;
  private final List<?> verifications;

  TwilioRequestsTest() throws Exception {
    messages =
        json(
            "[{'sid':'SM1','direction':'outbound-api','to':'+14155550100','from':'+15005550006',"
                + "'body':'Hi','status':'delivered','error_code':null,'media_urls':[]},"
                + "{'sid':'SM2','direction':'inbound','to':'+15005550006','from':'+14155550100',"
                + "'body':'STOP','status':'received'}]");
    calls =
        json(
            "[{'sid':'CA1','direction':'outbound-api','to':'+14155550101','from':'+15005550006',"
                + "'status':'completed','answered_by':null,"
                + "'twiml':'<Response><Say>Your appointment</Say><Say>is at nine.</Say></Response>',"
                + "'said':['Your appointment','is at nine.']}]");
    verifications =
        json(
            "[{'sid':'VE1','to':'+14155550102','channel':'sms','status':'pending','code':'123456'}]");
  }

  private List<Map<String, Object>> all() {
    return TwilioRequests.of(messages, calls, verifications, Set.of());
  }

  private static String diff(List<Map<String, Object>> want, List<Map<String, Object>> actual) {
    StringBuilder out = new StringBuilder();
    Diff.exact("twilio requests", want, actual, out);
    return out.toString();
  }

  @Test
  void messagesCallsAndVerificationsBecomeOneListWithKindAndChannel() {
    List<Map<String, Object>> r = all();
    assertThat(r).hasSize(3); // the inbound message is not a request the connector made
    assertThat(r.get(0)).containsEntry("kind", "message").containsEntry("channel", "sms");
    assertThat(r.get(1))
        .containsEntry("kind", "call")
        .containsEntry("channel", "voice")
        .containsEntry("say", "Your appointment is at nine.")
        .containsEntry("status", "completed");
    assertThat(r.get(2))
        .containsEntry("kind", "verification")
        .containsEntry("channel", "sms")
        .containsEntry("status", "pending")
        .doesNotContainKey("code");
  }

  @Test
  void whatASnapshotSawIsLeftOut() {
    assertThat(TwilioRequests.of(messages, calls, verifications, Set.of("SM1", "VE1")))
        .singleElement()
        .satisfies(c -> assertThat(c).containsEntry("sid", "CA1"));
  }

  @Test
  void rightExpectationsOfEveryKindHold() {
    String d =
        diff(
            List.of(
                Map.of("kind", "message", "to", "+14155550100", "body", "Hi", "channel", "sms"),
                Map.of("kind", "call", "to", "+14155550101", "say", "/Your appointment.*nine\\./"),
                Map.of("kind", "verification", "to", "+14155550102", "channel", "sms")),
            all());
    assertThat(d).isEmpty();
  }

  @Test
  void aWrongCallTextFailsWithAFieldDiff() {
    String d =
        diff(
            List.of(
                Map.of("kind", "message", "to", "+14155550100"),
                Map.of("kind", "call", "to", "+14155550101", "say", "Your appointment is at ten."),
                Map.of("kind", "verification", "to", "+14155550102")),
            all());
    assertThat(d)
        .contains("twilio requests: expected 3, got 3")
        .contains("- say: Your appointment is at ten.")
        .contains("+ say: Your appointment is at nine.")
        .containsPattern("\\+ unexpected \\{[^}]*say=Your appointment is at nine\\.");
  }

  @Test
  void aVerificationOnTheWrongChannelFailsWithAFieldDiff() {
    String d =
        diff(
            List.of(
                Map.of("kind", "message"),
                Map.of("kind", "call"),
                Map.of("kind", "verification", "to", "+14155550102", "channel", "whatsapp")),
            all());
    assertThat(d).contains("- channel: whatsapp").contains("+ channel: sms");
  }

  @Test
  void anUnexpectedVerificationIsNamed() {
    String d = diff(List.of(Map.of("kind", "message"), Map.of("kind", "call")), all());
    assertThat(d).contains("expected 2, got 3").contains("+ unexpected").contains("verification");
  }

  @Test
  void consentRowsMatchOrShowTheClosestRow() {
    List<Map<String, Object>> rows =
        List.of(
            Map.of(
                "recipient",
                "+14155550123",
                "sender_scope",
                "*",
                "status",
                "OPTED_OUT",
                "keyword",
                "STOP"));
    StringBuilder ok = new StringBuilder();
    Diff.contains("consent", Map.of("recipient", "+14155550123", "status", "OPTED_OUT"), rows, ok);
    assertThat(ok.toString()).isEmpty();

    StringBuilder bad = new StringBuilder();
    Diff.contains("consent", Map.of("recipient", "+14155550123", "status", "OPTED_IN"), rows, bad);
    assertThat(bad.toString())
        .contains("consent: no record matches (1 records)")
        .contains("- status: OPTED_IN")
        .contains("+ status: OPTED_OUT");
  }
}
