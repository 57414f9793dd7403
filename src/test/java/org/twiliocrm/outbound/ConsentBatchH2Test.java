package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.ConsentChecker;
import org.twiliocrm.governance.ConsentChecker.Subject;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The outbox checks consent for a whole claimed batch with one query per chunk of recipients; each
 * send gets the decision (and reason) its own consent rows call for.
 */
class ConsentBatchH2Test {
  static Database db;
  static ConsentChecker consent;

  @BeforeAll
  static void open() throws Exception {
    db = TestDatabase.h2("consent_batch").open(20);
    consent = new ConsentChecker(db.dataSource());
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO consent (recipient, sender_scope, status, keyword, source,"
                    + " updated_at) VALUES (?, ?, ?, ?, 'test', CURRENT_TIMESTAMP)")) {
      String[][] rows = {
        {"+14155550001", "*", "OPTED_OUT", "STOP"},
        {"+14155550002", "+15005550006", "OPTED_OUT", "UNSUBSCRIBE"},
        {"+14155550003", "MG00000000000000000000000000000001", "OPTED_OUT", null},
        {"+14155550004", "*", "OPTED_IN", "START"},
      };
      for (String[] r : rows) {
        for (int i = 0; i < 4; i++) {
          ps.setString(i + 1, r[i]);
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @Test
  void eachSendIsDecidedByItsOwnConsentRows() {
    String mg = "MG00000000000000000000000000000001";
    List<Subject> subjects =
        List.of(
            new Subject("+14155550001", "+15005550006", null), // opted out everywhere
            new Subject("whatsapp:+14155550001", "whatsapp:+15005550006", null),
            new Subject("+14155550002", "+15005550006", null), // opted out from this sender
            new Subject("+14155550002", "+15005550007", null), // ... not from this one
            new Subject("+14155550003", null, mg), // opted out from the service
            new Subject("+14155550003", "+15005550006", null),
            new Subject("+14155550004", "+15005550006", null), // opted back in
            new Subject("+14155550009", "+15005550006", null)); // never seen
    String stop = "recipient opted out with STOP (source test)";
    List<Optional<String>> expected =
        List.of(
            Optional.of(stop),
            Optional.of(stop),
            Optional.of("recipient opted out with UNSUBSCRIBE (source test)"),
            Optional.empty(),
            Optional.of("recipient opted out (source test)"),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    List<Optional<String>> batch = consent.optOutReasons(subjects);
    assertThat(batch).hasSize(subjects.size());
    for (int i = 0; i < subjects.size(); i++) {
      assertThat(batch.get(i)).as(subjects.get(i).toString()).isEqualTo(expected.get(i));
    }
    assertThat(batch)
        .extracting(Optional::isPresent)
        .containsExactly(true, true, true, false, true, false, false, false);
    assertThat(batch.get(0)).hasValueSatisfying(r -> assertThat(r).contains("STOP"));
  }

  @Test
  void moreRecipientsThanOneQueryTakesAreAllChecked() {
    List<Subject> subjects = new ArrayList<>();
    for (int i = 0; i < 1_200; i++) {
      subjects.add(new Subject("+1415666" + String.format("%04d", i), "+15005550006", null));
    }
    subjects.add(new Subject("+14155550001", "+15005550006", null));
    List<Optional<String>> batch = consent.optOutReasons(subjects);
    assertThat(batch).hasSize(1_201);
    assertThat(batch.subList(0, 1_200)).allMatch(Optional::isEmpty);
    assertThat(batch.get(1_200)).isPresent();
  }
}
