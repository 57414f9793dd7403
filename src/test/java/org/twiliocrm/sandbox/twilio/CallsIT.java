package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.exception.ApiException;
import com.twilio.rest.api.v2010.account.Call;
import com.twilio.security.RequestValidator;
import com.twilio.type.PhoneNumber;
import com.twilio.type.Twiml;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Calls through twilio-java: TwiML from Url (signed) or inline, Gather answered by the handset. */
class CallsIT {
  static final String PHONE = "+14155550600";
  @RegisterExtension static final SandboxWithHooks sandbox = new SandboxWithHooks();

  private static Call.Status status(String sid) {
    return Call.fetcher(sid).fetch(sandbox.fx.client).getStatus();
  }

  @Test
  void twimlFromUrlIsFetchedSignedAndTheHandsetAnswersTheGather() {
    sandbox.hooks.reply.set(
        "<Response><Gather action=\"/gathered\" numDigits=\"1\" timeout=\"30\"><Say>Press 1 to confirm</Say></Gather></Response>");
    Call call =
        Call.creator(
                new PhoneNumber(PHONE),
                new PhoneNumber(TwilioSandboxFixture.NUMBER),
                URI.create(sandbox.hooks.url("/voice")))
            .setStatusCallback(URI.create(sandbox.hooks.url("/call-status")))
            .setStatusCallbackEvent(List.of("initiated", "ringing", "answered", "completed"))
            .create(sandbox.fx.client);
    assertThat(call.getSid()).matches("CA[0-9a-f]{32}");
    assertThat(call.getStatus()).isEqualTo(Call.Status.QUEUED);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Boolean.TRUE.equals(
                    sandbox
                        .fx
                        .controlList("/sandbox/handsets/" + PHONE + "/calls")
                        .get(0)
                        .get("awaitingDigits")));
    Recorder.Hit fetch = sandbox.hooks.at("/voice").get(0);
    Map<String, String> single = new HashMap<>();
    fetch.params().forEach((k, v) -> single.put(k, v.get(0)));
    assertThat(
            new RequestValidator(TwilioSandboxFixture.TOKEN)
                .validate(sandbox.hooks.url("/voice"), single, fetch.signature()))
        .isTrue();
    assertThat(fetch.param("CallSid")).isEqualTo(call.getSid());
    assertThat(fetch.param("CallStatus")).isEqualTo("in-progress");

    sandbox.hooks.reply.set("<Response><Say>Confirmed, goodbye</Say><Hangup/></Response>");
    sandbox.fx.control(
        "POST",
        "/sandbox/handsets/" + PHONE + "/calls/" + call.getSid() + "/digits",
        Map.of("digits", "1"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> status(call.getSid()) == Call.Status.COMPLETED);
    assertThat(sandbox.hooks.at("/gathered").get(0).param("Digits")).isEqualTo("1");

    Map<String, Object> seen =
        sandbox.fx.controlList("/sandbox/handsets/" + PHONE + "/calls").get(0);
    assertThat(seen.get("said")).isEqualTo(List.of("Press 1 to confirm", "Confirmed, goodbye"));
    assertThat(((Map<?, ?>) ((List<?>) seen.get("gathers")).get(0)).get("digits")).isEqualTo("1");

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> sandbox.hooks.at("/call-status").size() == 4);
    assertThat(sandbox.hooks.at("/call-status"))
        .extracting(h -> h.param("CallStatus"))
        .containsExactly("initiated", "ringing", "in-progress", "completed");
    assertThat(sandbox.hooks.at("/call-status"))
        .extracting(h -> h.param("SequenceNumber"))
        .containsExactly("0", "1", "2", "3");
    assertThat(sandbox.hooks.at("/call-status").get(3).param("CallDuration")).isNotNull();
  }

  @Test
  void inlineTwimlWithMachineDetection() {
    Call human =
        Call.creator(
                new PhoneNumber(PHONE),
                new PhoneNumber(TwilioSandboxFixture.NUMBER),
                new Twiml("<Response><Say>Hello</Say></Response>"))
            .setMachineDetection("Enable")
            .create(sandbox.fx.client);
    Call machine =
        Call.creator(
                new PhoneNumber("+15005554004"),
                new PhoneNumber(TwilioSandboxFixture.NUMBER),
                new Twiml("<Response><Say>Hello</Say></Response>"))
            .setMachineDetection("Enable")
            .create(sandbox.fx.client);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                status(human.getSid()) == Call.Status.COMPLETED
                    && status(machine.getSid()) == Call.Status.COMPLETED);
    assertThat(Call.fetcher(human.getSid()).fetch(sandbox.fx.client).getAnsweredBy())
        .isEqualTo("human");
    assertThat(Call.fetcher(machine.getSid()).fetch(sandbox.fx.client).getAnsweredBy())
        .isEqualTo("machine_start");
    assertThat(sandbox.fx.controlList("/sandbox/handsets/" + PHONE + "/calls").get(0).get("said"))
        .isEqualTo(List.of("Hello"));
  }

  @Test
  void busyNoAnswerAndFailedReportOnlyTheEnd() {
    Map<String, Call.Status> expected =
        Map.of(
            "+15005554001",
            Call.Status.BUSY,
            "+15005554002",
            Call.Status.NO_ANSWER,
            "+15005554003",
            Call.Status.FAILED);
    Map<String, String> sids = new HashMap<>();
    expected.forEach(
        (to, st) ->
            sids.put(
                to,
                Call.creator(
                        new PhoneNumber(to),
                        new PhoneNumber(TwilioSandboxFixture.NUMBER),
                        new Twiml("<Response><Say>x</Say></Response>"))
                    .setStatusCallback(URI.create(sandbox.hooks.url("/end")))
                    .create(sandbox.fx.client)
                    .getSid()));
    expected.forEach(
        (to, st) -> await().atMost(Duration.ofSeconds(30)).until(() -> status(sids.get(to)) == st));
    await().atMost(Duration.ofSeconds(30)).until(() -> sandbox.hooks.at("/end").size() == 3);
    assertThat(sandbox.hooks.at("/end"))
        .extracting(h -> h.param("CallStatus"))
        .containsExactlyInAnyOrder("busy", "no-answer", "failed");
    assertThat(sandbox.fx.control("GET", "/sandbox/calls", null)).asList().hasSize(3);
  }

  @Test
  void gatherWithoutInputMovesOnAndHangupByApi() {
    Call c =
        Call.creator(
                new PhoneNumber(PHONE),
                new PhoneNumber(TwilioSandboxFixture.NUMBER),
                new Twiml(
                    "<Response><Gather timeout=\"1\"><Say>Anything?</Say></Gather><Say>No input, bye</Say></Response>"))
            .create(sandbox.fx.client);
    await().atMost(Duration.ofSeconds(30)).until(() -> status(c.getSid()) == Call.Status.COMPLETED);
    assertThat(sandbox.fx.controlList("/sandbox/handsets/" + PHONE + "/calls").get(0).get("said"))
        .isEqualTo(List.of("Anything?", "No input, bye"));

    Call longCall =
        Call.creator(
                new PhoneNumber(PHONE),
                new PhoneNumber(TwilioSandboxFixture.NUMBER),
                new Twiml("<Response><Gather timeout=\"60\"><Say>Wait</Say></Gather></Response>"))
            .create(sandbox.fx.client);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> status(longCall.getSid()) == Call.Status.IN_PROGRESS);
    Call hungUp =
        Call.updater(longCall.getSid())
            .setStatus(Call.UpdateStatus.COMPLETED)
            .update(sandbox.fx.client);
    assertThat(hungUp.getStatus()).isEqualTo(Call.Status.COMPLETED);
  }

  @Test
  void badCallRequestsAreRejected() {
    ApiException e = null;
    try {
      Call.creator(
              new PhoneNumber("12"),
              new PhoneNumber(TwilioSandboxFixture.NUMBER),
              new Twiml("<Response/>"))
          .create(sandbox.fx.client);
    } catch (ApiException ex) {
      e = ex;
    }
    assertThat(e).isNotNull();
    assertThat(e.getCode()).isEqualTo(21211);
    try {
      Call.fetcher("CA" + "0".repeat(32)).fetch(sandbox.fx.client);
      throw new AssertionError("expected 404");
    } catch (ApiException ex) {
      assertThat(ex.getCode()).isEqualTo(20404);
    }
  }
}
