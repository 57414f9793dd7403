package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.twiliocrm.dsl.KameletConventions;
import org.twiliocrm.governance.Channel;
import org.twiliocrm.testsupport.TestSettings;

class OutboxSettingsTest {
  @Test
  void defaultsApplyWhenNothingIsSet() {
    OutboxSettings s = OutboxSettings.from(k -> null);
    assertThat(s.maxInFlight()).isEqualTo(300);
    assertThat(s.sendConcurrency()).isEqualTo(100);
    assertThat(s.lease()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.reconcilePolicy().get(Channel.VERIFY)).isEqualTo(ReconcilePolicy.NEVER_RESEND);
    assertThat(s.reconcilePolicy().get(Channel.SMS)).isEqualTo(ReconcilePolicy.LOOKUP_THEN_RESEND);
    assertThat(s.verifyServiceSid()).isNull();
  }

  @Test
  void theShippedPropertiesAreValid() {
    OutboxSettings s = OutboxSettings.from(TestSettings.applicationProperties()::get);
    assertThat(s.enabled()).isTrue();
    assertThat(Templates.load(s.templatesLocation(), "en").find("appointment-reminder"))
        .isPresent();
  }

  @Test
  void aBadValueNamesItsKey() {
    assertThatThrownBy(() -> OutboxSettings.from(Map.of("outbox.max-in-flight", "lots")::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outbox.max-in-flight");
    assertThatThrownBy(() -> OutboxSettings.from(Map.of("outbox.verify.service-sid", "VA1")::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outbox.verify.service-sid");
    assertThatThrownBy(() -> OutboxSettings.from(Map.of("outbox.lease", "500ms")::get))
        .hasMessageStartingWith("outbox.lease:");
    assertThatThrownBy(
            () -> OutboxSettings.from(Map.of("outbox.reconcile.policy.sms", "maybe")::get))
        .hasMessageContaining("outbox.reconcile.policy.sms");
  }

  @Test
  void theThreeTwilioKameletsFollowTheConventions() throws Exception {
    for (String name :
        new String[] {
          "twilio-send-message-action",
          "twilio-place-call-action",
          "twilio-start-verification-action"
        }) {
      Path file = Path.of("kamelets", name + ".kamelet.yaml");
      Object doc =
          new org.snakeyaml.engine.v2.api.Load(
                  org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
              .loadFromString(Files.readString(file));
      assertThat(KameletConventions.check(file, doc)).as(name).isEmpty();
    }
  }
}
