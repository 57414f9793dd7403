package org.twiliocrm.sandbox.salesforce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The REST resources under {@code /services/data/}: versions, resources, sObject CRUD, upsert by
 * external id, describe, query, limits, and (through {@link CompositeApi}) the composite and
 * sObject collections resources. Paths arrive without the {@code /services/data/} prefix and with
 * the body already parsed from JSON.
 */
final class RestApi {
  static final String LATEST_VERSION = "62.0";

  private final RecordStore store;
  private final QueryEngine queries;
  private final StreamingHub hub;
  private final SalesforceIds ids;
  private final ApiUsage usage;
  private final String userId;
  private final CompositeApi composite;

  RestApi(
      RecordStore store,
      QueryEngine queries,
      StreamingHub hub,
      SalesforceIds ids,
      ApiUsage usage,
      String userId) {
    this.store = store;
    this.queries = queries;
    this.hub = hub;
    this.ids = ids;
    this.usage = usage;
    this.userId = userId;
    this.composite = new CompositeApi(this, store);
  }

  /** A request addressed to the data API. */
  record Call(String method, String path, Map<String, String> query, Object body) {
    String[] segments() {
      String p = path.startsWith("/") ? path.substring(1) : path;
      while (p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      return p.isEmpty() ? new String[0] : p.split("/");
    }
  }

  /**
   * A stable name for counting, e.g. {@code "PATCH
   * sobjects/Twilio_Message__c/Message_Sid__c/{value}"}.
   */
  static String endpointKey(String method, String path) {
    String[] s = new Call(method, path, Map.of(), null).segments();
    if (s.length <= 1) {
      return method + " " + (s.length == 0 ? "versions" : "resources");
    }
    StringBuilder b = new StringBuilder(method).append(' ');
    if ("sobjects".equals(s[1])) {
      b.append("sobjects");
      if (s.length > 2) {
        b.append('/').append(s[2]);
      }
      if (s.length == 4) {
        b.append("describe".equals(s[3]) ? "/describe" : "/{id}");
      } else if (s.length >= 5) {
        b.append('/').append(s[3]).append("/{value}");
      }
      return b.toString();
    }
    if ("query".equals(s[1]) || "queryAll".equals(s[1])) {
      return b.append(s[1]).append(s.length > 2 ? "/{locator}" : "").toString();
    }
    for (int i = 1; i < s.length; i++) {
      if (i > 1) {
        b.append('/');
      }
      b.append(s[i]);
    }
    return b.toString();
  }

  /** Runs a call in its own transaction. */
  ApiResponse handle(Call call) {
    try {
      return store.inTxn(txn -> dispatch(call, txn));
    } catch (SalesforceError e) {
      return ApiResponse.error(e);
    }
  }

  /** Runs a call inside the caller's transaction; throws SalesforceError on failure. */
  ApiResponse dispatch(Call call, RecordStore.Txn txn) {
    String[] s = call.segments();
    if (s.length == 0) {
      return ApiResponse.of(200, versions());
    }
    String version = s[0].startsWith("v") ? s[0].substring(1) : s[0];
    if (!version.matches("\\d+\\.\\d")) {
      throw SalesforceError.notFound();
    }
    if (s.length == 1) {
      requireGet(call);
      return ApiResponse.of(200, resources(version));
    }
    switch (s[1]) {
      case "sobjects":
        return sobjects(call, s, version, txn);
      case "query":
      case "queryAll":
        requireGet(call);
        if (s.length == 3) {
          String locator = s[2].contains("-") ? s[2].substring(0, s[2].indexOf('-')) : s[2];
          return ApiResponse.of(200, queries.more(locator, version));
        }
        return ApiResponse.of(
            200, queries.run(call.query().get("q"), version, "queryAll".equals(s[1])));
      case "limits":
        requireGet(call);
        return ApiResponse.of(200, limits());
      case "tooling":
        requireGet(call);
        if (s.length == 3 && "query".equals(s[2])) {
          return ApiResponse.of(200, toolingQuery(call.query().get("q")));
        }
        throw SalesforceError.notFound();
      case "composite":
        if (s.length == 2) {
          requireMethod(call, "POST");
          return composite.composite(call, version);
        }
        if ("sobjects".equals(s[2])) {
          return composite.collections(call, s, version, txn);
        }
        throw SalesforceError.notEmulated(call.method(), "/services/data/" + call.path());
      default:
        // search, sobjects/{type}/updated, tooling, ...: not emulated (docs/sandbox-coverage.md)
        throw SalesforceError.notEmulated(call.method(), "/services/data/" + call.path());
    }
  }

  private ApiResponse sobjects(Call call, String[] s, String version, RecordStore.Txn txn) {
    if (s.length == 2) {
      requireGet(call);
      return ApiResponse.of(200, globalDescribe(version));
    }
    SObjectType t = store.type(s[2]);
    if (s.length == 3) {
      if ("GET".equals(call.method())) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("objectDescribe", describeSummary(t, version));
        info.put("recentItems", List.of());
        return ApiResponse.of(200, info);
      }
      requireMethod(call, "POST");
      Map<String, Object> body = objectBody(call.body());
      if (t.isPlatformEvent()) {
        return ApiResponse.of(201, saveResult(publish(t, body), true, null));
      }
      return ApiResponse.of(201, saveResult(store.create(t.name(), body, txn), true, null));
    }
    if (s.length == 4 && "describe".equals(s[3])) {
      requireGet(call);
      return ApiResponse.of(200, describe(t, version));
    }
    if (s.length == 4 && ("updated".equals(s[3]) || "deleted".equals(s[3]))) {
      // Salesforce's "get updated/deleted records" resources, not a record id: say so, with the
      // coverage table, rather than an unhelpful NOT_FOUND for a record called "updated".
      throw SalesforceError.notEmulated(call.method(), "/services/data/" + call.path());
    }
    if (s.length == 4) {
      String id = s[3];
      switch (call.method()) {
        case "GET":
          Map<String, Object> rec = store.get(t.name(), id).orElseThrow(SalesforceError::notFound);
          return ApiResponse.of(200, shape(t, rec, fieldsParam(t, call), version));
        case "PATCH":
          store.update(t.name(), id, objectBody(call.body()), txn);
          return ApiResponse.noContent();
        case "DELETE":
          store.delete(t.name(), id, txn);
          return ApiResponse.noContent();
        default:
          throw methodNotAllowed(call);
      }
    }
    if (s.length == 5) {
      String field = s[3];
      String value = java.net.URLDecoder.decode(s[4], java.nio.charset.StandardCharsets.UTF_8);
      switch (call.method()) {
        case "GET":
          List<Map<String, Object>> found = store.getByExternalId(t.name(), field, value);
          if (found.isEmpty()) {
            throw SalesforceError.notFound();
          }
          if (found.size() > 1) {
            return ApiResponse.of(
                300,
                found.stream()
                    .map(
                        r ->
                            "/services/data/v"
                                + version
                                + "/sobjects/"
                                + t.name()
                                + "/"
                                + r.get("Id"))
                    .toList());
          }
          return ApiResponse.of(200, shape(t, found.get(0), null, version));
        case "PATCH":
        case "POST":
          RecordStore.UpsertResult r =
              store.upsert(t.name(), field, value, objectBody(call.body()), txn);
          return ApiResponse.of(r.created() ? 201 : 200, saveResult(r.id(), true, r.created()));
        case "DELETE":
          List<Map<String, Object>> del = store.getByExternalId(t.name(), field, value);
          if (del.isEmpty()) {
            throw SalesforceError.notFound();
          }
          store.delete(t.name(), (String) del.get(0).get("Id"), txn);
          return ApiResponse.noContent();
        default:
          throw methodNotAllowed(call);
      }
    }
    throw SalesforceError.notFound();
  }

  /** Publishes a platform event after the same field checks a record insert gets. */
  String publish(SObjectType t, Map<String, Object> body) {
    Map<String, Object> values =
        FieldRules.normalize(t, body, true, id -> java.util.Optional.empty());
    hub.publishPlatformEvent(t, values, userId);
    return ids.next(t.keyPrefix());
  }

  static Map<String, Object> saveResult(String id, boolean success, Boolean created) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("success", success);
    m.put("errors", List.of());
    if (created != null) {
      m.put("created", created);
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> objectBody(Object body) {
    if (body instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    throw new SalesforceError(
        400, "JSON_PARSER_ERROR", "The request body must be a JSON object describing one record");
  }

  private static List<FieldDef> fieldsParam(SObjectType t, Call call) {
    String fields = call.query().get("fields");
    if (fields == null || fields.isBlank()) {
      return null;
    }
    List<FieldDef> out = new ArrayList<>();
    for (String f : fields.split(",")) {
      out.add(namedField(t, f.trim()));
    }
    return out;
  }

  /**
   * A field a {@code fields} parameter names (here and in the composite sObject collections), or
   * Salesforce's INVALID_FIELD answer for a name the object does not have.
   */
  static FieldDef namedField(SObjectType t, String name) {
    return t.field(name)
        .orElseThrow(
            () ->
                SalesforceError.invalidField(
                    "No such column '" + name + "' on entity '" + t.name() + "'"));
  }

  static Map<String, Object> shape(
      SObjectType t, Map<String, Object> rec, List<FieldDef> fields, String version) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("attributes", QueryEngine.attributes(t.name(), (String) rec.get("Id"), version));
    if (fields == null) {
      rec.forEach(out::put);
    } else {
      out.put("Id", rec.get("Id"));
      fields.forEach(f -> out.put(f.name(), rec.get(f.name())));
    }
    return out;
  }

  private static void requireGet(Call call) {
    requireMethod(call, "GET");
  }

  private static void requireMethod(Call call, String method) {
    if (!method.equals(call.method())) {
      throw methodNotAllowed(call);
    }
  }

  private static SalesforceError methodNotAllowed(Call call) {
    return new SalesforceError(
        405,
        "METHOD_NOT_ALLOWED",
        "HTTP Method '" + call.method() + "' not allowed. Allowed are GET,PATCH,DELETE,POST");
  }

  private static List<Map<String, Object>> versions() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String v : List.of("58.0", "59.0", "60.0", "61.0", LATEST_VERSION)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("label", "Sandbox");
      m.put("url", "/services/data/v" + v);
      m.put("version", v);
      out.add(m);
    }
    return out;
  }

  private static Map<String, Object> resources(String version) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String r : List.of("sobjects", "query", "queryAll", "limits", "composite")) {
      m.put(r, "/services/data/v" + version + "/" + r);
    }
    return m;
  }

  private Map<String, Object> limits() {
    Map<String, Object> daily = new LinkedHashMap<>();
    daily.put("Max", usage.dailyLimit());
    daily.put("Remaining", Math.max(0, usage.dailyLimit() - usage.dailyUsed()));
    Map<String, Object> clients = new LinkedHashMap<>();
    clients.put("Max", usage.streamingClientsMax());
    clients.put("Remaining", Math.max(0, usage.streamingClientsMax() - hub.clientCount()));
    return Map.of("DailyApiRequests", daily, "DurableStreamingApiConcurrentClients", clients);
  }

  /**
   * The one Tooling API query the sandbox answers: the Change Data Capture selection
   * (PlatformEventChannelMember on the ChangeEvents channel), as preflight reads it.
   */
  private Map<String, Object> toolingQuery(String q) {
    if (q == null || !q.toLowerCase(java.util.Locale.ROOT).contains("platformeventchannelmember")) {
      throw new SalesforceError(
          400,
          "INVALID_TYPE",
          "the sandbox's Tooling API answers only queries of PlatformEventChannelMember");
    }
    List<Map<String, Object>> records = new ArrayList<>();
    for (SObjectType t : store.schema().types()) {
      if (t.cdcEnabled()) {
        String entity =
            t.name().endsWith("__c")
                ? t.name().substring(0, t.name().length() - 1) + "ChangeEvent"
                : t.name() + "ChangeEvent";
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("attributes", Map.of("type", "PlatformEventChannelMember"));
        r.put("EventChannel", "ChangeEvents");
        r.put("SelectedEntity", entity);
        records.add(r);
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("size", records.size());
    m.put("totalSize", records.size());
    m.put("done", true);
    m.put("entityTypeName", "PlatformEventChannelMember");
    m.put("records", records);
    return m;
  }

  private Map<String, Object> globalDescribe(String version) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("encoding", "UTF-8");
    m.put("maxBatchSize", 200);
    m.put(
        "sobjects", store.schema().types().stream().map(t -> describeSummary(t, version)).toList());
    return m;
  }

  private static Map<String, Object> describeSummary(SObjectType t, String version) {
    Map<String, Object> m = new LinkedHashMap<>();
    boolean event = t.isPlatformEvent();
    m.put("name", t.name());
    m.put("label", t.label());
    m.put("labelPlural", t.label() + "s");
    m.put("keyPrefix", t.keyPrefix());
    m.put("custom", t.isCustom());
    m.put("createable", true);
    m.put("updateable", !event);
    m.put("deletable", !event);
    m.put("queryable", !event);
    m.put("retrieveable", !event);
    m.put("searchable", !event);
    m.put("triggerable", true);
    String base = "/services/data/v" + version + "/sobjects/" + t.name();
    Map<String, Object> urls = new LinkedHashMap<>();
    urls.put("sobject", base);
    urls.put("describe", base + "/describe");
    urls.put("rowTemplate", base + "/{ID}");
    m.put("urls", urls);
    return m;
  }

  private Map<String, Object> describe(SObjectType t, String version) {
    Map<String, Object> m = describeSummary(t, version);
    List<Map<String, Object>> fields = new ArrayList<>();
    for (FieldDef f : t.fields()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("name", f.name());
      d.put("label", f.label());
      d.put("type", f.type());
      d.put("length", f.isText() ? f.length() : 0);
      d.put("custom", f.name().endsWith("__c"));
      d.put("nillable", !f.required() && !"Id".equals(f.name()) && !"boolean".equals(f.type()));
      d.put("createable", f.createable());
      d.put("updateable", f.updateable());
      d.put("defaultedOnCreate", f.defaultValue() != null || f.autoNumber() || !f.createable());
      d.put("externalId", f.externalId());
      d.put("unique", f.unique());
      d.put("idLookup", f.externalId() || "Id".equals(f.name()));
      d.put("autoNumber", f.autoNumber());
      d.put("referenceTo", f.referenceTo());
      d.put("relationshipName", relationshipName(f));
      List<Map<String, Object>> picklist = new ArrayList<>();
      for (String v : f.picklistValues()) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("active", true);
        p.put("defaultValue", v.equals(f.defaultValue()));
        p.put("label", v);
        p.put("value", v);
        picklist.add(p);
      }
      d.put("picklistValues", picklist);
      d.put("restrictedPicklist", !f.picklistValues().isEmpty());
      d.put("soapType", soapType(f.type()));
      fields.add(d);
    }
    m.put("fields", fields);
    m.put("childRelationships", List.of());
    m.put("recordTypeInfos", List.of());
    return m;
  }

  private static String relationshipName(FieldDef f) {
    if (!"reference".equals(f.type())) {
      return null;
    }
    if (f.name().endsWith("__c")) {
      return f.name().substring(0, f.name().length() - 1) + "r";
    }
    return f.name().endsWith("Id") ? f.name().substring(0, f.name().length() - 2) : null;
  }

  private static String soapType(String type) {
    return switch (type) {
      case "id", "reference" -> "tns:ID";
      case "boolean" -> "xsd:boolean";
      case "int" -> "xsd:int";
      case "double", "currency", "percent" -> "xsd:double";
      case "date" -> "xsd:date";
      case "datetime" -> "xsd:dateTime";
      default -> "xsd:string";
    };
  }

  /** Shared by composite: run something, mapping a SalesforceError to its REST response. */
  static ApiResponse guarded(Supplier<ApiResponse> work) {
    try {
      return work.get();
    } catch (SalesforceError e) {
      return ApiResponse.error(e);
    }
  }
}
