package org.twiliocrm.sandbox.salesforce;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code composite} (up to 25 subrequests with {@code @{ref.field}} references) and {@code
 * composite/sobjects} collections (create, update, upsert, retrieve, delete; up to 200 records)
 * with Salesforce's {@code allOrNone} semantics.
 */
final class CompositeApi {
  static final int MAX_SUBREQUESTS = 25;
  static final int MAX_RECORDS = 200;
  private static final Pattern REFERENCE = Pattern.compile("@\\{([^}]+)}");

  private final RestApi rest;
  private final RecordStore store;

  CompositeApi(RestApi rest, RecordStore store) {
    this.rest = rest;
    this.store = store;
  }

  // ---- composite ----

  ApiResponse composite(RestApi.Call call, String version) {
    Map<String, Object> body = RestApi.objectBody(call.body());
    boolean allOrNone = Boolean.TRUE.equals(body.get("allOrNone"));
    if (!(body.get("compositeRequest") instanceof List<?> subs)) {
      throw new SalesforceError(400, "JSON_PARSER_ERROR", "compositeRequest is required");
    }
    if (subs.size() > MAX_SUBREQUESTS) {
      throw new SalesforceError(
          400,
          "LIMIT_EXCEEDED",
          "Limit exceeded: you can have up to "
              + MAX_SUBREQUESTS
              + " subrequests in a composite request.");
    }
    // Each composite call gets its own transaction so allOrNone can undo exactly its own work.
    RecordStore.Txn txn = store.begin();
    Map<String, Object> results = new HashMap<>();
    List<Map<String, Object>> responses = new ArrayList<>();
    boolean failed = false;
    for (Object o : subs) {
      Map<String, Object> sub = RestApi.objectBody(o);
      String refId = String.valueOf(sub.get("referenceId"));
      if (failed && allOrNone) {
        responses.add(halted(refId));
        continue;
      }
      ApiResponse r;
      try {
        String url = (String) resolve(String.valueOf(sub.get("url")), results);
        Object subBody = resolveDeep(sub.get("body"), results);
        r =
            RestApi.guarded(
                () -> rest.dispatch(subCall(String.valueOf(sub.get("method")), url, subBody), txn));
      } catch (SalesforceError e) {
        r = ApiResponse.error(e);
      }
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("body", r.body());
      Map<String, Object> headers = new LinkedHashMap<>();
      if (r.status() == 201 && r.body() instanceof Map<?, ?> m && m.get("id") != null) {
        headers.put("Location", sobjectUrlFor(sub.get("url"), m.get("id")));
      }
      item.put("httpHeaders", headers);
      item.put("httpStatusCode", r.status());
      item.put("referenceId", refId);
      responses.add(item);
      if (r.status() >= 400) {
        failed = true;
      } else {
        results.put(refId, r.body());
      }
    }
    if (failed && allOrNone) {
      txn.rollback();
      for (int i = 0; i < responses.size(); i++) {
        Map<String, Object> item = responses.get(i);
        if ((int) item.get("httpStatusCode") < 400) {
          responses.set(i, halted((String) item.get("referenceId")));
        }
      }
    } else {
      txn.commit();
    }
    return ApiResponse.of(200, Map.of("compositeResponse", responses));
  }

  private static String sobjectUrlFor(Object url, Object id) {
    String u = String.valueOf(url);
    int q = u.indexOf('?');
    return (q < 0 ? u : u.substring(0, q)) + "/" + id;
  }

  private static Map<String, Object> halted(String refId) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put(
        "body",
        List.of(
            Map.of(
                "errorCode",
                "PROCESSING_HALTED",
                "message",
                "The transaction was rolled back since another operation in the same transaction"
                    + " failed.")));
    item.put("httpHeaders", Map.of());
    item.put("httpStatusCode", 400);
    item.put("referenceId", refId);
    return item;
  }

  private static RestApi.Call subCall(String method, String url, Object body) {
    String path = url;
    if (path.startsWith("/services/data/")) {
      path = path.substring("/services/data/".length());
    } else {
      throw new SalesforceError(400, "INVALID_URL", "The url must start with /services/data/");
    }
    Map<String, String> query = new LinkedHashMap<>();
    int q = path.indexOf('?');
    if (q >= 0) {
      for (String pair : path.substring(q + 1).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          query.put(
              URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      path = path.substring(0, q);
    }
    if (path.matches("v\\d+\\.\\d/composite.*")) {
      throw new SalesforceError(
          400, "INVALID_URL", "Composite requests cannot be nested in a composite request");
    }
    return new RestApi.Call(method, path, query, body);
  }

  /** Replaces {@code @{ref.path}} with the referenced value (exact match keeps the JSON type). */
  private static Object resolve(String text, Map<String, Object> results) {
    Matcher whole = REFERENCE.matcher(text);
    if (whole.matches()) {
      return lookup(whole.group(1), results);
    }
    Matcher m = REFERENCE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(
          out, Matcher.quoteReplacement(String.valueOf(lookup(m.group(1), results))));
    }
    m.appendTail(out);
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private static Object resolveDeep(Object body, Map<String, Object> results) {
    if (body instanceof String s) {
      return resolve(s, results);
    }
    if (body instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      ((Map<String, Object>) m).forEach((k, v) -> out.put(k, resolveDeep(v, results)));
      return out;
    }
    if (body instanceof List<?> l) {
      return l.stream().map(v -> resolveDeep(v, results)).toList();
    }
    return body;
  }

  private static Object lookup(String path, Map<String, Object> results) {
    String[] parts = path.split("\\.");
    Object cur = results.get(parts[0]);
    for (int i = 1; i < parts.length && cur != null; i++) {
      String p = parts[i];
      Integer index = null;
      int b = p.indexOf('[');
      if (b >= 0) {
        index = Integer.parseInt(p.substring(b + 1, p.indexOf(']')));
        p = p.substring(0, b);
      }
      cur = cur instanceof Map<?, ?> m ? m.get(p) : null;
      if (index != null) {
        cur = cur instanceof List<?> l && index < l.size() ? l.get(index) : null;
      }
    }
    if (cur == null) {
      throw new SalesforceError(
          400,
          "INVALID_REFERENCE",
          "Invalid reference specified. No value for "
              + path
              + " found in the referenced results.");
    }
    return cur;
  }

  // ---- sObject collections ----

  ApiResponse collections(RestApi.Call call, String[] s, String version, RecordStore.Txn txn) {
    switch (call.method()) {
      case "POST":
        if (s.length == 4) {
          return retrieve(call, s[3], version);
        }
        return saveAll(call, txn, Op.CREATE, null, null);
      case "PATCH":
        if (s.length == 5) {
          return saveAll(call, txn, Op.UPSERT, s[3], s[4]);
        }
        return saveAll(call, txn, Op.UPDATE, null, null);
      case "GET":
        if (s.length == 4) {
          return retrieve(call, s[3], version);
        }
        throw SalesforceError.notFound();
      case "DELETE":
        return deleteAll(call, txn);
      default:
        throw new SalesforceError(405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed");
    }
  }

  private enum Op {
    CREATE,
    UPDATE,
    UPSERT
  }

  private ApiResponse saveAll(
      RestApi.Call call, RecordStore.Txn txn, Op op, String typeName, String extField) {
    Map<String, Object> body = RestApi.objectBody(call.body());
    boolean allOrNone = Boolean.TRUE.equals(body.get("allOrNone"));
    if (!(body.get("records") instanceof List<?> records)) {
      throw new SalesforceError(400, "JSON_PARSER_ERROR", "records is required");
    }
    checkSize(records.size());
    int mark = txn.mark();
    int changeMark = txn.changeMark();
    List<Map<String, Object>> results = new ArrayList<>();
    boolean anyFailed = false;
    for (Object o : records) {
      try {
        Map<String, Object> rec = new LinkedHashMap<>(RestApi.objectBody(o));
        String type = recordType(rec, typeName);
        switch (op) {
          case CREATE -> results.add(RestApi.saveResult(store.create(type, rec, txn), true, null));
          case UPDATE -> {
            // Field names are case-insensitive: Salesforce's docs and jsforce write "id".
            Object id = null;
            for (java.util.Iterator<Map.Entry<String, Object>> it = rec.entrySet().iterator();
                it.hasNext(); ) {
              Map.Entry<String, Object> e = it.next();
              if (e.getKey().equalsIgnoreCase("Id")) {
                id = id == null ? e.getValue() : id;
                it.remove();
              }
            }
            if (id == null) {
              throw new SalesforceError(
                  400, "MISSING_ARGUMENT", "Id not specified in an update call", List.of("Id"));
            }
            store.update(type, id.toString(), rec, txn);
            results.add(RestApi.saveResult(SalesforceIds.to18(id.toString()), true, null));
          }
          case UPSERT -> {
            FieldDef key = store.externalIdField(store.recordType(type), extField);
            Object value =
                rec.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(key.name()))
                    .map(Map.Entry::getValue)
                    .findFirst()
                    .orElse(null);
            if (value == null) {
              throw new SalesforceError(
                  400, "MISSING_ARGUMENT", key.name() + " not specified", List.of(key.name()));
            }
            RecordStore.UpsertResult r = store.upsert(type, key.name(), value.toString(), rec, txn);
            results.add(RestApi.saveResult(r.id(), true, r.created()));
          }
        }
      } catch (SalesforceError e) {
        anyFailed = true;
        results.add(failure(null, e));
      }
    }
    if (anyFailed && allOrNone) {
      rollBack(txn, mark, changeMark, results, false);
    }
    return ApiResponse.of(200, results);
  }

  /**
   * A record's failed save result, {@code {"success": false, "errors": [error]}}, led by the id
   * when there is one (delete names the record; a failed create, update or upsert has none).
   */
  private static Map<String, Object> failure(String id, SalesforceError e) {
    Map<String, Object> failure = new LinkedHashMap<>();
    if (id != null) {
      failure.put("id", id);
    }
    failure.put("success", false);
    failure.put("errors", List.of(e.saveResultError()));
    return failure;
  }

  /**
   * allOrNone after a failure: the transaction back to its mark, and every record that had
   * succeeded answered as rolled back instead, keeping its id when {@code withIds} (delete).
   */
  private static void rollBack(
      RecordStore.Txn txn,
      int mark,
      int changeMark,
      List<Map<String, Object>> results,
      boolean withIds) {
    txn.rollbackTo(mark, changeMark);
    SalesforceError rolledBack =
        new SalesforceError(
            400,
            "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "Record rolled back because not all records were valid and the request"
                + " was using AllOrNone header");
    for (int i = 0; i < results.size(); i++) {
      Map<String, Object> r = results.get(i);
      if (Boolean.TRUE.equals(r.get("success"))) {
        results.set(i, failure(withIds ? (String) r.get("id") : null, rolledBack));
      }
    }
  }

  private static String recordType(Map<String, Object> rec, String pathType) {
    Object attrs = rec.remove("attributes");
    Object type = attrs instanceof Map<?, ?> a ? a.get("type") : null;
    if (type == null && pathType == null) {
      throw new SalesforceError(
          400,
          "INVALID_TYPE",
          "When the type is not specified for a record, the record cannot be saved");
    }
    if (type != null && pathType != null && !type.toString().equalsIgnoreCase(pathType)) {
      throw new SalesforceError(
          400, "INVALID_TYPE", "The record type " + type + " does not match " + pathType);
    }
    return type != null ? type.toString() : pathType;
  }

  private static void checkSize(int n) {
    if (n > MAX_RECORDS) {
      throw new SalesforceError(
          400,
          "EXCEEDED_ID_LIMIT",
          "record limit reached. cannot submit more than "
              + MAX_RECORDS
              + " records into this call");
    }
  }

  private ApiResponse retrieve(RestApi.Call call, String typeName, String version) {
    SObjectType t = store.recordType(typeName);
    List<String> ids;
    List<String> fields;
    if (call.body() instanceof Map<?, ?> m) {
      ids = stringList(m.get("ids"));
      fields = stringList(m.get("fields"));
    } else {
      ids = List.of(call.query().getOrDefault("ids", "").split(","));
      fields = List.of(call.query().getOrDefault("fields", "").split(","));
    }
    checkSize(ids.size());
    List<FieldDef> defs = new ArrayList<>();
    for (String f : fields) {
      if (!f.isBlank()) {
        defs.add(RestApi.namedField(t, f.trim()));
      }
    }
    List<Object> out = new ArrayList<>();
    for (String id : ids) {
      out.add(
          store
              .get(t.name(), id.trim())
              .map(r -> (Object) RestApi.shape(t, r, defs, version))
              .orElse(null));
    }
    return ApiResponse.of(200, out);
  }

  private ApiResponse deleteAll(RestApi.Call call, RecordStore.Txn txn) {
    List<String> ids = List.of(call.query().getOrDefault("ids", "").split(","));
    boolean allOrNone = Boolean.parseBoolean(call.query().getOrDefault("allOrNone", "false"));
    checkSize(ids.size());
    int mark = txn.mark();
    int changeMark = txn.changeMark();
    List<Map<String, Object>> results = new ArrayList<>();
    boolean anyFailed = false;
    for (String id : ids) {
      try {
        String typeName =
            store
                .ownerOf(SalesforceIds.looksLikeId(id) ? SalesforceIds.to18(id) : "")
                .orElseThrow(
                    () ->
                        new SalesforceError(
                            404, "ENTITY_IS_DELETED", "entity is deleted", List.of()));
        store.delete(typeName, id, txn);
        results.add(RestApi.saveResult(SalesforceIds.to18(id), true, null));
      } catch (SalesforceError e) {
        anyFailed = true;
        results.add(failure(id, e));
      }
    }
    if (anyFailed && allOrNone) {
      rollBack(txn, mark, changeMark, results, true);
    }
    return ApiResponse.of(200, results);
  }

  private static List<String> stringList(Object o) {
    if (o instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}
