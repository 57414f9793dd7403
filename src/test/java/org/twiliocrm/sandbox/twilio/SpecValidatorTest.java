package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI checks and the two workarounds, with no server. */
class SpecValidatorTest {
  static SpecValidator validator;
  static final String PATH =
      "/2010-04-01/Accounts/" + TwilioSandboxSettings.DEFAULT_ACCOUNT_SID + "/Messages.json";

  @BeforeAll
  static void load() {
    validator = new SpecValidator("");
  }

  private static List<String> request(Map<String, List<String>> form) {
    return validator.validateRequest(
        SpecValidator.Spec.API,
        "POST",
        PATH,
        "application/x-www-form-urlencoded",
        form,
        Map.of(),
        "Basic eDp5");
  }

  @Test
  void phoneNumbersAndRawEqualsSignsPass() {
    assertThat(
            request(
                Map.of(
                    "To",
                    List.of("+15558675310"),
                    "From",
                    List.of("+15005550006"),
                    "Body",
                    List.of("a=b&c"))))
        .isEmpty();
  }

  @Test
  void unknownParametersAndMissingAuthFail() {
    assertThat(request(Map.of("To", List.of("+15558675310"), "Bogus", List.of("1")))).isNotEmpty();
    assertThat(
            validator.validateRequest(
                SpecValidator.Spec.API,
                "POST",
                PATH,
                "application/x-www-form-urlencoded",
                Map.of("To", List.of("+1555")),
                Map.of(),
                null))
        .isNotEmpty();
  }

  @Test
  void aBrokenMessageResponseIsCaught() {
    SandboxMessage m =
        new SandboxMessage(
            "SM" + "a".repeat(32),
            TwilioSandboxSettings.DEFAULT_ACCOUNT_SID,
            "+15005550006",
            "+15558675310",
            "hi",
            List.of(),
            null,
            null,
            "outbound-api",
            null,
            null,
            "queued");
    assertThat(
            validator.validateResponse(
                SpecValidator.Spec.API, "POST", PATH, 201, Wire.json(m.toJson())))
        .isEmpty();
    Map<String, Object> broken = m.toJson();
    broken.put("sid", "XX123");
    broken.put("status", "teleported");
    assertThat(
            validator.validateResponse(
                SpecValidator.Spec.API, "POST", PATH, 201, Wire.json(broken)))
        .hasSizeGreaterThanOrEqualTo(2);
  }
}
