package org.twiliocrm.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {
  @Test
  void phoneKeepsOnlyLastFourDigitsAndChannel() {
    assertThat(Redaction.phone("+14155550123")).isEqualTo("+*******0123");
    assertThat(Redaction.phone("whatsapp:+14155550123")).isEqualTo("whatsapp:+*******0123");
    assertThat(Redaction.phone("12")).isEqualTo("12");
  }

  @Test
  void secretShowsNothingOfTheValue() {
    assertThat(Redaction.secret("abcdef")).doesNotContain("abc").contains("6 chars");
    assertThat(Redaction.secret(null)).isEqualTo("(unset)");
  }

  @Test
  void jdbcUrlLosesPasswordsAndUserInfo() {
    assertThat(Redaction.jdbcUrl("jdbc:postgresql://db:5432/x?user=a&password=s3cret"))
        .doesNotContain("s3cret");
    assertThat(Redaction.jdbcUrl("jdbc:mariadb://bob:pw@db/x"))
        .doesNotContain("bob")
        .doesNotContain("pw@");
  }

  @Test
  void phoneNumbersInsideFreeTextAreMaskedButTheirLastFourDigits() {
    assertThat(
            Redaction.phonesIn(
                "Value too long for column \"FROM_NUMBER\": \"'+14155550123' (82)\"; SQL id 12345"))
        .isEqualTo(
            "Value too long for column \"FROM_NUMBER\": \"'+*******0123' (82)\"; SQL id 12345");
    assertThat(Redaction.phonesIn("+1555555555555555555555")).isEqualTo("+******************5555");
    assertThat(Redaction.phonesIn("event 42 failed")).isEqualTo("event 42 failed");
    assertThat(Redaction.phonesIn(null)).isEqualTo("null");
  }
}
