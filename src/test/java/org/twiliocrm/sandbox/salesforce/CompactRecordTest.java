package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stored record behaves as the insertion-ordered map it replaced. */
class CompactRecordTest {
  @Test
  void behavesAsALinkedHashMapWithTheSameOperations() {
    CompactRecord.Layout root = new CompactRecord.Layout();
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("Id", "a0X000000000001AAA");
    expected.put("Name", null);
    expected.put("Status__c", "sent");
    Map<String, Object> rec = new CompactRecord(root, expected);
    assertThat(rec).isEqualTo(expected).hasSameHashCodeAs(expected);
    assertThat(rec.keySet()).containsExactly("Id", "Name", "Status__c");
    assertThat(rec.containsKey("Name")).isTrue();
    assertThat(rec.get("Name")).isNull();
    assertThat(rec.get("Nope")).isNull();
    assertThat(rec.containsKey("Nope")).isFalse();

    // put of a present key keeps its place; a new key goes last
    for (Map<String, Object> m : java.util.List.of(rec, expected)) {
      assertThat(m.put("Status__c", "delivered")).isEqualTo("sent");
      assertThat(m.put("Body__c", "hi")).isNull();
    }
    assertThat(rec).isEqualTo(expected);
    assertThat(rec.keySet()).containsExactly("Id", "Name", "Status__c", "Body__c");
    assertThat(new LinkedHashMap<>(rec).toString()).isEqualTo(expected.toString());

    // remove, then clear and refill as an update does
    assertThat(rec.remove("Name")).isNull();
    expected.remove("Name");
    assertThat(rec).isEqualTo(expected);
    assertThat(rec.keySet()).containsExactly("Id", "Status__c", "Body__c");
    Map<String, Object> before = new LinkedHashMap<>(rec);
    rec.clear();
    assertThat(rec).isEmpty();
    rec.putAll(before);
    assertThat(rec).isEqualTo(before);
    assertThat(rec.keySet()).containsExactly("Id", "Status__c", "Body__c");

    // another record on the same root, other values: independent of the first
    Map<String, Object> other = new CompactRecord(root, expected);
    other.put("Status__c", "failed");
    assertThat(rec.get("Status__c")).isEqualTo("delivered");
    assertThat(other.get("Status__c")).isEqualTo("failed");
  }
}
