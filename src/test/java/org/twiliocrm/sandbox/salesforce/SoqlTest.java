package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SoqlTest {
  private QueryEngine engine;

  @BeforeEach
  void seed() throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var seed = json.readTree(SoqlTest.class.getResourceAsStream(SalesforceSandbox.SEED_RESOURCE));
    OrgSchema schema = OrgSchema.bundled();
    RecordStore store =
        new RecordStore(
            schema, new SalesforceIds(0), Clock.systemUTC(), "005000000000001AAA", c -> {});
    seed.path("records")
        .fields()
        .forEachRemaining(
            e ->
                e.getValue()
                    .forEach(
                        r ->
                            store.seed(
                                e.getKey(),
                                json.convertValue(
                                    r,
                                    new com.fasterxml.jackson.core.type.TypeReference<
                                        Map<String, Object>>() {}))));
    engine = new QueryEngine(store);
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> rows(String soql) {
    return (List<Map<String, Object>>) engine.run(soql, "62.0").get("records");
  }

  private List<Object> column(String soql, String field) {
    return rows(soql).stream().map(r -> r.get(field)).toList();
  }

  @Test
  void parsesPrecedenceOfAndOverOr() {
    Soql.Query q =
        Soql.parse("select Id from Contact where A__c = 'x' or B__c = 'y' and not C__c != null");
    assertThat(q.where()).isInstanceOf(Soql.Or.class);
    Soql.Or or = (Soql.Or) q.where();
    assertThat(or.terms().get(1)).isInstanceOf(Soql.And.class);
    assertThat(((Soql.And) or.terms().get(1)).terms().get(1)).isInstanceOf(Soql.Not.class);
  }

  @Test
  void filtersWithEqualityCaseInsensitivelyLikeSalesforce() {
    assertThat(column("SELECT FirstName FROM Contact WHERE LastName = 'LOVELACE'", "FirstName"))
        .containsExactly("Ada");
    assertThat(column("SELECT FirstName FROM Contact WHERE LastName = 'Babbage'", "FirstName"))
        .isEmpty();
  }

  @Test
  void parenthesesChangeTheResult() {
    String base = "SELECT FirstName FROM Contact WHERE ";
    assertThat(
            column(
                base + "(FirstName = 'Ada' OR FirstName = 'Alan') AND SMS_Opt_Out__c = true",
                "FirstName"))
        .containsExactly("Alan");
    assertThat(
            column(
                base + "FirstName = 'Ada' OR (FirstName = 'Alan' AND SMS_Opt_Out__c = true)",
                "FirstName"))
        .containsExactlyInAnyOrder("Ada", "Alan");
  }

  @Test
  void inNotInLikeNullAndInequality() {
    assertThat(
            column("SELECT LastName FROM Lead WHERE LastName IN ('Torvalds','Liskov')", "LastName"))
        .containsExactlyInAnyOrder("Torvalds", "Liskov");
    assertThat(
            column(
                "SELECT LastName FROM Lead WHERE LastName NOT IN ('Torvalds','Liskov')",
                "LastName"))
        .containsExactly("Hamilton");
    assertThat(
            column(
                "SELECT LastName FROM Contact WHERE Email LIKE '%@EXAMPLE.com' AND LastName LIKE 'T_ring'",
                "LastName"))
        .containsExactly("Turing");
    assertThat(column("SELECT LastName FROM Contact WHERE MobilePhone = null", "LastName"))
        .containsExactly("Dijkstra");
    assertThat(column("SELECT LastName FROM Contact WHERE MobilePhone != null", "LastName"))
        .hasSize(4);
  }

  @Test
  void ordersLimitsAndOffsets() {
    assertThat(column("SELECT FirstName FROM Contact ORDER BY FirstName ASC LIMIT 2", "FirstName"))
        .containsExactly("Ada", "Alan");
    assertThat(
            column(
                "SELECT FirstName FROM Contact ORDER BY FirstName DESC LIMIT 2 OFFSET 1",
                "FirstName"))
        .containsExactly("Grace", "Edsger");
    assertThat(column("SELECT Phone FROM Contact ORDER BY Phone NULLS LAST", "Phone").get(4))
        .isNull();
  }

  @Test
  void countOnlyReturnsTotalSize() {
    Map<String, Object> r =
        engine.run("SELECT COUNT() FROM Lead WHERE SMS_Opt_Out__c = false", "62.0");
    assertThat(r.get("totalSize")).isEqualTo(2);
    assertThat((List<?>) r.get("records")).isEmpty();
  }

  @Test
  void recordsCarryAttributes() {
    Map<String, Object> first = rows("SELECT Id FROM Case").get(0);
    @SuppressWarnings("unchecked")
    Map<String, Object> attributes = (Map<String, Object>) first.get("attributes");
    assertThat(attributes.get("type")).isEqualTo("Case");
    assertThat((String) attributes.get("url"))
        .isEqualTo("/services/data/v62.0/sobjects/Case/" + first.get("Id"));
  }

  @Test
  void malformedQueriesAreRejected() {
    assertThatThrownBy(() -> engine.run("SELECT FROM Contact", "62.0"))
        .isInstanceOfSatisfying(
            SalesforceError.class, e -> assertThat(e.errorCode()).isEqualTo("MALFORMED_QUERY"));
    assertThatThrownBy(() -> engine.run("SELECT Id FROM Contact WHERE (LastName = 'x'", "62.0"))
        .isInstanceOfSatisfying(
            SalesforceError.class, e -> assertThat(e.errorCode()).isEqualTo("MALFORMED_QUERY"));
    assertThatThrownBy(() -> engine.run("SELECT Id FROM Contact WHERE LastName = 'x", "62.0"))
        .isInstanceOfSatisfying(
            SalesforceError.class, e -> assertThat(e.errorCode()).isEqualTo("MALFORMED_QUERY"));
    assertThatThrownBy(
            () -> engine.run("SELECT Id FROM Contact WHERE SMS_Opt_Out__c = 'true'", "62.0"))
        .isInstanceOfSatisfying(
            SalesforceError.class, e -> assertThat(e.getMessage()).contains("boolean"));
    assertThatThrownBy(() -> engine.run("SELECT Id FROM Nothing__c", "62.0"))
        .isInstanceOfSatisfying(
            SalesforceError.class, e -> assertThat(e.errorCode()).isEqualTo("INVALID_TYPE"));
    assertThatThrownBy(() -> engine.run("SELECT Id FROM Contact WHERE Nope = 1", "62.0"))
        .isInstanceOfSatisfying(
            SalesforceError.class, e -> assertThat(e.errorCode()).isEqualTo("INVALID_FIELD"));
  }

  @Test
  void stringEscapesAreHonoured() {
    assertThat(Soql.tokenize("'O\\'Brien'").get(0).text()).isEqualTo("O'Brien");
  }

  @Test
  void largeResultsArePagedThroughNextRecordsUrl() throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var seed = json.readTree(SoqlTest.class.getResourceAsStream(SalesforceSandbox.SEED_RESOURCE));
    RecordStore store =
        new RecordStore(
            OrgSchema.bundled(),
            new SalesforceIds(0),
            Clock.systemUTC(),
            "005000000000001AAA",
            c -> {});
    for (int i = 0; i < QueryEngine.BATCH_SIZE + 5; i++) {
      store.seed("Task", Map.of("Subject", "t" + i));
    }
    QueryEngine paged = new QueryEngine(store);
    Map<String, Object> first = paged.run("SELECT Id FROM Task", "62.0");
    assertThat(first.get("done")).isEqualTo(false);
    assertThat((List<?>) first.get("records")).hasSize(QueryEngine.BATCH_SIZE);
    String next = (String) first.get("nextRecordsUrl");
    assertThat(next).startsWith("/services/data/v62.0/query/01g");
    String locator = next.substring(next.lastIndexOf('/') + 1, next.lastIndexOf('-'));
    Map<String, Object> rest = paged.more(locator, "62.0");
    assertThat(rest.get("done")).isEqualTo(true);
    assertThat((List<?>) rest.get("records")).hasSize(5);
    assertThatThrownBy(() -> paged.more(locator, "62.0")).isInstanceOf(SalesforceError.class);
  }
}
