package org.twiliocrm.sandbox.twilio;

import io.netty.channel.ChannelOption;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Twilio: the 2010-04-01 Messages and Calls API and Verify v2, over HTTP, on Vert.x.
 *
 * <p>Requests are routed on the Host header twilio-java sends ({@code api.twilio.com}, {@code
 * verify.twilio.com}) or on the path; {@code /sandbox/...} is the control and inspection API (see
 * CONTROL-API.md). Start with {@link #start(TwilioSandboxSettings)}, stop with {@link #close()}.
 */
public final class TwilioSandbox implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TwilioSandbox.class);
  private static final String API_PREFIX = "/2010-04-01/Accounts/";

  /**
   * Every operation the sandbox serves, as "METHOD path" with the path template of Twilio's
   * OpenAPI. docs/sandbox-coverage.md is generated from this list and the OpenAPI
   * (TwilioCoverageTest), and a test sends each one to prove it is routed.
   */
  public static final List<String> SUPPORTED =
      List.of(
          "POST /2010-04-01/Accounts/{AccountSid}/Messages.json",
          "GET /2010-04-01/Accounts/{AccountSid}/Messages.json",
          "GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
          "POST /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
          "DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
          "POST /2010-04-01/Accounts/{AccountSid}/Calls.json",
          "GET /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
          "POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
          "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
          "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
          "POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
          "GET /v1/Services",
          "GET /v1/Services/{Sid}",
          "POST /v1/Services/{Sid}",
          "GET /v1/Services/{ServiceSid}/PhoneNumbers",
          "GET /v1/Services/{MessagingServiceSid}/Compliance/Usa2p",
          "GET /v1/Tollfree/Verifications",
          "POST /v2/Services",
          "GET /v2/Services",
          "GET /v2/Services/{Sid}",
          "POST /v2/Services/{Sid}",
          "DELETE /v2/Services/{Sid}",
          "POST /v2/Services/{ServiceSid}/Verifications",
          "GET /v2/Services/{ServiceSid}/Verifications/{Sid}",
          "POST /v2/Services/{ServiceSid}/Verifications/{Sid}",
          "POST /v2/Services/{ServiceSid}/VerificationCheck");

  private final TwilioSandboxSettings settings;
  private final Vertx vertx;
  private final SandboxState state;
  private final SenderRegistry senders;
  private final SenderPacer pacer;
  private final OutcomeRules outcomes;
  private final CallbackSender callbacks;
  private final Messages messages;
  private final Handsets handsets;
  private final Calls calls;
  private final Verify verify;
  private final IncomingNumbers incomingNumbers;
  private final MessagingApi messaging;
  private final ControlApi control;

  /**
   * Twilio's OpenAPI takes about 1.5 s of CPU to load, so it loads on its own thread: at once, or
   * (inside the connector) once the connector is ready, see {@link #startLazy}. A request that
   * arrives before it is loaded starts the load if needed and waits for it rather than going
   * unchecked.
   */
  private volatile CompletableFuture<SpecValidator> validator;

  private final AtomicBoolean validatorLoadStarted = new AtomicBoolean();

  private volatile boolean validateRequests;
  private volatile boolean validateResponses;
  private volatile Faults faults = Faults.NONE;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Authorization header -> account SID, for credentials already checked once. */
  private final Map<String, String> knownAuth = new ConcurrentHashMap<>();

  private int port;

  private TwilioSandbox(TwilioSandboxSettings settings, boolean loadValidatorNow) {
    this.settings = settings;
    this.state = new SandboxState(settings.maxMessages());
    int loops =
        settings.eventLoops() > 0
            ? settings.eventLoops()
            : 2 * Runtime.getRuntime().availableProcessors();
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    this.pacer = new SenderPacer(settings);
    this.outcomes = new OutcomeRules(settings.outcomeRules());
    this.callbacks =
        new CallbackSender(vertx, () -> faults, this::authToken, settings.callbackTimeoutMillis());
    callbacks.signFragment(settings.callbackSignFragment());
    if (!settings.callbackSigningKeyId().isEmpty()) {
      callbacks.signWithKey(settings.callbackSigningKeyId(), settings.callbackSigningKey());
    }
    this.senders = SenderRegistry.of(settings);
    this.messages = new Messages(settings, state, pacer, outcomes, callbacks, vertx, senders);
    this.messaging = new MessagingApi(settings, state, senders);
    this.handsets = new Handsets(settings, state, messages, callbacks, messaging::inboundUrl);
    this.calls = new Calls(settings, state, callbacks, vertx, senders);
    this.verify = new Verify(settings, state);
    this.incomingNumbers = new IncomingNumbers(settings, state, senders);
    this.control = new ControlApi(this, state, handsets, calls, outcomes, vertx);
    this.validateRequests = settings.validateRequests();
    this.validateResponses = settings.validateResponses();
    if (validateRequests || validateResponses) {
      this.validator = new CompletableFuture<>();
      if (loadValidatorNow) {
        loadValidation();
      }
    }
  }

  /**
   * Starts loading Twilio's OpenAPI for the request and response checks, if validation is on and
   * the load has not started yet. Returns at once.
   */
  public void loadValidation() {
    CompletableFuture<SpecValidator> f = validator;
    if (f == null || !validatorLoadStarted.compareAndSet(false, true)) {
      return;
    }
    Thread t =
        new Thread(
            () -> {
              try {
                f.complete(SpecValidator.forDir(settings.openApiDir()));
              } catch (Throwable e) {
                LOG.error("Twilio OpenAPI could not be loaded; validated requests get 500", e);
                f.completeExceptionally(e);
              }
            },
            "twilio-sandbox-openapi");
    t.setDaemon(true);
    t.start();
  }

  /** Starts a sandbox and waits until it listens; the OpenAPI starts loading at once. */
  public static TwilioSandbox start(TwilioSandboxSettings settings) {
    return start(settings, true);
  }

  /**
   * Starts a sandbox whose OpenAPI loads on the first request or on {@link #loadValidation()}: the
   * connector calls that once it is ready, so the load does not compete with its start-up.
   */
  public static TwilioSandbox startLazy(TwilioSandboxSettings settings) {
    return start(settings, false);
  }

  private static TwilioSandbox start(TwilioSandboxSettings settings, boolean loadValidatorNow) {
    TwilioSandbox s = new TwilioSandbox(settings, loadValidatorNow);
    try {
      s.listen();
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void listen() {
    int wanted = settings.port();
    if (wanted == 0) {
      // Every event loop binds the same port; pick it once so the instances share it.
      try (ServerSocket probe = new ServerSocket(0)) {
        wanted = probe.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    int bind = wanted;
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(settings.host())
            .setPort(bind)
            .setTcpNoDelay(true)
            .setCompressionSupported(false)
            .setIdleTimeout(120)
            .setIdleTimeoutUnit(TimeUnit.SECONDS);
    int instances =
        settings.eventLoops() > 0
            ? settings.eventLoops()
            : Runtime.getRuntime().availableProcessors();
    try {
      vertx
          .deployVerticle(
              () ->
                  new AbstractVerticle() {
                    @Override
                    public void start(Promise<Void> started) {
                      vertx
                          .createHttpServer(options)
                          .requestHandler(TwilioSandbox.this::handle)
                          .listen()
                          .<Void>mapEmpty()
                          .onComplete(started);
                    }
                  },
              new DeploymentOptions().setInstances(instances))
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "sandbox.twilio.port: cannot listen on "
              + settings.host()
              + ":"
              + bind
              + ": "
              + e.getMessage(),
          e);
    }
    this.port = bind;
    LOG.info(
        "Twilio sandbox listening on {} (request validation {})",
        baseUrl(),
        validateRequests ? "on" : "off");
  }

  public int port() {
    return port;
  }

  /** {@code http://host:port}, what {@code twilio.base-url} should be set to. */
  public String baseUrl() {
    return "http://" + settings.host() + ":" + port;
  }

  public TwilioSandboxSettings settings() {
    return settings;
  }

  /** The numbers and Messaging Services the sandbox's account owns. */
  MessagingApi messaging() {
    return messaging;
  }

  public SenderRegistry senders() {
    return senders;
  }

  /** The first configured account, the one handsets and sandbox numbers belong to. */
  public String accountSid() {
    return settings.accounts().keySet().iterator().next();
  }

  /**
   * The auth token of an account, which signs its callbacks; {@code AC...@ie1} names the account's
   * token in a region other than us1 ({@link SandboxMessage#signer()}).
   */
  public String authToken(String accountSid) {
    int at = accountSid.indexOf('@');
    if (at > 0) {
      String region = accountSid.substring(at + 1);
      String t = regionToken(accountSid.substring(0, at), region);
      if (t == null) {
        throw new IllegalArgumentException("no token for region " + region);
      }
      return t;
    }
    String t = settings.accounts().get(accountSid);
    if (t == null) {
      throw new IllegalArgumentException("unknown account " + accountSid);
    }
    return t;
  }

  /**
   * The account's auth token in a region: us1's is the account's own; the others are the first
   * account's in {@code sandbox.twilio.region-auth-tokens}. Null when the region has none.
   */
  String regionToken(String accountSid, String region) {
    if (region == null || org.twiliocrm.twilio.TwilioRegion.DEFAULT.equals(region)) {
      return settings.accounts().get(accountSid);
    }
    return accountSid.equals(accountSid()) ? settings.regionAuthTokens().get(region) : null;
  }

  /**
   * What survives a restart ({@code sandbox --state-dir}): messages and Verify services, as JSON.
   * Calls, verifications, inboxes and opt-outs are short-lived and start empty.
   */
  public byte[] saveState() {
    state.lock.writeLock().lock();
    try {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put(
          "messages",
          state.messages.values().stream()
              .sorted(java.util.Comparator.comparing(m -> m.dateCreated))
              .map(SandboxMessage::toSaved)
              .toList());
      out.put("verifyServices", List.copyOf(state.verifyServices.values()));
      return Wire.json(out);
    } finally {
      state.lock.writeLock().unlock();
    }
  }

  /**
   * Restores what {@link #saveState()} wrote. A message that was still on its way keeps its last
   * status (its life cycle does not resume).
   *
   * @return the number of messages restored
   */
  @SuppressWarnings("unchecked")
  public int restoreState(byte[] json) {
    Map<String, Object> in;
    try {
      in = Wire.JSON.readValue(json, Map.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Twilio sandbox state is not valid JSON: " + e.getMessage());
    }
    state.lock.writeLock().lock();
    try {
      int n = 0;
      for (Map<String, Object> m :
          (List<Map<String, Object>>) in.getOrDefault("messages", List.of())) {
        SandboxMessage restored =
            new SandboxMessage(
                m,
                java.time.Instant.parse((String) m.get("date_created")),
                m.get("date_sent") == null
                    ? null
                    : java.time.Instant.parse((String) m.get("date_sent")),
                java.time.Instant.parse((String) m.get("date_updated")));
        state.add(restored);
        n++;
      }
      for (Map<String, Object> svc :
          (List<Map<String, Object>>) in.getOrDefault("verifyServices", List.of())) {
        state.verifyServices.put((String) svc.get("sid"), new LinkedHashMap<>(svc));
      }
      return n;
    } finally {
      state.lock.writeLock().unlock();
    }
  }

  Faults faults() {
    return faults;
  }

  void faults(Faults f) {
    this.faults = f;
  }

  /** Turns validation on or off at run time (the OpenAPI is loaded on first use). */
  synchronized void validation(boolean requests, boolean responses) {
    if ((requests || responses) && validator == null) {
      validator = new CompletableFuture<>();
    }
    if (requests || responses) {
      loadValidation();
    }
    validateRequests = requests;
    validateResponses = responses;
  }

  Map<String, Object> validationStatus() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("requests", validateRequests);
    m.put("responses", validateResponses);
    synchronized (state.responseViolations) {
      m.put("responseViolations", List.copyOf(state.responseViolations));
    }
    return m;
  }

  /** Forgets everything at once: requests in progress finish before, later ones see it empty. */
  void reset() {
    state.lock.writeLock().lock();
    try {
      state.reset();
      senders.reset();
      pacer.reset();
      outcomes.reset();
      verify.reset();
      faults = Faults.NONE;
    } finally {
      state.lock.writeLock().unlock();
    }
  }

  // ---------------------------------------------------------------- request handling

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.startsWith("/sandbox/") || path.equals("/sandbox")) {
      control.handle(req);
      return;
    }
    state.countRequest(req.method().name(), path);
    Faults f = faults;
    int cap = f.maxInFlight() != null ? f.maxInFlight() : settings.maxInFlight();
    if (inFlight.incrementAndGet() > cap) {
      send(req, new ApiError(429, 20429, "Too Many Requests"));
      return;
    }
    if (Faults.roll(f.resetRate())) {
      inFlight.decrementAndGet();
      resetConnection(req);
      return;
    }
    boolean create = req.method() == HttpMethod.POST && path.endsWith("/Messages.json");
    req.body()
        .onSuccess(
            body -> {
              if (create) {
                whenBacklogAllows(req, body, f, System.nanoTime());
              } else {
                afterLatency(req, body, f);
              }
            })
        .onFailure(err -> inFlight.decrementAndGet());
  }

  private void afterLatency(HttpServerRequest req, Buffer body, Faults f) {
    int delay = f.latency();
    if (delay > 0) {
      vertx.setTimer(delay, id -> processWhenValidatorReady(req, body, f));
    } else {
      processWhenValidatorReady(req, body, f);
    }
  }

  /** Status callbacks waiting to be posted or being posted (for tests). */
  int callbackBacklog() {
    return callbacks.backlog();
  }

  /** Longest a message create waits for the callback backlog to fall (then it goes on anyway). */
  static final long BACKLOG_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** Whether creates are being held back, to log once when that starts and once when it ends. */
  private volatile boolean holdingCreates;

  /**
   * A message create waits while more than {@code max-callback-backlog} status callbacks wait to be
   * posted. Every waiting callback keeps its message (and its history) in memory, and a receiver
   * slower than the senders (the whole loop with 100,000 rows inserted at once: 200,000 callbacks
   * behind) made that backlog fill a 256 MB heap. Holding the create back paces the client at the
   * receiver's speed, as a slow API would; nothing is refused, and after {@link
   * #BACKLOG_WAIT_NANOS} the create goes on regardless, so a receiver that is down cannot stop
   * sends for good. The request is parked on a timer, never on the event loop.
   */
  private void whenBacklogAllows(HttpServerRequest req, Buffer body, Faults f, long since) {
    int backlog = callbacks.backlog();
    if (backlog > settings.maxCallbackBacklog()) {
      if (System.nanoTime() - since < BACKLOG_WAIT_NANOS) {
        if (!holdingCreates) {
          holdingCreates = true;
          LOG.info(
              "Twilio sandbox: {} status callbacks wait to be posted (more than"
                  + " sandbox.twilio.max-callback-backlog={}); message creates wait for the"
                  + " receiver to catch up",
              backlog,
              settings.maxCallbackBacklog());
        }
        vertx.setTimer(20, id -> whenBacklogAllows(req, body, f, since));
        return;
      }
    } else if (holdingCreates) {
      holdingCreates = false;
      LOG.info("Twilio sandbox: callback backlog down to {}; message creates go on", backlog);
    }
    afterLatency(req, body, f);
  }

  private void processWhenValidatorReady(HttpServerRequest req, Buffer body, Faults f) {
    CompletableFuture<SpecValidator> v = validator;
    if ((validateRequests || validateResponses) && v != null && !v.isDone()) {
      // Only in the first seconds after start-up: park the request, never the event loop.
      loadValidation();
      Context ctx = vertx.getOrCreateContext();
      v.whenComplete((ok, err) -> ctx.runOnContext(x -> process(req, body, f)));
      return;
    }
    process(req, body, f);
  }

  private SpecValidator validator() {
    try {
      return validator.join();
    } catch (CompletionException e) {
      throw new ApiError(500, 20500, "Internal Server Error: sandbox OpenAPI not loaded");
    }
  }

  private void process(HttpServerRequest req, Buffer body, Faults f) {
    try {
      if (Faults.roll(f.error500Rate())) {
        throw new ApiError(500, 20500, "Internal Server Error");
      }
      if (Faults.roll(f.error503Rate())) {
        throw new ApiError(503, 20503, "Service Unavailable");
      }
      String path = req.path();
      String host = req.getHeader("Host");
      SpecValidator.Spec spec =
          path.startsWith("/v2/") || (host != null && host.startsWith("verify."))
              ? SpecValidator.Spec.VERIFY
              : path.startsWith("/v1/") || (host != null && host.startsWith("messaging."))
                  ? SpecValidator.Spec.MESSAGING
                  : SpecValidator.Spec.API;
      boolean verifyApi = spec != SpecValidator.Spec.API;
      String method = req.method().name();
      Map<String, List<String>> form =
          body.length() == 0 ? Map.of() : Wire.decodeForm(body.toString(StandardCharsets.UTF_8));
      Map<String, List<String>> query = query(req);
      // twilio-java with a region/edge calls api.dublin.ie1.twilio.com: the request is processed
      // "in" that region and only the region's credentials are valid there.
      String region = org.twiliocrm.twilio.TwilioRegion.ofHost(host).effectiveRegion();
      String account = authenticate(req, path, verifyApi, region);
      if (validateRequests) {
        List<String> problems =
            validator()
                .validateRequest(
                    spec,
                    SpecValidator.request(
                        method,
                        path,
                        req.getHeader("Content-Type"),
                        form,
                        query,
                        req.getHeader("Authorization")));
        if (problems.stream().anyMatch(p -> p.startsWith("validation.request.path.missing"))) {
          throw ApiError.notEmulated(method, path);
        }
        if (!problems.isEmpty()) {
          // A malformed SID in the path names no resource: Twilio answers 404, not 400.
          // With no query string, a parameter problem can only be a path parameter.
          if (query.isEmpty()
              && problems.stream()
                  .allMatch(
                      p ->
                          p.startsWith("validation.request.parameter.")
                              || p.startsWith("validation.request.path.missing"))) {
            throw ApiError.notFound(path);
          }
          throw ApiError.badRequest(20001, "Invalid request: " + String.join("; ", problems));
        }
      }
      Object[] result;
      state.lock.readLock().lock();
      try {
        result =
            switch (spec) {
              case VERIFY -> routeVerify(account, method, path, form, query);
              case MESSAGING -> messaging.route(account, method, path, form, query);
              case API -> routeApi(account, region, method, path, form, query);
            };
      } finally {
        state.lock.readLock().unlock();
      }
      if (status(result) == 204) {
        send(req, 204, new byte[0]);
        return;
      }
      int status = (Integer) result[0];
      byte[] json = Wire.json(result[1]);
      if (validateResponses && status < 300) {
        // Twilio's OpenAPI describes success bodies only.
        List<String> problems = validator().validateResponse(spec, method, path, status, json);
        if (!problems.isEmpty()) {
          Map<String, Object> v = new LinkedHashMap<>();
          v.put("method", method);
          v.put("path", path);
          v.put("status", status);
          v.put("problems", problems);
          state.responseViolations.add(v);
          LOG.warn("Response to {} {} violates the OpenAPI: {}", method, path, problems);
        }
      }
      if (status == 201 && Faults.roll(f.createdButErrorRate())) {
        throw new ApiError(500, 20500, "Internal Server Error");
      }
      send(req, status, json);
    } catch (ApiError e) {
      send(req, e);
    } catch (RuntimeException e) {
      LOG.error("Sandbox failed on {} {}", req.method(), req.path(), e);
      send(req, new ApiError(500, 20500, "Internal Server Error"));
    }
  }

  /** Basic auth with AccountSid:AuthToken or ApiKey:Secret; returns the account. */
  private String authenticate(
      HttpServerRequest req, String path, boolean verifyApi, String region) {
    String header = req.getHeader("Authorization");
    if (header == null) {
      throw new ApiError(401, 20003, "Authentication Error - invalid username or password");
    }
    String cacheKey = region + " " + header;
    String account = knownAuth.get(cacheKey);
    if (account == null) {
      account = check(header, region);
      if (knownAuth.size() < 10_000) {
        knownAuth.put(cacheKey, account);
      }
    }
    if (!verifyApi && path.startsWith(API_PREFIX)) {
      int end = path.indexOf('/', API_PREFIX.length());
      String inPath = path.substring(API_PREFIX.length(), end < 0 ? path.length() : end);
      if (!inPath.equals(account) && !inPath.equals(account + ".json")) {
        throw new ApiError(401, 20003, "Authentication Error - invalid username or password");
      }
    }
    return account;
  }

  private String check(String header, String region) {
    if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
      throw new ApiError(401, 20003, "Authentication Error - invalid username or password");
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new ApiError(401, 20003, "Authentication Error - invalid username or password");
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new ApiError(401, 20003, "Authentication Error - invalid username or password");
    }
    String user = decoded.substring(0, colon);
    String secret = decoded.substring(colon + 1);
    if (!org.twiliocrm.twilio.TwilioRegion.DEFAULT.equals(region)) {
      // A regional host accepts only the region's own auth token (API keys: us1 only here).
      String regional = regionToken(user, region);
      if (regional != null && constantTimeEquals(regional, secret)) {
        return user;
      }
      throw new ApiError(401, 20003, "Authentication Error - invalid username or password");
    }
    String token = settings.accounts().get(user);
    if (token != null && constantTimeEquals(token, secret)) {
      return user;
    }
    List<String> key = settings.apiKeys().get(user);
    if (key != null && constantTimeEquals(key.get(0), secret)) {
      return key.get(1);
    }
    throw new ApiError(401, 20003, "Authentication Error - invalid username or password");
  }

  private static boolean constantTimeEquals(String a, String b) {
    return java.security.MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private Object[] routeApi(
      String account,
      String region,
      String method,
      String path,
      Map<String, List<String>> form,
      Map<String, List<String>> query) {
    if (!path.startsWith(API_PREFIX)) {
      throw ApiError.notEmulated(method, path);
    }
    String[] seg = path.substring(API_PREFIX.length()).split("/");
    // seg[0] = AccountSid, seg[1] = Messages.json | Messages | Calls.json | Calls, seg[2] =
    // {Sid}.json
    if (seg.length == 2 && seg[1].equals("Messages.json")) {
      if (method.equals("POST")) {
        return new Object[] {201, messages.create(account, region, form).toJson()};
      }
      if (method.equals("GET")) {
        return new Object[] {200, messages.list(account, query, path)};
      }
    }
    if (seg.length == 3 && seg[1].equals("Messages") && seg[2].endsWith(".json")) {
      String sid = seg[2].substring(0, seg[2].length() - 5);
      if (method.equals("GET")) {
        return new Object[] {200, messages.fetch(account, sid).toJson()};
      }
      if (method.equals("POST")) {
        return new Object[] {200, messages.update(account, sid, form).toJson()};
      }
      if (method.equals("DELETE")) {
        messages.delete(account, sid);
        return new Object[] {204, null};
      }
    }
    if (seg.length == 2 && seg[1].equals("IncomingPhoneNumbers.json") && method.equals("GET")) {
      return new Object[] {200, incomingNumbers.list(account, query, path)};
    }
    if (seg.length == 3 && seg[1].equals("IncomingPhoneNumbers") && seg[2].endsWith(".json")) {
      String sid = seg[2].substring(0, seg[2].length() - 5);
      if (method.equals("GET")) {
        return new Object[] {200, incomingNumbers.fetch(account, sid)};
      }
      if (method.equals("POST")) {
        return new Object[] {200, incomingNumbers.update(account, sid, form)};
      }
    }
    if (seg.length == 2 && seg[1].equals("Calls.json") && method.equals("POST")) {
      return new Object[] {201, calls.create(account, region, form).toJson()};
    }
    if (seg.length == 3 && seg[1].equals("Calls") && seg[2].endsWith(".json")) {
      String sid = seg[2].substring(0, seg[2].length() - 5);
      if (method.equals("GET")) {
        return new Object[] {200, calls.fetch(account, sid).toJson()};
      }
      if (method.equals("POST")) {
        return new Object[] {200, calls.update(account, sid, form).toJson()};
      }
    }
    throw ApiError.notEmulated(method, path);
  }

  private Object[] routeVerify(
      String account,
      String method,
      String path,
      Map<String, List<String>> form,
      Map<String, List<String>> query) {
    String[] seg = path.split("/");
    if (seg.length == 3 && seg[1].equals("v2") && seg[2].equals("Services")) {
      if (method.equals("POST")) {
        return new Object[] {201, verify.createService(account, form)};
      }
      if (method.equals("GET")) {
        return new Object[] {200, verify.listServices(account, query)};
      }
    }
    if (seg.length == 4 && seg[1].equals("v2") && seg[2].equals("Services")) {
      switch (method) {
        case "GET":
          return new Object[] {200, verify.fetchService(account, seg[3])};
        case "POST":
          return new Object[] {200, verify.updateService(account, seg[3], form)};
        case "DELETE":
          verify.deleteService(account, seg[3]);
          return new Object[] {204, null};
        default:
          break;
      }
    }
    // ["", "v2", "Services", "{VA}", "Verifications" | "VerificationCheck", "{sid}"?]
    if (seg.length >= 5 && seg[1].equals("v2") && seg[2].equals("Services")) {
      String service = seg[3];
      if (seg.length == 5 && seg[4].equals("Verifications") && method.equals("POST")) {
        return new Object[] {201, verify.start(account, service, form)};
      }
      if (seg.length == 6 && seg[4].equals("Verifications") && method.equals("GET")) {
        return new Object[] {200, verify.fetch(account, service, seg[5])};
      }
      if (seg.length == 6 && seg[4].equals("Verifications") && method.equals("POST")) {
        return new Object[] {200, verify.update(account, service, seg[5], form)};
      }
      if (seg.length == 5 && seg[4].equals("VerificationCheck") && method.equals("POST")) {
        return new Object[] {200, verify.check(account, service, form)};
      }
    }
    throw ApiError.notEmulated(method, path);
  }

  private static int status(Object[] result) {
    return (Integer) result[0];
  }

  private static Map<String, List<String>> query(HttpServerRequest req) {
    String q = req.query();
    return q == null || q.isEmpty() ? Map.of() : Wire.decodeForm(q);
  }

  private void send(HttpServerRequest req, ApiError e) {
    send(req, e.status, Wire.json(e.body()));
  }

  private void send(HttpServerRequest req, int status, byte[] json) {
    inFlight.decrementAndGet();
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(Buffer.buffer(json));
  }

  /** Drops the connection with a TCP RST (SO_LINGER 0), no HTTP response at all. */
  private static void resetConnection(HttpServerRequest req) {
    if (req.connection() instanceof ConnectionBase c) {
      c.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      c.channel().close();
    } else {
      req.connection().close();
    }
  }

  @Override
  public void close() {
    // Vert.x first, so no timer hands a callback to a closed executor.
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Twilio sandbox did not stop cleanly: {}", e.toString());
    }
    callbacks.close();
  }

  /**
   * Signs this account's callbacks with {@code token} from now on (null: its configured token), as
   * Twilio does once a rotated token is promoted: lets a test rotate while callbacks flow.
   */
  public void signCallbacksWith(String accountSid, String token) {
    callbacks.signWith(accountSid, token);
  }

  /** Signs callbacks with a SharedKey and HMAC-SHA256 from now on; null id: the auth token. */
  public void signCallbacksWithKey(String keyId, String secret) {
    callbacks.signWithKey(keyId, secret);
  }
}
