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
  private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();

  QueryEngine(RecordStore store) {
    this.store = store;
  }

  Map<String, Object> run(String soql, String version) {
    return run(soql, version, false);
  }

  /**
   * Runs a query; {@code includeDeleted} is the queryAll resource, which also returns deleted
   * records (with {@code IsDeleted = true}).
   */
  Map<String, Object> run(String soql, String version, boolean includeDeleted) {
    if (soql == null || soql.isBlank()) {
      throw Soql.malformed("A query string is required");
    }
    Soql.Query q = Soql.parse(soql);
    SObjectType t = queryable(q.from());
    List<Path> selected = new ArrayList<>();
    for (String f : q.fields()) {
      selected.add(path(t, f));
    }
    List<Child> children = new ArrayList<>();
    for (Soql.Query sub : q.subqueries()) {
      children.add(child(t, sub));
    }
    List<Map<String, Object>> candidates = new ArrayList<>(store.all(t.name()));
    if (includeDeleted) {
      candidates.addAll(store.deleted(t.name()));
    }
    List<Map<String, Object>> rows = filter(t, q, candidates);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("totalSize", rows.size());
    if (q.count()) {
      result.put("done", true);
      result.put("records", List.of());
      return result;
    }
    List<Map<String, Object>> shaped = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      Map<String, Object> out = shape(t, r, selected, version);
      for (Child c : children) {
        List<Map<String, Object>> kids = new ArrayList<>();
        for (Map<String, Object> k : store.all(c.type().name())) {
          if (r.get("Id").equals(k.get(c.field().name()))) {
            kids.add(k);
          }
        }
        kids = filter(c.type(), c.query(), kids);
        if (kids.isEmpty()) {
          out.put(c.name(), null); // Salesforce answers null, not an empty list
        } else {
          Map<String, Object> sub = new LinkedHashMap<>();
          sub.put("totalSize", kids.size());
          sub.put("done", true);
          List<Map<String, Object>> rec = new ArrayList<>();
          for (Map<String, Object> k : kids) {
            rec.add(shape(c.type(), k, c.fields(), version));
          }
          sub.put("records", rec);
          out.put(c.name(), sub);
        }
      }
      shaped.add(out);
    }
    return page(shaped, version, result, rows.size(), 0);
  }

  /** The next page of an earlier query, or NOT_FOUND / INVALID_QUERY_LOCATOR. */
  Map<String, Object> more(String locator, String version) {
    Cursor rest = cursors.remove(locator);
    if (rest == null) {
      throw new SalesforceError(404, "INVALID_QUERY_LOCATOR", "invalid query locator");
    }
    Map<String, Object> result = new LinkedHashMap<>();
    // totalSize is the whole query's, on every batch, as Salesforce reports it.
    result.put("totalSize", rest.totalSize());
    return page(rest.rows(), version, result, rest.totalSize(), rest.served());
  }

  void clear() {
    cursors.clear();
  }

  private record Cursor(List<Map<String, Object>> rows, int totalSize, int served) {}

  /** A field path: reference fields to follow, then the field read at the end. */
  private record Path(String text, List<FieldDef> hops, List<String> names, FieldDef field) {}

  /** A parent-child subquery: the child relationship's name, type, reference field, fields. */
  private record Child(
      String name, SObjectType type, FieldDef field, Soql.Query query, List<Path> fields) {}

  private SObjectType queryable(String name) {
    return store
        .schema()
        .type(name)
        .filter(x -> !x.isPlatformEvent())
        .orElseThrow(
            () ->
                new SalesforceError(
                    400,
                    "INVALID_TYPE",
                    "sObject type '"
                        + name
                        + "' is not supported. If you are attempting to use a custom object,"
                        + " be sure to append the '__c' after the entity name. Please reference"
                        + " your WSDL or the describe call for the appropriate names."));
  }

  private List<Map<String, Object>> filter(
      SObjectType t, Soql.Query q, List<Map<String, Object>> candidates) {
    if (q.where() != null) {
      check(t, q.where());
    }
    List<Comparator<Map<String, Object>>> orders = new ArrayList<>();
    for (Soql.Order o : q.orderBy()) {
      Path f = path(t, o.field());
      orders.add(comparator(f, o.descending(), o.nullsLast()));
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map<String, Object> r : candidates) {
      if (q.where() == null || matches(t, q.where(), r)) {
        rows.add(r);
      }
    }
    if (!orders.isEmpty()) {
      rows.sort(orders.stream().reduce(Comparator::thenComparing).orElseThrow());
    }
    int from = q.offset() == null ? 0 : Math.min(q.offset(), rows.size());
    int to = q.limit() == null ? rows.size() : Math.min(rows.size(), from + q.limit());
    return new ArrayList<>(rows.subList(from, to));
  }

  private Map<String, Object> shape(
      SObjectType t, Map<String, Object> r, List<Path> selected, String version) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("attributes", attributes(t.name(), (String) r.get("Id"), version));
    for (Path p : selected) {
      if (p.hops().isEmpty()) {
        out.put(p.field().name(), r.get(p.field().name()));
        continue;
      }
      // Account.Name -> "Account": {"attributes": {...}, "Name": ...}, or null without a parent.
      Map<String, Object> level = out;
      Map<String, Object> rec = r;
      boolean missing = false;
      for (int i = 0; i < p.hops().size(); i++) {
        FieldDef hop = p.hops().get(i);
        String rel = p.names().get(i);
        Object id = rec.get(hop.name());
        Map<String, Object> parent = id == null ? null : lookup(id.toString());
        if (parent == null) {
          if (!level.containsKey(rel)) {
            level.put(rel, null);
          }
          missing = true;
          break;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> next = (Map<String, Object>) level.get(rel);
        if (next == null) {
          next = new LinkedHashMap<>();
          String type = store.ownerOf(id.toString()).orElse(hop.referenceTo().get(0));
          next.put("attributes", attributes(type, (String) parent.get("Id"), version));
          level.put(rel, next);
        }
        level = next;
        rec = parent;
      }
      if (!missing) {
        level.put(p.field().name(), rec.get(p.field().name()));
      }
    }
    return out;
  }

  private Map<String, Object> lookup(String id) {
    return store.ownerOf(id).flatMap(type -> store.get(type, id)).orElse(null);
  }

  /** The value a path reads on a record, following references; null when a parent is missing. */
  private Object value(Path p, Map<String, Object> r) {
    Map<String, Object> rec = r;
    for (FieldDef hop : p.hops()) {
      Object id = rec.get(hop.name());
      rec = id == null ? null : lookup(id.toString());
      if (rec == null) {
        return null;
      }
    }
    return rec.get(p.field().name());
  }

  /** {@code Name}, {@code Account.Name}, {@code Contact__r.Account.Name}, {@code Contact.Name}. */
  private Path path(SObjectType t, String text) {
    String[] parts = text.split("\\.");
    int i = 0;
    if (parts.length > 1 && parts[0].equalsIgnoreCase(t.name())) {
      i = 1; // SELECT Contact.LastName FROM Contact
    }
    SObjectType at = t;
    List<FieldDef> hops = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (; i < parts.length - 1; i++) {
      String rel = parts[i];
      SObjectType from = at;
      FieldDef ref =
          at.fields().stream()
              .filter(f -> rel.equalsIgnoreCase(relationshipName(f)))
              .findFirst()
              .orElseThrow(
                  () ->
                      SalesforceError.invalidField(
                          "Didn't understand relationship '"
                              + rel
                              + "' in field path. If you are attempting to use a custom"
                              + " relationship, be sure to append the '__r' after the custom"
                              + " relationship name. Please reference your WSDL or the describe"
                              + " call for the appropriate names. (object "
                              + from.name()
                              + ")"));
      hops.add(ref);
      names.add(relationshipName(ref));
      at = store.schema().type(ref.referenceTo().get(0)).orElse(at);
    }
    return new Path(text, List.copyOf(hops), List.copyOf(names), field(at, parts[i]));
  }

  /** AccountId -> Account, Contact__c -> Contact__r; other fields have no relationship. */
  static String relationshipName(FieldDef f) {
    if (!"reference".equals(f.type()) || f.referenceTo().isEmpty()) {
      return null;
    }
    String n = f.name();
    if (n.endsWith("__c")) {
      return n.substring(0, n.length() - 3) + "__r";
    }
    if (n.endsWith("Id") && n.length() > 2) {
      return n.substring(0, n.length() - 2);
    }
    return null;
  }

  /**
   * Resolves a child relationship (Contacts on Account, Twilio_Messages__r on Contact): the plural
   * of the child object's name, with {@code __r} for a custom object.
   */
  private Child child(SObjectType parent, Soql.Query sub) {
    if (sub.count()) {
      throw Soql.malformed("COUNT() is not supported in a subquery");
    }
    for (SObjectType c : store.schema().types()) {
      if (c.isPlatformEvent()) {
        continue;
      }
      for (FieldDef f : c.fields()) {
        if (!"reference".equals(f.type())
            || f.referenceTo().stream().noneMatch(r -> r.equalsIgnoreCase(parent.name()))) {
          continue;
        }
        if (sub.from().equalsIgnoreCase(childRelationshipName(c))) {
          List<Path> fields = new ArrayList<>();
          for (String name : sub.fields()) {
            fields.add(path(c, name));
          }
          return new Child(childRelationshipName(c), c, f, sub, List.copyOf(fields));
        }
      }
    }
    throw new SalesforceError(
        400,
        "INVALID_TYPE",
        "Didn't understand relationship '"
            + sub.from()
            + "' in FROM part of query call. If you are attempting to use a custom relationship,"
            + " be sure to append the '__r' after the custom relationship name. Please reference"
            + " your WSDL or the describe call for the appropriate names.");
  }

  static String childRelationshipName(SObjectType c) {
    boolean custom = c.name().endsWith("__c");
    String base = custom ? c.name().substring(0, c.name().length() - 3) : c.name();
    String plural;
    if (base.endsWith("y")
        && base.length() > 1
        && "aeiou".indexOf(base.charAt(base.length() - 2)) < 0) {
      plural = base.substring(0, base.length() - 1) + "ies";
    } else if (base.endsWith("s")
        || base.endsWith("x")
        || base.endsWith("ch")
        || base.endsWith("sh")) {
      plural = base + "es";
    } else {
      plural = base + "s";
    }
    return custom ? plural + "__r" : plural;
  }

  private Map<String, Object> page(
      List<Map<String, Object>> rows,
      String version,
      Map<String, Object> result,
      int totalSize,
      int served) {
    if (rows.size() <= BATCH_SIZE) {
      result.put("done", true);
      result.put("records", rows);
      return result;
    }
    String locator = "01g" + UUID.randomUUID().toString().replace("-", "").substring(0, 15);
    int next = served + BATCH_SIZE;
    cursors.put(
        locator,
        new Cursor(new ArrayList<>(rows.subList(BATCH_SIZE, rows.size())), totalSize, next));
    result.put("done", false);
    result.put("nextRecordsUrl", "/services/data/v" + version + "/query/" + locator + "-" + next);
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
                SalesforceError.invalidField(
                    "No such column '"
                        + name
                        + "' on entity '"
                        + t.name()
                        + "'. If you are attempting to use a custom field, be sure to append the"
                        + " '__c' after the custom field name. Please reference your WSDL or the"
                        + " describe call for the appropriate names."));
  }

  /** Validates field names and literal types once, before scanning. */
  private void check(SObjectType t, Soql.Condition c) {
    if (c instanceof Soql.And a) {
      a.terms().forEach(x -> check(t, x));
    } else if (c instanceof Soql.Or o) {
      o.terms().forEach(x -> check(t, x));
    } else if (c instanceof Soql.Not n) {
      check(t, n.term());
    } else if (c instanceof Soql.Comparison cmp) {
      checkLiteral(path(t, cmp.field()).field(), cmp.value());
    } else if (c instanceof Soql.In in) {
      in.values().forEach(v -> checkLiteral(path(t, in.field()).field(), v));
    } else if (c instanceof Soql.Like like) {
      FieldDef f = path(t, like.field()).field();
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
          case "date", "datetime" ->
              v instanceof Soql.DateLiteral || v instanceof Soql.DateRange ? null : f.type();
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

  private boolean matches(SObjectType t, Soql.Condition c, Map<String, Object> r) {
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
      Path p = path(t, cmp.field());
      return compare(p.field(), value(p, r), cmp.op(), cmp.value());
    }
    if (c instanceof Soql.In in) {
      Path p = path(t, in.field());
      Object v = value(p, r);
      boolean any = in.values().stream().anyMatch(x -> compare(p.field(), v, "=", x));
      return in.negated() != any;
    }
    Soql.Like like = (Soql.Like) c;
    Object v = value(path(t, like.field()), r);
    return v != null && likePattern(like.pattern()).matcher(v.toString()).matches();
  }

  private static boolean compare(FieldDef f, Object v, String op, Object literal) {
    if (literal instanceof Soql.DateRange range) {
      if (v == null) {
        return "!=".equals(op);
      }
      java.time.LocalDate d = java.time.LocalDate.parse(v.toString().substring(0, 10));
      boolean in = !d.isBefore(range.from()) && d.isBefore(range.to());
      return switch (op) {
        case "=" -> in;
        case "!=" -> !in;
        case "<" -> d.isBefore(range.from());
        case "<=" -> d.isBefore(range.to());
        case ">" -> !d.isBefore(range.to());
        case ">=" -> !d.isBefore(range.from());
        default -> throw Soql.malformed("unknown operator " + op);
      };
    }
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
    if (("id".equals(f.type()) || "reference".equals(f.type()))
        && ("=".equals(op) || "!=".equals(op))
        && (v.toString().length() == 15 || lit.toString().length() == 15)
        && SalesforceIds.looksLikeId(v.toString())
        && SalesforceIds.looksLikeId(lit.toString())) {
      // As Salesforce: a 15-character id (case-sensitive) names the same record as its
      // 18-character form.
      boolean eq = v.toString().substring(0, 15).equals(lit.toString().substring(0, 15));
      return "=".equals(op) == eq;
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

  private Comparator<Map<String, Object>> comparator(Path field, boolean desc, boolean nullsLast) {
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
    return (x, y) -> withNulls.compare(value(field, x), value(field, y));
  }
}
