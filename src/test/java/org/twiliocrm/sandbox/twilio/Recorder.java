package org.twiliocrm.sandbox.twilio;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/** A tiny webhook receiver for tests: records every POST, answers with a configurable body. */
final class Recorder implements AutoCloseable {
  record Hit(
      String path, String query, String signature, Map<String, List<String>> params, String raw) {
    String param(String name) {
      List<String> v = params.get(name);
      return v == null ? null : v.get(0);
    }
  }

  final List<Hit> hits = new CopyOnWriteArrayList<>();
  final AtomicReference<String> reply = new AtomicReference<>("<Response/>");
  final AtomicReference<Integer> status = new AtomicReference<>(200);

  /** While set and not counted down, every request waits for it (at most 60 s) before answering. */
  final AtomicReference<java.util.concurrent.CountDownLatch> gate = new AtomicReference<>();

  private final HttpServer server;

  Recorder() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        ex -> {
          String raw = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          java.util.concurrent.CountDownLatch g = gate.get();
          if (g != null) {
            try {
              g.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          hits.add(
              new Hit(
                  ex.getRequestURI().getPath(),
                  ex.getRequestURI().getRawQuery(),
                  ex.getRequestHeaders().getFirst("X-Twilio-Signature"),
                  Wire.decodeForm(raw),
                  raw));
          byte[] out = reply.get().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/xml");
          ex.sendResponseHeaders(status.get(), out.length);
          ex.getResponseBody().write(out);
          ex.close();
        });
    server.start();
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /**
   * Status callbacks of one message or call, so a late callback of an earlier test never counts.
   */
  List<Hit> about(String path, String sid) {
    return at(path).stream()
        .filter(h -> sid.equals(h.param("MessageSid")) || sid.equals(h.param("CallSid")))
        .toList();
  }

  List<Hit> at(String path) {
    return hits.stream().filter(h -> h.path.equals(path)).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
