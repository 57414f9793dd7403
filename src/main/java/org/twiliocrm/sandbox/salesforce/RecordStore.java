package org.twiliocrm.sandbox.salesforce;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The org's data: records per object, unique/external-id indexes, and transactions that either
 * commit (and then emit change events) or roll back completely. One lock guards everything: the
 * emulator favours exact semantics over write concurrency.
 */
public final class RecordStore {
  private final OrgSchema schema;
  private final SalesforceIds ids;
  private final Clock clock;
  private final String userId;
  private final Consumer<List<ChangeEvent>> onCommit;

  /** object lower name -> id -> record (canonical field names). */
  private final Map<String, LinkedHashMap<String, Map<String, Object>>> data = new HashMap<>();

  /** "object.field" lower -> lower-cased value -> id, for unique and external-id fields. */
  private final Map<String, Map<String, String>> uniqueIndex = new HashMap<>();

  /**
   * object lower name -> id -> deleted record (IsDeleted = true): the recycle bin queryAll reads.
   */
  private final Map<String, LinkedHashMap<String, Map<String, Object>>> recycleBin =
      new HashMap<>();

  /** id -> object name, for reference checks. */
  private final Map<String, String> owners = new HashMap<>();

  private long autoNumber = 1000;

  /**
   * Records kept per object, and deleted records kept per object in the recycle bin ({@code
   * sandbox.salesforce.max-records}): beyond it the oldest go as if deleted and purged.
   */
  private final int maxRecords;

  /** Records forgotten because of {@link #maxRecords} since start or the last clear. */
  private long evicted;

  /** Where the stored records' field layouts start (see {@link CompactRecord}). */
  private final CompactRecord.Layout layouts = new CompactRecord.Layout();

  /** A store that keeps every record (tests of the org's semantics). */
  public RecordStore(
      OrgSchema schema,
      SalesforceIds ids,
      Clock clock,
      String userId,
      Consumer<List<ChangeEvent>> onCommit) {
    this(schema, ids, clock, userId, onCommit, Integer.MAX_VALUE);
  }

  public RecordStore(
      OrgSchema schema,
      SalesforceIds ids,
      Clock clock,
      String userId,
      Consumer<List<ChangeEvent>> onCommit,
      int maxRecords) {
    if (maxRecords < 1) {
      throw new IllegalArgumentException("maxRecords must be at least 1, got " + maxRecords);
    }
    this.schema = schema;
    this.ids = ids;
    this.clock = clock;
    this.userId = userId;
    this.onCommit = onCommit;
    this.maxRecords = maxRecords;
  }

  public OrgSchema schema() {
    return schema;
  }

  /** Outcome of an upsert. */
  public record UpsertResult(String id, boolean created) {}

  /** A unit of work: undo actions for rollback, change events for commit. */
  public final class Txn {
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private final List<ChangeEvent> changes = new ArrayList<>();
    private final String key = UUID.randomUUID().toString();
    private boolean done;

    /** Objects this transaction added records to (or deleted records of): to trim at commit. */
    private final List<SObjectType> grown = new ArrayList<>(1);

    /** Who makes this transaction's changes: the integration user unless {@link #actAs}. */
    private String user = userId;

    /**
     * Makes the changes as another user (the control API's update-as: an approver in the org), so
     * LastModifiedById and the change events' commitUser name that user.
     */
    public Txn actAs(String actingUserId) {
      this.user = actingUserId;
      return this;
    }

    public void commit() {
      publish(seal());
    }

    /** Ends the transaction's data part: its changes become the ones to publish. */
    List<ChangeEvent> seal() {
      synchronized (RecordStore.this) {
        check();
        done = true;
        // Only committed work makes the oldest records go, so a rollback never meets a record
        // that its own transaction evicted.
        for (SObjectType t : grown) {
          evictBeyondMax(t);
        }
        return List.copyOf(changes);
      }
    }

    private void grew(SObjectType t) {
      if (!grown.contains(t)) {
        grown.add(t);
      }
    }

    /** Emits the change events, outside the store's lock. */
    void publish(List<ChangeEvent> out) {
      if (!out.isEmpty()) {
        onCommit.accept(out);
      }
    }

    public void rollback() {
      synchronized (RecordStore.this) {
        check();
        done = true;
        while (!undo.isEmpty()) {
          undo.pop().run();
        }
      }
    }

    /** A savepoint: number of undo steps so far. */
    int mark() {
      return undo.size();
    }

    /** Rolls back to a savepoint (used when one record of a partial-success batch fails). */
    void rollbackTo(int mark, int changeMark) {
      synchronized (RecordStore.this) {
        while (undo.size() > mark) {
          undo.pop().run();
        }
        while (changes.size() > changeMark) {
          changes.remove(changes.size() - 1);
        }
      }
    }

    int changeMark() {
      return changes.size();
    }

    private void check() {
      if (done) {
        throw new IllegalStateException("transaction already finished");
      }
    }

    private void change(
        SObjectType t,
        String changeType,
        String id,
        List<String> changed,
        Map<String, Object> values,
        List<String> nulled) {
      if (t.cdcEnabled()) {
        changes.add(
            new ChangeEvent(
                t,
                changeType,
                id,
                changed,
                values,
                nulled,
                key,
                changes.size() + 1,
                clock.millis(),
                user));
      }
    }
  }

  public Txn begin() {
    return new Txn();
  }

  /** Runs {@code work} in its own transaction, committing on success. */
  public <T> T inTxn(java.util.function.Function<Txn, T> work) {
    Txn txn = begin();
    T result;
    List<ChangeEvent> out;
    // The whole unit of work holds the store's lock, so another request never reads half of it
    // (an allOrNone collection is one transaction in Salesforce); its events go out after.
    synchronized (this) {
      try {
        result = work.apply(txn);
        out = txn.seal();
      } catch (RuntimeException e) {
        txn.rollback();
        throw e;
      }
    }
    txn.publish(out);
    return result;
  }

  public SObjectType type(String name) {
    return schema
        .type(name)
        .orElseThrow(
            () -> new SalesforceError(404, "NOT_FOUND", "The requested resource does not exist"));
  }

  /** Storable (non-event) type or NOT_FOUND. */
  SObjectType recordType(String name) {
    SObjectType t = type(name);
    if (t.isPlatformEvent()) {
      throw new SalesforceError(
          400,
          "INVALID_TYPE",
          "Platform event "
              + t.name()
              + " supports only insert (publish); it has no stored records");
    }
    return t;
  }

  /**
   * Creates and updates per record id since start (seeds included, rolled-back writes too): lets a
   * test tell a record written by two clients, which the record itself cannot show.
   */
  private final Map<String, Long> writes = new java.util.HashMap<>();

  public synchronized Map<String, Long> writes() {
    return Map.copyOf(writes);
  }

  public synchronized String create(String typeName, Map<String, Object> body, Txn txn) {
    SObjectType t = recordType(typeName);
    Map<String, Object> values = FieldRules.normalize(t, body, true, this::ownerOf);
    if (values.containsKey("Id")) {
      throw new SalesforceError(
          400,
          "INVALID_FIELD_FOR_INSERT_UPDATE",
          "Unable to create/update fields: Id. Please check the security settings of this field"
              + " and verify that it is read/write for your profile or permission set.",
          List.of("Id"));
    }
    return insert(t, values, null, txn);
  }

  private String insert(SObjectType t, Map<String, Object> values, String fixedId, Txn txn) {
    Map<String, Object> built = new LinkedHashMap<>();
    String id = fixedId != null ? fixedId : ids.next(t.keyPrefix());
    String now = FieldRules.SF_DATETIME.format(clock.instant());
    for (FieldDef f : t.fields()) {
      built.put(f.name(), null);
    }
    for (FieldDef f : t.fields()) {
      if (f.defaultValue() != null) {
        built.put(f.name(), f.defaultValue());
      }
      if (f.autoNumber()) {
        built.put(f.name(), String.format("%08d", ++autoNumber));
      }
    }
    built.putAll(values);
    built.put("Id", id);
    built.put("IsDeleted", false);
    built.put("CreatedDate", now);
    built.put("LastModifiedDate", now);
    built.put("SystemModstamp", now);
    built.put("CreatedById", txn.user);
    built.put("LastModifiedById", txn.user);
    if (t.field("OwnerId").isPresent() && built.get("OwnerId") == null) {
      built.put("OwnerId", txn.user);
    }
    computeName(t, built);
    checkUnique(t, built, null);
    built.keySet().retainAll(t.fields().stream().map(FieldDef::name).toList());
    Map<String, Object> rec = new CompactRecord(layouts, built);
    table(t).put(id, rec);
    writes.merge(id, 1L, Long::sum);
    owners.put(id, t.name());
    index(t, rec, true);
    txn.grew(t);
    txn.undo.push(
        () -> {
          index(t, rec, false);
          table(t).remove(id);
          owners.remove(id);
        });
    Map<String, Object> payload = new LinkedHashMap<>();
    rec.forEach(
        (k, v) -> {
          if (v != null
              && !"Id".equals(k)
              && !"IsDeleted".equals(k)
              && !"SystemModstamp".equals(k)) {
            payload.put(k, v);
          }
        });
    txn.change(t, "CREATE", id, List.of(), payload, List.of());
    return id;
  }

  public synchronized void update(String typeName, String id, Map<String, Object> body, Txn txn) {
    SObjectType t = recordType(typeName);
    Map<String, Object> rec = find(t, id).orElseThrow(SalesforceError::notFound);
    Map<String, Object> values = FieldRules.normalize(t, body, false, this::ownerOf);
    apply(t, rec, values, txn);
  }

  private void apply(SObjectType t, Map<String, Object> rec, Map<String, Object> values, Txn txn) {
    Map<String, Object> before = new LinkedHashMap<>(rec);
    Map<String, Object> after = new LinkedHashMap<>(rec);
    after.putAll(values);
    String now = FieldRules.SF_DATETIME.format(clock.instant());
    after.put("LastModifiedDate", now);
    after.put("SystemModstamp", now);
    after.put("LastModifiedById", txn.user);
    computeName(t, after);
    checkUnique(t, after, (String) rec.get("Id"));
    index(t, before, false);
    rec.clear();
    rec.putAll(after);
    index(t, rec, true);
    writes.merge((String) rec.get("Id"), 1L, Long::sum);
    txn.undo.push(
        () -> {
          index(t, rec, false);
          rec.clear();
          rec.putAll(before);
          index(t, rec, true);
        });
    List<String> changed = new ArrayList<>();
    List<String> nulled = new ArrayList<>();
    Map<String, Object> payload = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : values.entrySet()) {
      if (!Objects.equals(before.get(e.getKey()), e.getValue())) {
        changed.add(e.getKey());
        payload.put(e.getKey(), e.getValue());
        if (e.getValue() == null) {
          nulled.add(e.getKey());
        }
      }
    }
    changed.add("LastModifiedDate");
    payload.put("LastModifiedDate", now);
    txn.change(t, "UPDATE", (String) rec.get("Id"), changed, payload, nulled);
  }

  public synchronized void delete(String typeName, String id, Txn txn) {
    SObjectType t = recordType(typeName);
    Map<String, Object> rec = find(t, id).orElseThrow(SalesforceError::notFound);
    String fullId = (String) rec.get("Id");
    index(t, rec, false);
    table(t).remove(fullId);
    owners.remove(fullId);
    Map<String, Object> tomb = new CompactRecord(layouts, rec);
    tomb.put("IsDeleted", true);
    tomb.put("LastModifiedDate", tomb.get("SystemModstamp"));
    LinkedHashMap<String, Map<String, Object>> bin =
        recycleBin.computeIfAbsent(t.name().toLowerCase(Locale.ROOT), k -> new LinkedHashMap<>());
    bin.put(fullId, tomb);
    txn.grew(t);
    txn.undo.push(
        () -> {
          bin.remove(fullId);
          table(t).put(fullId, rec);
          owners.put(fullId, t.name());
          index(t, rec, true);
        });
    txn.change(t, "DELETE", fullId, List.of(), Map.of(), List.of());
  }

  /** Upsert by external id: PATCH sobjects/{type}/{field}/{value}. */
  public synchronized UpsertResult upsert(
      String typeName, String fieldName, String value, Map<String, Object> body, Txn txn) {
    SObjectType t = recordType(typeName);
    FieldDef key = externalIdField(t, fieldName);
    List<Map<String, Object>> matches = findBy(t, key, value);
    if (matches.size() > 1) {
      throw new SalesforceError(
          300, "MULTIPLE_CHOICES", "More than one record found for " + key.name() + " = " + value);
    }
    Map<String, Object> withKey = new LinkedHashMap<>(body);
    withKey.keySet().removeIf(k -> k.equalsIgnoreCase(key.name()));
    if (matches.isEmpty()) {
      if (!"Id".equals(key.name())) {
        withKey.put(key.name(), value);
      } else {
        throw SalesforceError.notFound();
      }
      Map<String, Object> values = FieldRules.normalize(t, withKey, true, this::ownerOf);
      return new UpsertResult(insert(t, values, null, txn), true);
    }
    Map<String, Object> rec = matches.get(0);
    Map<String, Object> values = FieldRules.normalize(t, withKey, false, this::ownerOf);
    apply(t, rec, values, txn);
    return new UpsertResult((String) rec.get("Id"), false);
  }

  FieldDef externalIdField(SObjectType t, String fieldName) {
    FieldDef key =
        t.field(fieldName)
            .orElseThrow(
                () ->
                    new SalesforceError(
                        404,
                        "NOT_FOUND",
                        "Provided external ID field does not exist or is not accessible: "
                            + fieldName));
    if (!key.externalId() && !"Id".equals(key.name())) {
      throw new SalesforceError(
          400,
          "INVALID_FIELD",
          "Field " + key.name() + " is not an External ID or an Id field",
          List.of(key.name()));
    }
    return key;
  }

  /** Records whose external id field equals value (case-insensitive, as Salesforce does). */
  synchronized List<Map<String, Object>> findBy(SObjectType t, FieldDef key, String value) {
    if ("Id".equals(key.name())) {
      return find(t, value).map(List::of).orElse(List.of());
    }
    if (key.unique()) {
      // unique values are indexed (lower-cased, matching Salesforce's case-insensitive lookup)
      String id = uniqueMap(t, key).get(value.toLowerCase(Locale.ROOT));
      Map<String, Object> r = id == null ? null : table(t).get(id);
      return r == null ? List.of() : List.of(r);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> r : table(t).values()) {
      Object v = r.get(key.name());
      if (v != null && v.toString().equalsIgnoreCase(value)) {
        out.add(r);
      }
    }
    return out;
  }

  public synchronized Optional<Map<String, Object>> get(String typeName, String id) {
    return find(recordType(typeName), id).map(LinkedHashMap::new);
  }

  public synchronized List<Map<String, Object>> getByExternalId(
      String typeName, String field, String value) {
    SObjectType t = recordType(typeName);
    return findBy(t, externalIdField(t, field), value).stream()
        .map(r -> (Map<String, Object>) new LinkedHashMap<>(r))
        .toList();
  }

  /** Copies of every record of a type, in insertion order. */
  public synchronized List<Map<String, Object>> all(String typeName) {
    return table(recordType(typeName)).values().stream()
        .map(r -> (Map<String, Object>) new LinkedHashMap<>(r))
        .toList();
  }

  /** Copies of the deleted records of a type (IsDeleted = true), for queryAll. */
  public synchronized List<Map<String, Object>> deleted(String typeName) {
    SObjectType t = recordType(typeName);
    return recycleBin
        .getOrDefault(t.name().toLowerCase(Locale.ROOT), new LinkedHashMap<>())
        .values()
        .stream()
        .map(r -> (Map<String, Object>) new LinkedHashMap<>(r))
        .toList();
  }

  public synchronized int count(String typeName) {
    return table(recordType(typeName)).size();
  }

  /** Loads a seed record with no change events (the org existed before any subscriber). */
  synchronized String seed(String typeName, Map<String, Object> body) {
    SObjectType t = recordType(typeName);
    Map<String, Object> copy = new LinkedHashMap<>(body);
    Object fixedId = copy.remove("Id");
    Map<String, Object> values = FieldRules.normalize(t, copy, true, this::ownerOf);
    Txn txn = new Txn();
    String id =
        insert(t, values, fixedId == null ? null : SalesforceIds.to18(fixedId.toString()), txn);
    txn.done = true;
    return id;
  }

  synchronized void clear() {
    data.clear();
    recycleBin.clear();
    uniqueIndex.clear();
    owners.clear();
    autoNumber = 1000;
    evicted = 0;
  }

  /**
   * Forgets the oldest records of {@code t} beyond {@link #maxRecords}, and the oldest of its
   * recycle bin: as if deleted and then purged (no change event, as when Salesforce empties the
   * recycle bin). A later upsert by external id of a forgotten record creates a new one.
   */
  private void evictBeyondMax(SObjectType t) {
    LinkedHashMap<String, Map<String, Object>> table = table(t);
    var it = table.entrySet().iterator();
    while (table.size() > maxRecords && it.hasNext()) {
      Map.Entry<String, Map<String, Object>> oldest = it.next();
      it.remove();
      index(t, oldest.getValue(), false);
      owners.remove(oldest.getKey());
      writes.remove(oldest.getKey());
      evicted++;
    }
    LinkedHashMap<String, Map<String, Object>> bin =
        recycleBin.get(t.name().toLowerCase(Locale.ROOT));
    if (bin != null) {
      var deleted = bin.keySet().iterator();
      while (bin.size() > maxRecords && deleted.hasNext()) {
        writes.remove(deleted.next());
        deleted.remove();
      }
    }
  }

  /** Records forgotten since start or the last reset because of the per-object maximum. */
  public synchronized long evicted() {
    return evicted;
  }

  Optional<String> ownerOf(String id18) {
    synchronized (this) {
      return Optional.ofNullable(owners.get(id18));
    }
  }

  private Optional<Map<String, Object>> find(SObjectType t, String id) {
    if (!SalesforceIds.looksLikeId(id)) {
      return Optional.empty();
    }
    return Optional.ofNullable(table(t).get(SalesforceIds.to18(id)));
  }

  private LinkedHashMap<String, Map<String, Object>> table(SObjectType t) {
    return data.computeIfAbsent(t.name().toLowerCase(Locale.ROOT), k -> new LinkedHashMap<>());
  }

  private static void computeName(SObjectType t, Map<String, Object> rec) {
    Optional<FieldDef> name = t.field("Name");
    if (name.isPresent() && !name.get().createable() && t.field("LastName").isPresent()) {
      Object first = rec.get("FirstName");
      Object last = rec.get("LastName");
      rec.put("Name", first == null ? last : first + " " + last);
    }
  }

  private void checkUnique(SObjectType t, Map<String, Object> rec, String selfId) {
    for (FieldDef f : t.fields()) {
      if (!(f.unique() || f.externalId()) || rec.get(f.name()) == null) {
        continue;
      }
      String other = uniqueMap(t, f).get(rec.get(f.name()).toString().toLowerCase(Locale.ROOT));
      // An entry whose record is gone (an undo restored it after the record was evicted) is stale.
      if (other != null && !other.equals(selfId) && f.unique() && owners.containsKey(other)) {
        throw new SalesforceError(
            400,
            "DUPLICATE_VALUE",
            "duplicate value found: " + f.name() + " duplicates value on record with id: " + other,
            List.of());
      }
    }
  }

  private void index(SObjectType t, Map<String, Object> rec, boolean add) {
    for (FieldDef f : t.fields()) {
      if ((f.unique() || f.externalId()) && rec.get(f.name()) != null) {
        String v = rec.get(f.name()).toString().toLowerCase(Locale.ROOT);
        if (add) {
          String id = (String) rec.get("Id");
          uniqueMap(t, f)
              .compute(v, (k, old) -> old == null || !owners.containsKey(old) ? id : old);
        } else {
          uniqueMap(t, f).remove(v, rec.get("Id"));
        }
      }
    }
  }

  private Map<String, String> uniqueMap(SObjectType t, FieldDef f) {
    return uniqueIndex.computeIfAbsent(
        (t.name() + "." + f.name()).toLowerCase(Locale.ROOT), k -> new HashMap<>());
  }
}
