package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** Channel fallback end to end on H2. */
class ChannelFallbackH2IT extends ChannelFallbackContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }
}
