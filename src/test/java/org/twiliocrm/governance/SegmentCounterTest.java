package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.twiliocrm.governance.SegmentCounter.Encoding;

class SegmentCounterTest {
  @Test
  void gsm7PacksOneHundredSixtyIntoOneSegmentAndOneFiftyThreeOnceSplit() {
    assertThat(SegmentCounter.count("a".repeat(160)))
        .isEqualTo(new SegmentCounter.Count(Encoding.GSM7, 160, 1));
    assertThat(SegmentCounter.count("a".repeat(161)).segments()).isEqualTo(2);
    assertThat(SegmentCounter.count("a".repeat(306)).segments()).isEqualTo(2);
    assertThat(SegmentCounter.count("a".repeat(307)).segments()).isEqualTo(3);
  }

  @Test
  void extensionCharactersTakeTwoSeptets() {
    assertThat(SegmentCounter.count("€".repeat(80)))
        .isEqualTo(new SegmentCounter.Count(Encoding.GSM7, 160, 1));
    assertThat(SegmentCounter.count("€".repeat(81)).segments()).isEqualTo(2);
  }

  @Test
  void accentedLettersInTheGsmAlphabetStayGsm7() {
    assertThat(SegmentCounter.count("café è ñ Ü").encoding()).isEqualTo(Encoding.GSM7);
  }

  @Test
  void anyOtherCharacterForcesUcs2WithSeventyAndSixtySeven() {
    assertThat(SegmentCounter.count("Привет").encoding()).isEqualTo(Encoding.UCS2);
    assertThat(SegmentCounter.count("ж".repeat(70)).segments()).isEqualTo(1);
    assertThat(SegmentCounter.count("ж".repeat(71)).segments()).isEqualTo(2);
    assertThat(SegmentCounter.count("ж".repeat(134)).segments()).isEqualTo(2);
    assertThat(SegmentCounter.count("ж".repeat(135)).segments()).isEqualTo(3);
    // An emoji is two UTF-16 units.
    assertThat(SegmentCounter.count("a".repeat(68) + "😀").units()).isEqualTo(70);
  }

  @Test
  void anEmptyBodyHasNoSegments() {
    assertThat(SegmentCounter.count("").segments()).isZero();
    assertThat(SegmentCounter.count(null).segments()).isZero();
  }
}
