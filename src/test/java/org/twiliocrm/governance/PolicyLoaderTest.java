package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.twiliocrm.outbound.PolicyGate;

/** The policy file's format and its checks, each problem with file:line. */
class PolicyLoaderTest {
  private final PolicyLoader loader =
      new PolicyLoader(Set.of("appointment-reminder")::contains, Duration.ofHours(24));

  private Policy parse(String yaml) {
    return loader.parse("governance/policies.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  private List<String> problems(String yaml) {
    try {
      parse(yaml);
    } catch (PolicyException e) {
      return e.problems();
    }
    throw new AssertionError("expected problems in:\n" + yaml);
  }

  @Test
  void everyConditionIsRead() {
    Policy p =
        parse(
            """
            approval-expiry: 2h
            rules:
              - name: bulk
                when:
                  bulk: { by: template, more-than: 50, window: 30m }
              - name: crm-free-text
                when: { free-text-from: [crm] }
              - name: new-version
                when: { first-send-of-template-version: true, template: [appointment-reminder] }
              - name: abroad
                when: { destination-outside: [us, CA] }
              - name: links
                when: { urls-outside: [Example.com] }
              - name: calls
                when: { channel: [voice] }
            """);
    assertThat(p.approvalExpiry()).isEqualTo(Duration.ofHours(2));
    assertThat(p.hash()).hasSize(64);
    assertThat(p.rules())
        .extracting(Policy.Rule::name)
        .containsExactly("bulk", "crm-free-text", "new-version", "abroad", "links", "calls");
    assertThat(p.rules().get(0).bulk())
        .isEqualTo(new Policy.Bulk(Policy.Bulk.By.TEMPLATE, 50, Duration.ofMinutes(30)));
    assertThat(p.rules().get(0).line()).isEqualTo(3);
    assertThat(p.rules().get(3).allowedCountries()).containsExactlyInAnyOrder("US", "CA");
    assertThat(p.rules().get(4).allowedDomains()).containsExactly("example.com");
    assertThat(p.rules().get(5).channels()).containsExactly("voice");
  }

  @Test
  void unknownTemplateChannelAndCountryAreErrorsWithTheirLines() {
    assertThat(
            problems(
                """
                rules:
                  - name: a
                    when: { template: [promo] }
                  - name: b
                    when:
                      channel: [fax]
                  - name: c
                    when:
                      destination-outside: [XX]
                """))
        .containsExactly(
            "governance/policies.yaml:3: rule 'a': unknown template 'promo'",
            "governance/policies.yaml:6: rule 'b': unknown channel 'fax'",
            "governance/policies.yaml:9: rule 'c': unknown country 'XX'");
  }

  @Test
  void malformedYamlAndUnknownKeysNameTheLine() {
    assertThat(problems("rules:\n  - name: a\n    when: { bulk: [\n"))
        .singleElement()
        .asString()
        .startsWith("governance/policies.yaml:")
        .contains("YAML syntax");
    assertThat(problems("rules:\n  - name: a\n    when:\n      sometimes: true\n"))
        .singleElement()
        .asString()
        .startsWith("governance/policies.yaml:4: rule 'a': unknown condition 'sometimes'");
    assertThat(problems("rule:\n  - name: a\n"))
        .containsExactly(
            "governance/policies.yaml:1: unknown key 'rule' (expected approval-expiry, rules)");
    assertThat(problems("rules:\n  - name: a\n    when: { bulk: { more-than: x, window: 1h } }\n"))
        .anyMatch(s -> s.startsWith("governance/policies.yaml:3: rule 'a': bulk.more-than"));
    assertThat(
            problems(
                "rules:\n  - name: a\n    when: { channel: [sms] }\n  - name: a\n    when: { channel: [mms] }\n"))
        .containsExactly("governance/policies.yaml:4: rule name 'a' used twice");
    assertThat(problems("approval-expiry: soon\n"))
        .containsExactly(
            "governance/policies.yaml:1: 'soon' is not a duration (e.g. 30m, 24h, PT1H)");
  }

  @Test
  void theShippedPolicyLoads() {
    Policy p = new PolicyLoader(n -> true, Duration.ofHours(24)).load("governance/policies.yaml");
    assertThat(p.rules()).isNotEmpty();
  }

  @Test
  void urlAndRegionChecks() {
    assertThat(PolicyGate.hasForeignUrl("see https://www.example.com/x", Set.of("example.com")))
        .isFalse();
    assertThat(PolicyGate.hasForeignUrl("see https://evil.com/x", Set.of("example.com"))).isTrue();
    assertThat(PolicyGate.hasForeignUrl("see www.notexample.com", Set.of("example.com"))).isTrue();
    assertThat(PolicyGate.hasForeignUrl("no links here.", Set.of("example.com"))).isFalse();
    assertThat(PolicyGate.region("+14155550100")).isEqualTo("US");
    assertThat(PolicyGate.region("whatsapp:+442071838750")).isEqualTo("GB");
  }
}
