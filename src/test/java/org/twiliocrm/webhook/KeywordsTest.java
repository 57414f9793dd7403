package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KeywordsTest {
  private final Keywords defaults = Keywords.of(WebhookSettings.from(k -> null));

  @Test
  void twilioDefaultListsWholeBodyCaseInsensitive() {
    assertThat(defaults.classify("stop")).isEqualTo(Keywords.Kind.OPT_OUT);
    assertThat(defaults.classify("  UNSUBSCRIBE ")).isEqualTo(Keywords.Kind.OPT_OUT);
    assertThat(defaults.classify("Stop.")).isEqualTo(Keywords.Kind.OPT_OUT);
    assertThat(defaults.classify("start")).isEqualTo(Keywords.Kind.OPT_IN);
    assertThat(defaults.classify("Info")).isEqualTo(Keywords.Kind.HELP);
  }

  @Test
  void aSentenceContainingAKeywordIsAReply() {
    assertThat(defaults.classify("please stop calling me at work")).isEqualTo(Keywords.Kind.NONE);
    assertThat(defaults.classify("")).isEqualTo(Keywords.Kind.NONE);
    assertThat(defaults.classify(null)).isEqualTo(Keywords.Kind.NONE);
  }

  @Test
  void listsAreConfigurable() {
    Map<String, String> m = Map.of("webhook.keywords.opt-out", "ARRET,STOP");
    Keywords k = Keywords.of(WebhookSettings.from(m::get));
    assertThat(k.classify("arret")).isEqualTo(Keywords.Kind.OPT_OUT);
    assertThat(k.classify("quit")).isEqualTo(Keywords.Kind.NONE);
  }
}
