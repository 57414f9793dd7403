package org.twiliocrm.sandbox.salesforce;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A stored record: its values in one array, its field names in a {@link Layout} shared by every
 * record with the same fields in the same order (in practice all records of an object). A {@code
 * LinkedHashMap} of a message record's 29 fields cost about 1.5 KB besides the values; this costs
 * about 150 bytes. Keeps insertion order like the {@code LinkedHashMap} it replaces. Not
 * thread-safe: the store's lock guards its records and their layouts.
 */
final class CompactRecord extends AbstractMap<String, Object> {
  private static final Object[] NONE = new Object[0];

  /**
   * Field names in order and where each sits. A layout with one more name at the end is made once
   * and kept, so records built in the same field order end on the same layout.
   */
  static final class Layout {
    private final String[] names;
    private final Map<String, Integer> positions;
    private final Map<String, Layout> longer = new HashMap<>(2);

    /** The empty layout every record of a store starts from. */
    Layout() {
      this(new String[0]);
    }

    private Layout(String[] names) {
      this.names = names;
      this.positions = new HashMap<>(Math.max(2, names.length * 2));
      for (int i = 0; i < names.length; i++) {
        positions.put(names[i], i);
      }
    }

    private Layout with(String name) {
      return longer.computeIfAbsent(
          name,
          n -> {
            String[] more = Arrays.copyOf(names, names.length + 1);
            more[names.length] = n;
            return new Layout(more);
          });
    }

    private int indexOf(Object name) {
      Integer i = positions.get(name);
      return i == null ? -1 : i;
    }
  }

  private final Layout root;
  private Layout layout;
  private Object[] values = NONE;

  /** A record holding {@code fields}, in their order, on layouts grown from {@code root}. */
  CompactRecord(Layout root, Map<String, Object> fields) {
    this.root = root;
    this.layout = root;
    putAll(fields);
  }

  @Override
  public Object get(Object key) {
    int i = layout.indexOf(key);
    return i < 0 ? null : values[i];
  }

  @Override
  public boolean containsKey(Object key) {
    return layout.indexOf(key) >= 0;
  }

  @Override
  public int size() {
    return values.length;
  }

  @Override
  public Object put(String key, Object value) {
    int i = layout.indexOf(key);
    if (i >= 0) {
      Object old = values[i];
      values[i] = value;
      return old;
    }
    layout = layout.with(key);
    values = Arrays.copyOf(values, values.length + 1);
    values[values.length - 1] = value;
    return null;
  }

  @Override
  public Object remove(Object key) {
    int i = layout.indexOf(key);
    if (i < 0) {
      return null;
    }
    Object old = values[i];
    String[] names = layout.names;
    Object[] kept = values;
    layout = root;
    values = NONE;
    for (int j = 0; j < names.length; j++) {
      if (j != i) {
        put(names[j], kept[j]);
      }
    }
    return old;
  }

  @Override
  public void clear() {
    layout = root;
    values = NONE;
  }

  @Override
  public Set<Map.Entry<String, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return values.length;
      }

      @Override
      public Iterator<Map.Entry<String, Object>> iterator() {
        String[] names = layout.names;
        Object[] vals = values;
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < vals.length;
          }

          @Override
          public Map.Entry<String, Object> next() {
            if (next >= vals.length) {
              throw new NoSuchElementException();
            }
            int i = next++;
            return new AbstractMap.SimpleImmutableEntry<>(names[i], vals[i]);
          }
        };
      }
    };
  }
}
