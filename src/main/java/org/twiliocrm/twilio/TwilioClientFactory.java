package org.twiliocrm.twilio;

import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Response;
import com.twilio.http.TwilioRestClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.util.Timeout;

/**
 * Builds the one {@link TwilioRestClient} the connector uses, for real Twilio or the sandbox.
 *
 * <p>Three things differ from {@code new TwilioRestClient.Builder(sid, token).build()}:
 *
 * <ul>
 *   <li><b>Base URL.</b> twilio-java always builds {@code https://{domain}.twilio.com/...}. When a
 *       base URL is set, a route planner sends every request to that host and port instead; the
 *       Host header stays {@code api.twilio.com} / {@code verify.twilio.com} (or, with {@code
 *       twilio.region}/{@code twilio.edge}, {@code api.dublin.ie1.twilio.com}), so the sandbox
 *       routes on it and knows the region. Real Twilio and the sandbox take the same code path.
 *   <li><b>No hidden retries.</b> Apache HttpClient 5 re-sends a request answered 429/503 (after
 *       Retry-After) and twilio-java re-sends on any 5xx, POST included. One Messages create could
 *       become up to six sends. Both are off: the connector's own classified retry decides.
 *   <li><b>Pool size.</b> The SDK's default pool allows 20 connections per host; the connector runs
 *       many concurrent sends, so the pool is sized by {@code twilio.max-connections}.
 * </ul>
 */
public final class TwilioClientFactory implements AutoCloseable {

  private final TwilioClientSettings settings;
  private final PoolingHttpClientConnectionManager pool;
  private final SingleShotHttpClient httpClient;

  public TwilioClientFactory(TwilioClientSettings settings) {
    this.settings = settings;
    this.pool =
        PoolingHttpClientConnectionManagerBuilder.create()
            .setMaxConnTotal(settings.maxConnections())
            .setMaxConnPerRoute(settings.maxConnections())
            .setDefaultConnectionConfig(
                ConnectionConfig.custom()
                    .setConnectTimeout(Timeout.ofMilliseconds(settings.connectTimeoutMillis()))
                    .setSocketTimeout(Timeout.ofMilliseconds(settings.responseTimeoutMillis()))
                    .build())
            .build();
    HttpClientBuilder builder =
        HttpClientBuilder.create()
            .setConnectionManager(pool)
            .setDefaultRequestConfig(
                RequestConfig.custom()
                    .setResponseTimeout(Timeout.ofMilliseconds(settings.responseTimeoutMillis()))
                    .build())
            // Apache's DefaultHttpRequestRetryStrategy would re-send a 429/503 POST once.
            .disableAutomaticRetries();
    if (settings.baseUrl() != null) {
      URI base = URI.create(settings.baseUrl());
      int port =
          base.getPort() != -1 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
      HttpHost target = new HttpHost(base.getScheme(), base.getHost(), port);
      HttpRoute route = new HttpRoute(target, null, "https".equals(base.getScheme()));
      builder.setRoutePlanner((host, context) -> route);
    }
    this.httpClient = new SingleShotHttpClient(builder);
  }

  /** A new client sharing this factory's pool; cheap, thread-safe, keep one per account. */
  public TwilioRestClient create() {
    TwilioRestClient.Builder builder =
        new TwilioRestClient.Builder(settings.username(), settings.password())
            .accountSid(settings.accountSid())
            .httpClient(httpClient);
    // twilio-java puts both into every request's host (api.dublin.ie1.twilio.com); with a base
    // URL the request still goes to that host and port, the Host header names the region.
    TwilioRegion region = settings.region();
    if (region.region() != null) {
      builder.region(region.region());
    }
    if (region.edge() != null) {
      builder.edge(region.edge());
    }
    return builder.build();
  }

  public TwilioClientSettings settings() {
    return settings;
  }

  @Override
  public void close() {
    try {
      httpClient.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    pool.close();
  }

  /**
   * twilio-java's client with its own retry loop switched off: {@code reliableRequest} re-sends
   * while {@code shouldRetry} says so, and any 5xx says so.
   */
  static final class SingleShotHttpClient extends NetworkHttpClient {
    SingleShotHttpClient(HttpClientBuilder builder) {
      super(builder);
    }

    @Override
    protected boolean shouldRetry(Response response, int[] retryCodes) {
      return false;
    }

    void close() throws IOException {
      client.close();
    }
  }
}
