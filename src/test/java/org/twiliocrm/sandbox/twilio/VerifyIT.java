package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;

import com.twilio.exception.ApiException;
import com.twilio.rest.verify.v2.Service;
import com.twilio.rest.verify.v2.service.Verification;
import com.twilio.rest.verify.v2.service.VerificationCheck;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Verify v2 through twilio-java (host verify.twilio.com) against the sandbox. */
class VerifyIT {
  static final String SERVICE = "VA" + "2".repeat(32);
  static final String PHONE = "+14155550500";
  static TwilioSandboxFixture fx;

  @BeforeAll
  static void start() {
    fx =
        new TwilioSandboxFixture(
            Map.of(
                "sandbox.twilio.verify.max-checks",
                "3",
                "sandbox.twilio.verify.max-sends",
                "2",
                "sandbox.twilio.verify.services",
                SERVICE));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @BeforeEach
  void reset() {
    fx.control("POST", "/sandbox/reset", null);
  }

  private static String codeInInbox() {
    List<Map<String, Object>> inbox = fx.controlList("/sandbox/handsets/" + PHONE + "/inbox");
    return (String) inbox.get(inbox.size() - 1).get("code");
  }

  private static int error(Runnable r) {
    try {
      r.run();
    } catch (ApiException e) {
      return e.getCode();
    }
    throw new AssertionError("no ApiException");
  }

  private static VerificationCheck check(String code) {
    return VerificationCheck.creator(SERVICE).setTo(PHONE).setCode(code).create(fx.client);
  }

  @Test
  void codeGoesToTheHandsetAndApprovesOnceThen404() {
    Verification v = Verification.creator(SERVICE, PHONE, "sms").create(fx.client);
    assertThat(v.getSid()).startsWith("VE");
    assertThat(v.getStatus()).isEqualTo("pending");
    String code = codeInInbox();
    assertThat(code).matches("\\d{6}");
    assertThat(Verification.fetcher(SERVICE, v.getSid()).fetch(fx.client).getStatus())
        .isEqualTo("pending");

    String wrong = code.equals("000000") ? "111111" : "000000";
    VerificationCheck bad = check(wrong);
    assertThat(bad.getStatus()).isEqualTo("pending");
    assertThat(bad.getValid()).isFalse();

    VerificationCheck good = check(code);
    assertThat(good.getStatus()).isEqualTo("approved");
    assertThat(good.getValid()).isTrue();
    assertThat(error(() -> check(code))).isEqualTo(20404);
    assertThat(error(() -> Verification.fetcher(SERVICE, v.getSid()).fetch(fx.client)))
        .isEqualTo(20404);
  }

  @Test
  void tooManyWrongChecksGive60202() {
    Verification.creator(SERVICE, PHONE, "sms").create(fx.client);
    String code = codeInInbox();
    String wrong = code.equals("000000") ? "111111" : "000000";
    for (int i = 0; i < 3; i++) {
      assertThat(check(wrong).getValid()).isFalse();
    }
    assertThat(error(() -> check(wrong))).isEqualTo(60202);
    assertThat(error(() -> check(code))).isEqualTo(60202);
  }

  @Test
  void tooManySendsGive60203AndTheSameCodeIsResent() {
    Verification first = Verification.creator(SERVICE, PHONE, "sms").create(fx.client);
    String code = codeInInbox();
    Verification second = Verification.creator(SERVICE, PHONE, "whatsapp").create(fx.client);
    assertThat(second.getSid()).isEqualTo(first.getSid());
    assertThat(codeInInbox()).isEqualTo(code);
    assertThat(second.getSendCodeAttempts()).hasSize(2);
    assertThat(error(() -> Verification.creator(SERVICE, PHONE, "sms").create(fx.client)))
        .isEqualTo(60203);
  }

  @Test
  void canceledVerificationIsGoneAndUnknownServiceIs404() {
    Verification v = Verification.creator(SERVICE, PHONE, "sms").create(fx.client);
    Verification canceled =
        Verification.updater(SERVICE, v.getSid(), Verification.Status.CANCELED).update(fx.client);
    assertThat(canceled.getStatus()).isEqualTo("canceled");
    assertThat(error(() -> check(codeInInbox()))).isEqualTo(20404);
    assertThat(error(() -> Verification.creator("VAnotaservice", PHONE, "sms").create(fx.client)))
        .isEqualTo(20404);
    // Well-formed but never created: Twilio answers 404 / 20404 too.
    assertThat(
            error(
                () -> Verification.creator("VA" + "9".repeat(32), PHONE, "sms").create(fx.client)))
        .isEqualTo(20404);
    assertThat(fx.controlList("/sandbox/verifications")).hasSize(1);
  }

  @Test
  void codesHaveTheServicesCodeLength() {
    Service four = Service.creator("Four digits").setCodeLength(4).create(fx.client);
    assertThat(four.getCodeLength()).isEqualTo(4);
    Verification.creator(four.getSid(), PHONE, "sms").create(fx.client);
    assertThat(codeInInbox()).matches("\\d{4}");

    Service ten = Service.updater(four.getSid()).setCodeLength(10).update(fx.client);
    assertThat(ten.getCodeLength()).isEqualTo(10);
    String other = "+14155550501";
    Verification.creator(four.getSid(), other, "sms").create(fx.client);
    List<Map<String, Object>> inbox = fx.controlList("/sandbox/handsets/" + other + "/inbox");
    assertThat((String) inbox.get(inbox.size() - 1).get("code")).matches("\\d{10}");

    // Out of Twilio's 4-10 range: refused, and the service keeps its length.
    assertThat(error(() -> Service.updater(four.getSid()).setCodeLength(11).update(fx.client)))
        .isEqualTo(60200);
    assertThat(error(() -> Service.creator("Three").setCodeLength(3).create(fx.client)))
        .isEqualTo(60200);
    // A configured service uses the configured length (6 by default).
    Verification.creator(SERVICE, "+14155550502", "sms").create(fx.client);
    List<Map<String, Object>> six = fx.controlList("/sandbox/handsets/+14155550502/inbox");
    assertThat((String) six.get(six.size() - 1).get("code")).matches("\\d{6}");
  }
}
