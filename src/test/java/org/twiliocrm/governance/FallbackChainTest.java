package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FallbackChainTest {
  @Test
  void theNextStepIsTheChannelAfterTheRowsOwn() {
    FallbackChain c = FallbackChain.parse("whatsapp, sms ,voice");
    assertThat(c.text()).isEqualTo("whatsapp,sms,voice");
    assertThat(c.next(Channel.WHATSAPP)).contains(Channel.SMS);
    assertThat(c.next(Channel.SMS)).contains(Channel.VOICE);
    assertThat(c.next(Channel.VOICE)).isEmpty();
  }

  @Test
  void aRowWhoseChannelIsNotInTheChainStartsItFromTheTop() {
    assertThat(FallbackChain.parse("sms,voice").next(Channel.WHATSAPP)).contains(Channel.SMS);
  }

  @Test
  void badChainsAreRefusedWithTheReason() {
    assertThat(FallbackChain.problem("whatsapp,fax"))
        .contains("unknown channel 'fax' (sms, mms, whatsapp, voice)");
    assertThat(FallbackChain.problem("sms,sms")).contains("channel 'sms' appears twice");
    assertThat(FallbackChain.problem("sms,verify")).get().asString().contains("verify cannot be");
    assertThat(FallbackChain.problem(" ")).contains("the chain is empty");
    assertThat(FallbackChain.problem("whatsapp,sms")).isEmpty();
    assertThatThrownBy(() -> FallbackChain.of(List.of())).hasMessage("the chain is empty");
  }
}
