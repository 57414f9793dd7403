package org.twiliocrm.sandbox.salesforce;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Runs parsed SOQL against the record store and shapes the answer as the REST query resource does
 * ({@code totalSize}, {@code done}, {@code records} with {@code attributes}), paging after 2,000
 * rows through {@code nextRecordsUrl}.
 */
final class QueryEngine {
  static final int BATCH_SIZE = 2000;

  private final RecordStore store;
  private final Map<String, List<Map<String, Object>>> cursors = new ConcurrentHashMap<>();

  QueryEngine(RecordStore store) {
    this.store = store;
  }

  Map<String, Object> run(String soql, String version) {
    if (soql == null || soql.isBlank()) {
      throw Soql.malformed("A query string is required");
    }
    Soql.Query q = Soql.parse(soql);
    SObjectType t =
        store
            .schema()
            .type(q.from())
            .filter(x -> !x.isPlatformEvent())
            .orElseThrow(
                () ->
                    new SalesforceError(
                        400,
                        "INVALID_TYPE",
                        "sObject type '"
                            + q.from()
                            + "' is not supported. If you are attempting to use a custom object,"
                            + " be sure to append the '__c' after the entity name. Please reference"
                            + " your WSDL or the describe call for the appropriate names."));
    List<FieldDef> selected = new ArrayList<>();
    for (String f : q.fields()) {
      selected.add(field(t, f));
    }
    if (q.where() != null) {
      check(t, q.where());
    }
    List<Comparator<Map<String, Object>>> orders = new ArrayList<>();
    for (Soql.Order o : q.orderBy()) {
      FieldDef f = field(t, o.field());
      orders.add(comparator(f.name(), o.descending(), o.nullsLast()));
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map<String, Object> r : store.all(t.name())) {
      if (q.where() == null || matches(t, q.where(), r)) {
        rows.add(r);
      }
    }
    if (!orders.isEmpty()) {
      rows.sort(orders.stream().reduce(Comparator::thenComparing).orElseThrow());
    }
    int from = q.offset() == null ? 0 : Math.min(q.offset(), rows.size());
    int to = q.limit() == null ? rows.size() : Math.min(rows.size(), from + q.limit());
    rows = rows.subList(from, to);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("totalSize", rows.size());
    if (q.count()) {
      result.put("done", true);
      result.put("records", List.of());
      return result;
    }
    List<Map<String, Object>> shaped = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("attributes", attributes(t.name(), (String) r.get("Id"), version));
      for (FieldDef f : selected) {
        out.put(f.name(), r.get(f.name()));
      }
      shaped.add(out);
    }
    return page(shaped, version, result);
  }

  /** The next page of an earlier query, or NOT_FOUND / INVALID_QUERY_LOCATOR. */
  Map<String, Object> more(String locator, String version) {
    List<Map<String, Object>> rest = cursors.remove(locator);
    if (rest == null) {
      throw new SalesforceError(404, "INVALID_QUERY_LOCATOR", "invalid query locator");
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("totalSize", rest.size());
    return page(rest, version, result);
  }

  void clear() {
    cursors.clear();
  }

  private Map<String, Object> page(
      List<Map<String, Object>> rows, String version, Map<String, Object> result) {
    if (rows.size() <= BATCH_SIZE) {
      result.put("done", true);
      result.put("records", rows);
      return result;
    }
    String locator = "01g" + UUID.randomUUID().toString().replace("-", "").substring(0, 15);
    cursors.put(locator, new ArrayList<>(rows.subList(BATCH_SIZE, rows.size())));
    result.put("done", false);
    result.put(
        "nextRecordsUrl", "/services/data/v" + version + "/query/" + locator + "-" + BATCH_SIZE);
    result.put("records", rows.subList(0, BATCH_SIZE));
    return result;
  }

  static Map<String, Object> attributes(String type, String id, String version) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("type", type);
    a.put("url", "/services/data/v" + version + "/sobjects/" + type + "/" + id);
    return a;
  }

  private static FieldDef field(SObjectType t, String name) {
    return t.field(name)
        .orElseThrow(
            () ->
                new SalesforceError(
                    400,
                    "INVALID_FIELD",
                    "No such column '"
                        + name
                        + "' on entity '"
                        + t.name()
                        + "'. If you are attempting to use a custom field, be sure to append the"
                        + " '__c' after the custom field name. Please reference your WSDL or the"
                        + " describe call for the appropriate names."));
  }

  /** Validates field names and literal types once, before scanning. */
  private static void check(SObjectType t, Soql.Condition c) {
    if (c instanceof Soql.And a) {
      a.terms().forEach(x -> check(t, x));
    } else if (c instanceof Soql.Or o) {
      o.terms().forEach(x -> check(t, x));
    } else if (c instanceof Soql.Not n) {
      check(t, n.term());
    } else if (c instanceof Soql.Comparison cmp) {
      checkLiteral(field(t, cmp.field()), cmp.value());
    } else if (c instanceof Soql.In in) {
      in.values().forEach(v -> checkLiteral(field(t, in.field()), v));
    } else if (c instanceof Soql.Like like) {
      FieldDef f = field(t, like.field());
      if (!f.isText()) {
        throw Soql.malformed("invalid operator on field '" + f.name() + "': LIKE");
      }
    }
  }

  private static void checkLiteral(FieldDef f, Object v) {
    if (v == null) {
      return;
    }
    String expected =
        switch (f.type()) {
          case "boolean" -> v instanceof Boolean ? null : "boolean";
          case "int", "double", "currency", "percent" -> v instanceof Double ? null : "number";
          case "date", "datetime" -> v instanceof Soql.DateLiteral ? null : f.type();
          default -> v instanceof String ? null : "string";
        };
    if (expected != null) {
      throw Soql.malformed(
          "value of filter criterion for field '"
              + f.name()
              + "' must be of type "
              + expected
              + ("string".equals(expected)
                  ? " and should be enclosed in quotes"
                  : " and should not be enclosed in quotes"));
    }
  }

  private static boolean matches(SObjectType t, Soql.Condition c, Map<String, Object> r) {
    if (c instanceof Soql.And a) {
      return a.terms().stream().allMatch(x -> matches(t, x, r));
    }
    if (c instanceof Soql.Or o) {
      return o.terms().stream().anyMatch(x -> matches(t, x, r));
    }
    if (c instanceof Soql.Not n) {
      return !matches(t, n.term(), r);
    }
    if (c instanceof Soql.Comparison cmp) {
      return compare(field(t, cmp.field()), r, cmp.op(), cmp.value());
    }
    if (c instanceof Soql.In in) {
      FieldDef f = field(t, in.field());
      boolean any = in.values().stream().anyMatch(v -> compare(f, r, "=", v));
      return in.negated() != any;
    }
    Soql.Like like = (Soql.Like) c;
    Object v = r.get(field(t, like.field()).name());
    return v != null && likePattern(like.pattern()).matcher(v.toString()).matches();
  }

  private static boolean compare(FieldDef f, Map<String, Object> r, String op, Object literal) {
    Object v = r.get(f.name());
    Object lit = literal;
    if (lit instanceof Soql.DateLiteral d) {
      lit =
          "date".equals(f.type())
              ? d.text()
              : FieldRules.convert(f, d.text(), id -> java.util.Optional.empty());
    }
    if (lit == null || v == null) {
      boolean eq = lit == null && v == null;
      return switch (op) {
        case "=" -> eq;
        case "!=" -> !eq;
        default -> false;
      };
    }
    int cmp;
    if (v instanceof Number n && lit instanceof Number l) {
      cmp = Double.compare(n.doubleValue(), l.doubleValue());
    } else if (v instanceof Boolean b && lit instanceof Boolean l) {
      cmp = Boolean.compare(b, l);
    } else {
      cmp =
          v.toString().toLowerCase(Locale.ROOT).compareTo(lit.toString().toLowerCase(Locale.ROOT));
    }
    return switch (op) {
      case "=" -> cmp == 0;
      case "!=" -> cmp != 0;
      case "<" -> cmp < 0;
      case "<=" -> cmp <= 0;
      case ">" -> cmp > 0;
      case ">=" -> cmp >= 0;
      default -> throw Soql.malformed("unknown operator " + op);
    };
  }

  static Pattern likePattern(String like) {
    StringBuilder re = new StringBuilder();
    for (char c : like.toCharArray()) {
      switch (c) {
        case '%' -> re.append(".*");
        case '_' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  }

  private static Comparator<Map<String, Object>> comparator(
      String field, boolean desc, boolean nullsLast) {
    Comparator<Object> values =
        (a, b) -> {
          if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
          }
          return a.toString().compareToIgnoreCase(b.toString());
        };
    if (desc) {
      values = values.reversed();
    }
    Comparator<Object> withNulls =
        nullsLast ? Comparator.nullsLast(values) : Comparator.nullsFirst(values);
    return (x, y) -> withNulls.compare(x.get(field), y.get(field));
  }
}
