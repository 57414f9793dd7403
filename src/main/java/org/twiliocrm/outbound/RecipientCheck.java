package org.twiliocrm.outbound;

import java.sql.SQLException;

/**
 * One recipient check of the send path (consent by purpose, quiet hours, frequency caps, geo
 * permissions, OTP limits), run by {@link RecipientGate} over a claimed batch. A check decides the
 * rows it objects to in the batch and leaves the rest open; it does no writes of its own.
 */
interface RecipientCheck {
  /** Short name, used in metrics and the attempt log. */
  String name();

  void apply(RecipientBatch batch) throws SQLException;
}
