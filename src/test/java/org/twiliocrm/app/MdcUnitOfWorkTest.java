package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.UnitOfWorkFactory;
import org.apache.camel.support.AsyncProcessorSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.twiliocrm.governance.Channel;
import org.twiliocrm.outbound.OutboxRow;
import org.twiliocrm.outbound.OutboxWork;
import org.twiliocrm.outbound.Outcome;

/**
 * The correlation ids are worked out once per exchange and left in the MDC between synchronous
 * steps: each step still sees its exchange's current ids (after a new body, a decided outcome, a
 * hop to another thread), and no thread keeps them once the exchange is done or has moved on.
 */
class MdcUnitOfWorkTest {
  private final ExecutorService other = Executors.newSingleThreadExecutor();
  private final List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
  private CamelContext ctx;
  private ProducerTemplate template;

  @BeforeEach
  void start() throws Exception {
    ctx = new DefaultCamelContext();
    ctx.getCamelContextExtension()
        .addContextPlugin(UnitOfWorkFactory.class, new MdcUnitOfWork.Factory());
    ctx.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:row")
                .process(e -> see())
                .process(e -> e.getMessage().setBody(work(8)))
                .process(e -> see())
                .process(
                    e ->
                        e.getMessage()
                            .getBody(OutboxWork.class)
                            .decide(new Outcome("SENT", null, null, null, "SM1", "queued", 1, 0)))
                .process(e -> see())
                .process(new OtherThread())
                .process(e -> see())
                .setBody(constant("plain"))
                .process(e -> see());
          }
        });
    ctx.start();
    template = ctx.createProducerTemplate();
  }

  @AfterEach
  void stop() throws Exception {
    ctx.close();
    other.shutdownNow();
  }

  @Test
  void everyStepSeesItsExchangesIdsAndNoThreadKeepsThem() throws Exception {
    Map<String, Object> headers = new HashMap<>();
    headers.put("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    template.sendBodyAndHeaders("direct:row", work(7), headers);

    assertThat(seen).hasSize(5);
    assertThat(seen.get(0))
        .containsEntry("outboxId", "7")
        .containsEntry("traceId", "0af7651916cd43dd8448eb211c80319c")
        .doesNotContainKey("sid");
    // A new body: its row.
    assertThat(seen.get(1)).containsEntry("outboxId", "8").doesNotContainKey("sid");
    // The same body with an outcome decided: its SID.
    assertThat(seen.get(2)).containsEntry("outboxId", "8").containsEntry("sid", "SM1");
    // On the thread the asynchronous step finished on.
    assertThat(seen.get(3))
        .containsEntry("outboxId", "8")
        .containsEntry("sid", "SM1")
        .containsEntry("traceId", "0af7651916cd43dd8448eb211c80319c")
        .containsEntry("threadIsOther", "true");
    // A body that is no outbox row: no row id, the trace id still.
    assertThat(seen.get(4))
        .doesNotContainKey("outboxId")
        .doesNotContainKey("sid")
        .containsEntry("traceId", "0af7651916cd43dd8448eb211c80319c");

    // Neither the caller's thread nor the one the exchange finished on keeps any of it.
    assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    Map<String, String> left = other.submit(MDC::getCopyOfContextMap).get();
    assertThat(left == null ? Map.of() : left).isEmpty();
  }

  private void see() {
    Map<String, String> mdc = new HashMap<>(MDC.getCopyOfContextMap());
    if (Thread.currentThread().getName().startsWith("other")) {
      mdc.put("threadIsOther", "true");
    }
    seen.add(mdc);
  }

  private static OutboxWork work(long id) {
    return new OutboxWork(
        new OutboxRow(
            id,
            "k" + id,
            Channel.of("sms"),
            "+14155550100",
            "+15005550006",
            null,
            "hi",
            null,
            null,
            null,
            null,
            null,
            "SENDING",
            1,
            "me",
            Instant.EPOCH,
            Instant.EPOCH,
            null,
            OutboxRow.Gov.NONE,
            null,
            null));
  }

  /** Finishes on another thread, as a writer or an HTTP client's callback does. */
  private final class OtherThread extends AsyncProcessorSupport {
    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
      other.execute(
          () -> {
            Thread.currentThread().setName("other");
            callback.done(false);
          });
      return false;
    }
  }
}
