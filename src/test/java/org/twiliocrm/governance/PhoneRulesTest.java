package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PhoneRulesTest {
  final PhoneRules us = new PhoneRules("US");

  @Test
  void normalisesToE164WithTheDefaultRegion() {
    assertThat(us.toE164("(415) 555-0123")).contains("+14155550123");
    assertThat(us.toE164("+44 20 7946 0958")).contains("+442079460958");
    assertThat(new PhoneRules("GB").toE164("020 7946 0958")).contains("+442079460958");
  }

  @Test
  void rejectsWhatIsNotAPhoneNumber() {
    assertThat(us.toE164("12")).isEmpty();
    assertThat(us.toE164("hello")).isEmpty();
    assertThat(us.toE164("")).isEmpty();
    assertThat(us.toE164(null)).isEmpty();
  }

  @Test
  void anUnknownRegionNamesTheKey() {
    assertThatThrownBy(() -> new PhoneRules("XX"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("outbox.default-region:");
  }
}
