package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.twiliocrm.db.Transactions;

/**
 * Consent given or withdrawn through the operator API ({@code POST /api/consent}): recorded as an
 * event with source {@code api} and the caller as evidence. An opt-in for a purpose under {@code
 * double-opt-in} is not recorded as an opt-in: it becomes PENDING_CONFIRMATION and the prompt
 * ("reply YES to confirm") is queued as an outbox row in the same transaction; the recipient's
 * opt-in keyword within the window confirms it (InboundMessageHandler).
 */
public final class ConsentRequests {
  private final DataSource dataSource;
  private final RecipientPolicies policies;
  private final PhoneRules phones;
  private final Clock clock;

  public ConsentRequests(
      DataSource dataSource, RecipientPolicies policies, PhoneRules phones, Clock clock) {
    this.dataSource = dataSource;
    this.policies = policies;
    this.phones = phones;
    this.clock = clock;
  }

  /** What became of a request: the status recorded, whether it is in force, the prompt row. */
  public record Result(String status, boolean applied, Long promptRowId) {}

  /** Bad input: a message for a 400 reply. */
  public static final class Invalid extends RuntimeException {
    public Invalid(String message) {
      super(message, null, false, false);
    }
  }

  public Result submit(String phone, String purpose, String status, String evidence, String actor)
      throws SQLException {
    Optional<String> number = phone == null ? Optional.empty() : phones.toE164(phone);
    if (number.isEmpty()) {
      throw new Invalid("phone must be a valid phone number, e.g. +14155550100");
    }
    RecipientPolicy p = policies.current();
    String pur = purpose == null ? RecipientPolicy.ALL_PURPOSES : purpose.strip();
    if (!pur.equals(RecipientPolicy.ALL_PURPOSES) && p.purpose(pur) == null) {
      throw new Invalid("unknown purpose '" + pur + "' (declared: " + p.purposes().keySet() + ")");
    }
    String st = status == null ? "" : status.strip().toUpperCase(Locale.ROOT);
    if (!st.equals(ConsentLedger.OPTED_IN) && !st.equals(ConsentLedger.OPTED_OUT)) {
      throw new Invalid("status must be OPTED_IN or OPTED_OUT");
    }
    String ev =
        "operator " + actor + (evidence == null || evidence.isBlank() ? "" : ": " + evidence);
    Instant now = clock.instant();
    return Transactions.inTransaction(
        dataSource,
        c -> {
          Result r;
          RecipientPolicy.DoubleOptIn doi = p.doubleOptIn();
          if (st.equals(ConsentLedger.OPTED_IN) && doi != null && doi.purposes().contains(pur)) {
            ConsentLedger.requestConfirmation(
                c, number.get(), pur, ConsentLedger.SOURCE_API, ev, now, now.plus(doi.window()));
            r = new Result(ConsentLedger.PENDING, true, prompt(c, number.get(), pur, doi, now));
          } else {
            boolean applied =
                ConsentLedger.record(
                    c,
                    new ConsentLedger.Event(
                        number.get(), pur, st, ConsentLedger.SOURCE_API, ev, now, null));
            r = new Result(st, applied, null);
          }
          return r;
        });
  }

  /** The audit action of an opt-out an operator records by hand. */
  public static final String AUDIT_OPT_OUT = "CONSENT_OPT_OUT";

  static final int MAX_REASON = 500;

  /**
   * An opt-out an operator records by hand (a customer asked on the phone, a complaint): the reason
   * is required, and the event and its audit entry (governance_audit, {@link #AUDIT_OPT_OUT}) are
   * written in one transaction, so neither exists without the other.
   */
  public Result optOutByHand(String phone, String purpose, String reason, String actor)
      throws SQLException {
    Optional<String> number = phone == null ? Optional.empty() : phones.toE164(phone);
    if (number.isEmpty()) {
      throw new Invalid("phone must be a valid phone number, e.g. +14155550100");
    }
    RecipientPolicy p = policies.current();
    String pur =
        purpose == null || purpose.isBlank() ? RecipientPolicy.ALL_PURPOSES : purpose.strip();
    if (!pur.equals(RecipientPolicy.ALL_PURPOSES) && p.purpose(pur) == null) {
      throw new Invalid("unknown purpose '" + pur + "' (declared: " + p.purposes().keySet() + ")");
    }
    String why = reason == null ? "" : reason.strip();
    if (why.isEmpty()) {
      throw new Invalid("an opt-out recorded by hand needs a reason");
    }
    if (why.length() > MAX_REASON) {
      throw new Invalid("the reason is longer than " + MAX_REASON + " characters");
    }
    Instant now = clock.instant();
    return Transactions.inTransaction(
        dataSource,
        c -> {
          boolean applied =
              ConsentLedger.record(
                  c,
                  new ConsentLedger.Event(
                      number.get(),
                      pur,
                      ConsentLedger.OPTED_OUT,
                      ConsentLedger.SOURCE_API,
                      "operator " + actor + ": " + why,
                      now,
                      null));
          Audit.append(
              c,
              Audit.Entry.of(
                  actor,
                  AUDIT_OPT_OUT,
                  "consent",
                  number.get() + " " + pur,
                  null,
                  ConsentLedger.OPTED_OUT
                      + (applied ? "" : " (not applied: a newer event is in force)"),
                  why));
          return new Result(ConsentLedger.OPTED_OUT, applied, null);
        });
  }

  /** The number in E.164 as the ledger keys it, or empty when it is not a valid phone number. */
  public Optional<String> normalize(String phone) {
    return phone == null ? Optional.empty() : phones.toE164(phone);
  }

  /** The confirmation prompt as an outbox row (purpose transactional: the recipient asked). */
  private static Long prompt(
      Connection c, String number, String purpose, RecipientPolicy.DoubleOptIn doi, Instant now)
      throws SQLException {
    String to = doi.channel().equals("whatsapp") ? "whatsapp:" + number : number;
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, requested_by,"
                + " sender, messaging_service_sid) VALUES (?, ?, ?, ?, 'consent-api', ?, ?)",
            new String[] {"id"})) {
      ps.setString(1, "double-opt-in:" + number + ":" + purpose + ":" + now.toEpochMilli());
      ps.setString(2, doi.channel());
      ps.setString(3, to);
      ps.setString(4, doi.prompt());
      boolean service = doi.sender().startsWith("MG");
      ps.setString(5, service ? null : doi.sender());
      ps.setString(6, service ? doi.sender() : null);
      ps.executeUpdate();
      try (var rs = ps.getGeneratedKeys()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }
}
