package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One write-back sink's batch cycle, bound by a kamelet through {@code template.beans}: {@link
 * #next} takes the next batch from the database and makes it the body (a predicate: false when
 * nothing is due), and the same bean, as the {@code enrich} step's aggregation strategy, settles
 * the batch from Salesforce's answer or failure. The call and its acknowledgement are one step:
 * there is no separate "mark as sent" step to forget. A batch that is never settled is caught by
 * the next {@link #next} call, loudly.
 */
public abstract class WritebackSink implements AggregationStrategy, Predicate {
  private static final Logger LOG = LoggerFactory.getLogger(WritebackSink.class);
  static final ObjectMapper JSON = new ObjectMapper();

  /** A batch in flight: the collection body, what each entry stands for, whether more may wait. */
  static final class Batch {
    final String body;
    final List<Long> ids;
    final List<String> keys;
    final boolean more;
    boolean settled;

    Batch(ArrayNode records, List<Long> ids, List<String> keys, boolean more) {
      ObjectNode collection = JSON.createObjectNode();
      collection.put("allOrNone", false);
      collection.set("records", records);
      this.body = collection.toString();
      this.ids = ids;
      this.keys = keys;
      this.more = more;
    }
  }

  private CrmWriteback writeback;

  /** The shared write-back state (bean crmWriteback); set by the kamelet's template bean. */
  public void setWriteback(CrmWriteback writeback) {
    this.writeback = writeback;
  }

  CrmWriteback writeback() {
    if (writeback == null) {
      throw new IllegalStateException(getClass().getSimpleName() + ": writeback is not set");
    }
    return writeback;
  }

  /** Builds the next batch, or null when nothing is due. */
  abstract Batch take(Exchange exchange) throws Exception;

  /** Settles a batch from Salesforce's per-record results (null entries: no result). */
  abstract void settle(Batch batch, JsonNode results) throws Exception;

  /** Gives the batch's claimed records back after the call failed as a whole. */
  abstract void release(Batch batch) throws Exception;

  /** Keys whose write may still land after an unclear failure (messages only). */
  List<String> suspectKeys(Batch batch) {
    return List.of();
  }

  private String property() {
    return "twiliocrm.writeback." + getClass().getSimpleName();
  }

  /**
   * Loop predicate or filter: true with the next batch as the body, false when nothing is due, the
   * write-back is paused, or the previous batch of this exchange was the last one.
   */
  public boolean next(Exchange exchange) {
    Batch open = exchange.getProperty(property(), Batch.class);
    if (open != null && !open.settled) {
      throw new IllegalStateException(
          getClass().getSimpleName()
              + ": the previous batch was never settled; send each batch with enrich and this"
              + " bean as its aggregationStrategy (aggregateOnException: true)");
    }
    exchange.removeProperty(property());
    if (open != null && !open.more) {
      return false;
    }
    CrmWriteback wb = writeback();
    wb.metrics(exchange.getContext());
    if (wb.guard().paused()) {
      return false;
    }
    Batch batch;
    try {
      batch = take(exchange);
    } catch (Exception e) {
      fail(exchange, null, e);
      return false;
    }
    if (batch == null) {
      return false;
    }
    exchange.setProperty(property(), batch);
    exchange.getMessage().setBody(batch.body);
    return true;
  }

  /**
   * Used through the ref language ({@code ref: "{{bean}}"}), which hands over the exchange itself:
   * a bean method call would see a copy, and the batch it takes would be lost.
   */
  @Override
  public boolean matches(Exchange exchange) {
    return next(exchange);
  }

  /** The enrich step's result: Salesforce's answer (or failure) for the batch in flight. */
  @Override
  public Exchange aggregate(Exchange original, Exchange result) {
    Batch batch = original.getProperty(property(), Batch.class);
    if (batch == null || batch.settled) {
      throw new IllegalStateException(
          getClass().getSimpleName() + ": no batch to settle; call next before the enrich step");
    }
    batch.settled = true;
    Throwable e = result == null ? null : result.getException();
    if (e == null) {
      try {
        JsonNode results = JSON.readTree(result.getMessage().getBody(String.class));
        writeback().succeeded();
        settle(batch, results != null && results.isArray() ? results : JSON.createArrayNode());
        return original;
      } catch (Exception settleFailed) {
        e = settleFailed;
      }
    }
    fail(original, batch, e);
    return original;
  }

  /** The call (or reading the database) failed as a whole: nothing is marked, all sinks pause. */
  private void fail(Exchange exchange, Batch batch, Throwable e) {
    CrmWriteback wb = writeback();
    Duration wait = wb.guard().failed(e, batch == null ? List.of() : suspectKeys(batch));
    wb.metrics(exchange.getContext()).call(false);
    LOG.warn(
        "Salesforce write-back failed ({} in a row), retrying in {} ms: {}",
        wb.guard().consecutiveFailures(),
        wait.toMillis(),
        e == null ? "unknown" : e.getMessage());
    if (batch != null) {
      try {
        // Due again at once for whichever replica tries first after its pause, instead of
        // after the lease.
        release(batch);
      } catch (Exception releaseFailed) {
        LOG.warn(
            "Releasing the claim on a failed write-back batch failed (its lease runs out"
                + " instead): {}",
            releaseFailed.getMessage());
      }
      // settled as failed: the loop ends here, the next tick tries again after the pause
      Batch last = new Batch(JSON.createArrayNode(), List.of(), List.of(), false);
      last.settled = true;
      exchange.setProperty(property(), last);
    }
  }

  static boolean ok(JsonNode r) {
    return r != null && r.path("success").asBoolean(false);
  }

  static String reason(JsonNode r) {
    String s = r == null || r.isMissingNode() ? "no result" : r.path("errors").toString();
    return s.length() <= 1000 ? s : s.substring(0, 1000);
  }
}
