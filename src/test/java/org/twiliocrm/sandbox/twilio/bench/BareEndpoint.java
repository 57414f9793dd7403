package org.twiliocrm.sandbox.twilio.bench;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

/** The floor: a Vert.x endpoint that answers every request with the same Message JSON. */
final class BareEndpoint implements AutoCloseable {
  private static final Buffer BODY =
      Buffer.buffer(
          "{\"account_sid\":\"AC00000000000000000000000000000000\",\"sid\":\"SM00000000000000000000000000000000\","
              + "\"status\":\"queued\",\"to\":\"+14155550100\",\"from\":\"+15005550006\",\"body\":\"x\"}");
  private final Vertx vertx = Vertx.vertx();
  private final int port;

  BareEndpoint() throws Exception {
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    HttpServerOptions o =
        new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true);
    vertx
        .deployVerticle(
            () ->
                new AbstractVerticle() {
                  @Override
                  public void start(Promise<Void> p) {
                    vertx
                        .createHttpServer(o)
                        .requestHandler(
                            req ->
                                req.body()
                                    .onSuccess(
                                        b ->
                                            req.response()
                                                .setStatusCode(201)
                                                .putHeader("Content-Type", "application/json")
                                                .end(BODY)))
                        .listen()
                        .<Void>mapEmpty()
                        .onComplete(p);
                  }
                },
            new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
