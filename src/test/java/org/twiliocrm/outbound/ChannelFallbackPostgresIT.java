package org.twiliocrm.outbound;

import org.twiliocrm.testsupport.TestDatabase;

/** Channel fallback end to end on Postgres. */
class ChannelFallbackPostgresIT extends ChannelFallbackContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.POSTGRES;
  }
}
