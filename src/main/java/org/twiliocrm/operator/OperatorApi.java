package org.twiliocrm.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.governance.ApprovalRequest;
import org.twiliocrm.governance.Approvals;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.governance.templates.TemplateApprovals;
import org.twiliocrm.http.Forms;
import org.twiliocrm.http.RequestPath;

/**
 * The operators' HTTP API on the connector's port (routes/operator-api.camel.yaml), JSON in and
 * out:
 *
 * <pre>
 *   GET  /api/approvals[?status=&amp;rule=&amp;campaign=&amp;limit=]   viewer
 *   GET  /api/approvals/{id}                                  viewer  (with the rendered sample)
 *   POST /api/approvals/{id}/approve   {"comment": "..."}     approver
 *   POST /api/approvals/{id}/reject    {"comment": "..."}     approver (comment required)
 *   GET  /api/template-approvals[?template=]                  viewer
 *   GET  /api/template-approvals/{version}                    viewer
 *   POST /api/template-approvals/{version}/approve|reject     approver
 *   POST /api/template-approvals/{version}/submit             approver (then may not approve it)
 *   GET  /api/audit[?actor=&amp;action=&amp;subjectType=&amp;subjectId=&amp;since=&amp;until=&amp;limit=]  viewer
 *   GET  /api/messages[?phone=&amp;sid=&amp;crmRecord=&amp;status=&amp;channel=&amp;template=&amp;since=&amp;until=&amp;before=&amp;limit=]  viewer
 *   GET  /api/messages/{id}                                   viewer  (the message's timeline;
 *                                                                     id or, for a received
 *                                                                     message, its SID)
 *   GET  /api/dashboard[?hours=]                              viewer  (outcomes by hour, errors, backlog)
 *   GET  /api/consent/{number}                                viewer  (history and consent in force)
 *   POST /api/consent/opt-out  {"phone","purpose","reason"}   approver (audited)
 *   POST /api/consent          {"phone","purpose","status"}   admin
 *   GET  /api/failed                                          viewer  (FAILED rows by reason)
 *   GET  /api/failed/rows?reasonCode=&amp;errorCode=&amp;limit=       viewer
 *   POST /api/failed/retry     {"ids": [...], "comment"}      approver (transient only, never Verify; audited)
 *   GET  /api/senders                                         viewer  (the senders health table)
 *   POST /api/senders/refresh                                 admin   (read the account again)
 *   GET  /api/sandbox/handsets[/{phone}/inbox|calls]          viewer  (sandbox mode only, else 404)
 *   POST /api/sandbox/handsets/{phone}/messages {"to","body"} approver (the handset replies)
 *   GET  /api/events                                          viewer  (server-sent events: LiveEvents)
 *   GET  /api/openapi.json                                    viewer  (this API as OpenAPI 3)
 * </pre>
 *
 * Roles are enforced by {@link OperatorGate} before the route runs (401/403); this class answers
 * 404 for an unknown request, 409 for a decided one (nothing changed), 403 for four eyes (the
 * identity that caused a hold cannot approve it), 400 for a bad body or filter, 405 for a wrong
 * method. The actor recorded for a decision is the authenticated operator's name, never a value
 * from the request.
 */
public final class OperatorApi {
  /** Bean name of the live-updates stream (LiveEvents). */
  public static final String LIVE_EVENTS = "consoleLiveEvents";

  private static final Logger LOG = LoggerFactory.getLogger(OperatorApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern APPROVAL =
      Pattern.compile("/api/approvals/([^/]+)(?:/(approve|reject))?/?");
  private static final Pattern MESSAGE = Pattern.compile("/api/messages/([^/]+)/?");

  /** A Twilio message SID (SM or MM and 32 hex digits), as a message's key in the timeline. */
  private static final Pattern MESSAGE_SID = Pattern.compile("(SM|MM)[0-9a-fA-F]{32}");

  private static final Pattern TEMPLATE =
      Pattern.compile("/api/template-approvals/([^/]+)(?:/(approve|reject|submit))?/?");
  private static final Pattern HANDSET =
      Pattern.compile("/api/sandbox/handsets/([^/]+)/(inbox|calls|messages)/?");
  private static final int MAX_COMMENT = 2000;

  /** An answer: status and JSON body. */
  record Reply(int status, Object body, String allow) {
    static Reply ok(Object body) {
      return new Reply(200, body, null);
    }

    static Reply error(int status, String error, String message) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("error", error);
      m.put("message", message);
      return new Reply(status, m, null);
    }
  }

  /** A client mistake: answered with its status and message, never logged with a stack trace. */
  static class ClientError extends RuntimeException {
    final int status;

    ClientError(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** The route's one step: answers the request on the exchange. */
  public void handle(Exchange exchange) {
    Message in = exchange.getMessage();
    String method = String.valueOf(in.getHeader(Exchange.HTTP_METHOD));
    String path = RequestPath.of(in);
    Optional<Operator> who =
        OperatorGate.operatorOf(in.getHeader(VertxPlatformHttpConstants.AUTHENTICATED_USER));
    Reply reply;
    if (who.isEmpty()) {
      // The gate sets the user on every /api request; without one the route was reached some
      // other way: refuse rather than act as nobody.
      reply = Reply.error(401, "unauthenticated", "credentials required");
    } else {
      try {
        reply =
            new Call(
                    exchange,
                    method,
                    path,
                    query(in.getHeader(Exchange.HTTP_QUERY, String.class)),
                    in.getBody(String.class),
                    who.get())
                .route();
      } catch (MessageQueries.BadFilter e) {
        reply = Reply.error(400, "bad-request", e.getMessage());
      } catch (MethodNotAllowed e) {
        reply =
            new Reply(405, Reply.error(405, "method-not-allowed", e.getMessage()).body(), e.allow);
      } catch (ClientError e) {
        reply =
            Reply.error(
                e.status,
                e.status == 400 ? "bad-request" : e.status == 503 ? "unavailable" : "error",
                e.getMessage());
      } catch (SQLException | RuntimeException e) {
        LOG.error("operator API {} {} failed: {}", method, path, e.toString());
        reply = Reply.error(500, "internal-error", "the request failed; see the connector's log");
      }
    }
    in.getHeaders().clear();
    in.setHeader(Exchange.HTTP_RESPONSE_CODE, reply.status());
    in.setHeader(Exchange.CONTENT_TYPE, "application/json");
    in.setHeader("Cache-Control", "no-store");
    if (reply.allow() != null) {
      in.setHeader("Allow", reply.allow());
    }
    try {
      in.setBody(JSON.writeValueAsString(reply.body()));
    } catch (JsonProcessingException e) {
      in.setHeader(Exchange.HTTP_RESPONSE_CODE, 500);
      in.setBody("{\"error\":\"internal-error\"}");
    }
  }

  /**
   * One request and the endpoints that answer it: each endpoint reads the exchange (for beans),
   * method, path, query parameters, body and authenticated operator from here rather than taking
   * the same parameters again.
   */
  private record Call(
      Exchange exchange,
      String method,
      String path,
      Map<String, String> q,
      String body,
      Operator who) {

    Reply route() throws SQLException {
      if (path.equals("/api/approvals") || path.equals("/api/approvals/")) {
        requireMethod(method, "GET");
        Approvals approvals = bean(exchange, "approvals", Approvals.class, "approval requests");
        int limit = intParam(q, "limit", 100);
        List<Object> out = new ArrayList<>();
        for (ApprovalRequest r :
            approvals.list(
                new Approvals.Filter(q.get("status"), q.get("rule"), q.get("campaign"), limit))) {
          out.add(view(r));
        }
        return Reply.ok(Map.of("approvals", out));
      }
      Matcher m = APPROVAL.matcher(path);
      if (m.matches()) {
        Approvals approvals = bean(exchange, "approvals", Approvals.class, "approval requests");
        String idText = m.group(1);
        long id;
        try {
          id = Long.parseLong(idText);
        } catch (NumberFormatException e) {
          return Reply.error(404, "not-found", "no approval request '" + clip(idText) + "'");
        }
        if (m.group(2) == null) {
          requireMethod(method, "GET");
          return approvals
              .show(id)
              .map(r -> Reply.ok(view(r)))
              .orElseGet(() -> Reply.error(404, "not-found", "no approval request " + id));
        }
        requireMethod(method, "POST");
        boolean approve = m.group(2).equals("approve");
        String comment = comment(body, !approve);
        Approvals.Decision d =
            approve
                ? approvals.approve(id, who.name(), comment)
                : approvals.reject(id, who.name(), comment);
        return switch (d.result()) {
          case DONE -> {
            LOG.info(
                "approval request {} {} by {} ({} row(s))",
                id,
                approve ? "approved" : "rejected",
                who.name(),
                d.rows());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("result", approve ? "approved" : "rejected");
            out.put("rows", d.rows());
            out.put("request", view(d.request()));
            yield Reply.ok(out);
          }
          case NOT_FOUND -> Reply.error(404, "not-found", "no approval request " + id);
          case ALREADY_DECIDED -> {
            Reply r =
                Reply.error(
                    409,
                    "already-decided",
                    "approval request "
                        + id
                        + " is already "
                        + d.request().status()
                        + (d.request().decidedBy() == null
                            ? ""
                            : " (by " + d.request().decidedBy() + ")")
                        + "; nothing was changed");
            ((Map<String, Object>) r.body()).put("request", view(d.request()));
            yield r;
          }
          case FOUR_EYES_VIOLATION -> fourEyes(who, "caused this hold");
        };
      }
      if (path.equals("/api/template-approvals") || path.equals("/api/template-approvals/")) {
        requireMethod(method, "GET");
        TemplateDecisions t = templates(exchange);
        List<Object> out = new ArrayList<>();
        for (TemplateApprovals.Version v : t.list(q.get("template"))) {
          out.add(view(v, false));
        }
        return Reply.ok(Map.of("versions", out));
      }
      Matcher tm = TEMPLATE.matcher(path);
      if (tm.matches()) {
        TemplateDecisions t = templates(exchange);
        String version = tm.group(1);
        if (tm.group(2) == null) {
          requireMethod(method, "GET");
          return t.show(version)
              .map(v -> Reply.ok(view(v, true)))
              .orElseGet(() -> noTemplateVersion(version));
        }
        requireMethod(method, "POST");
        if (tm.group(2).equals("submit")) {
          TemplateDecisions.Decision d = t.submit(version, who.name());
          return switch (d.result()) {
            case DONE -> {
              LOG.info("template version {} submitted by {}", clip(version), who.name());
              Map<String, Object> out = new LinkedHashMap<>();
              out.put("result", "submitted");
              out.put("version", view(d.version(), true));
              yield Reply.ok(out);
            }
            case NOT_FOUND -> noTemplateVersion(version);
            default ->
                Reply.error(
                    409,
                    "already-decided",
                    "template version "
                        + clip(version)
                        + " is "
                        + (d.version() == null ? "decided" : d.version().state())
                        + (d.version() != null && d.version().submittedBy() != null
                            ? ", submitted by " + d.version().submittedBy()
                            : "")
                        + "; nothing was changed");
          };
        }
        boolean approve = tm.group(2).equals("approve");
        String comment = comment(body, !approve);
        TemplateDecisions.Decision d =
            approve
                ? t.approve(version, who.name(), comment)
                : t.reject(version, who.name(), comment);
        return switch (d.result()) {
          case DONE -> {
            LOG.info(
                "template version {} {} by {}",
                clip(version),
                approve ? "approved" : "rejected",
                who.name());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("result", approve ? "approved" : "rejected");
            out.put("version", view(d.version(), true));
            yield Reply.ok(out);
          }
          case NOT_FOUND -> noTemplateVersion(version);
          case ALREADY_DECIDED ->
              Reply.error(
                  409,
                  "already-decided",
                  "template version "
                      + clip(version)
                      + " is already "
                      + (d.version() == null ? "decided" : d.version().state())
                      + "; nothing was changed");
          case FOUR_EYES_VIOLATION -> fourEyes(who, "submitted this version");
        };
      }
      if (path.equals("/api/openapi.json")) {
        requireMethod(method, "GET");
        return Reply.ok(openApi());
      }
      if (path.equals("/api/messages") || path.equals("/api/messages/")) {
        requireMethod(method, "GET");
        MessageQueries messages =
            bean(exchange, MessageQueries.BEAN, MessageQueries.class, "messages");
        MessageQueries.Filter f =
            new MessageQueries.Filter(
                q.get("phone"),
                q.get("sid"),
                q.get("crmRecord"),
                q.get("status"),
                q.get("channel"),
                q.get("template"),
                instantParam(q, "since"),
                instantParam(q, "until"),
                longParam(q, "before"),
                q.containsKey("limit") ? intParam(q, "limit", MessageQueries.DEFAULT_LIMIT) : null);
        return Reply.ok(messages.search(f, who.role() == Role.VIEWER));
      }
      Matcher mm = MESSAGE.matcher(path);
      if (mm.matches()) {
        requireMethod(method, "GET");
        MessageQueries messages =
            bean(exchange, MessageQueries.BEAN, MessageQueries.class, "messages");
        String key = mm.group(1);
        Optional<Map<String, Object>> t;
        if (MESSAGE_SID.matcher(key).matches()) {
          // A received message has no outbox id: the sandbox phone links its reply by SID.
          t = messages.timelineBySid(key, who.role() == Role.VIEWER);
        } else {
          long id;
          try {
            id = Long.parseLong(key);
          } catch (NumberFormatException e) {
            return Reply.error(404, "not-found", "no message '" + clip(key) + "'");
          }
          t = messages.timeline(id, who.role() == Role.VIEWER);
        }
        if (t.isEmpty()) {
          return Reply.error(404, "not-found", "no message " + clip(key));
        }
        Object approvalId = ((Map<?, ?>) t.get().get("message")).get("approval_id");
        Approvals approvals = optionalBean(exchange, "approvals", Approvals.class);
        if (approvalId instanceof Number n && approvals != null) {
          approvals.show(n.longValue()).ifPresent(r -> t.get().put("approval", view(r)));
        }
        return Reply.ok(t.get());
      }
      if (path.equals("/api/dashboard") || path.equals("/api/dashboard/")) {
        requireMethod(method, "GET");
        Dashboard d = bean(exchange, Dashboard.BEAN, Dashboard.class, "dashboard figures");
        return Reply.ok(d.read(hoursParam(q)));
      }
      if (path.equals("/api/failed") || path.startsWith("/api/failed/")) {
        return failed();
      }
      if (path.equals("/api/consent/opt-out")) {
        return optOut();
      }
      if (path.equals("/api/consent") || path.startsWith("/api/consent/")) {
        return consent();
      }
      if (path.equals("/api/senders") || path.startsWith("/api/senders/")) {
        return senders();
      }
      if (path.equals("/api/sandbox") || path.startsWith("/api/sandbox/")) {
        return sandboxPhone();
      }
      if (path.equals(LiveEvents.PATH)) {
        // GET is answered as a stream ahead of this route (LiveEvents); anything else lands here.
        throw new MethodNotAllowed("GET");
      }
      if (path.equals("/api/audit") || path.equals("/api/audit/")) {
        requireMethod(method, "GET");
        Audit audit = bean(exchange, "governanceAudit", Audit.class, "the audit trail");
        Audit.Filter f =
            new Audit.Filter(
                q.get("actor"),
                q.get("action"),
                q.get("subjectType"),
                q.get("subjectId"),
                instantParam(q, "since"),
                instantParam(q, "until"),
                intParam(q, "limit", 100));
        List<Object> out = new ArrayList<>();
        for (Audit.Entry e : audit.query(f)) {
          Map<String, Object> v = new LinkedHashMap<>();
          v.put("id", e.id());
          v.put("at", text(e.at()));
          v.put("actor", e.actor());
          v.put("action", e.action());
          v.put("subjectType", e.subjectType());
          v.put("subjectId", e.subjectId());
          v.put("before", e.before());
          v.put("after", e.after());
          v.put("detail", e.detail());
          out.add(v);
        }
        return Reply.ok(Map.of("entries", out));
      }
      return Reply.error(404, "not-found", "no such endpoint: " + clip(path));
    }

    /**
     * Consent by purpose (docs/governance.md): {@code POST /api/consent} records an opt-in or
     * opt-out given elsewhere (a web form, a call), with the caller as evidence; {@code GET
     * /api/consent/{number}} shows the history, newest first.
     */
    private Reply consent() throws SQLException {
      if (path.equals("/api/consent") || path.equals("/api/consent/")) {
        requireMethod(method, "POST");
        org.twiliocrm.governance.ConsentRequests requests = consentRequests(exchange);
        Map<String, Object> in;
        try {
          in = body == null || body.isBlank() ? Map.of() : JSON.readValue(body, Map.class);
        } catch (JsonProcessingException | ClassCastException e) {
          throw new ClientError(
              400, "body must be a JSON object: phone, purpose, status, evidence");
        }
        try {
          org.twiliocrm.governance.ConsentRequests.Result r =
              requests.submit(
                  str(in.get("phone")),
                  str(in.get("purpose")),
                  str(in.get("status")),
                  str(in.get("evidence")),
                  who.name());
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("status", r.status());
          out.put("applied", r.applied());
          if (r.promptRowId() != null) {
            out.put("promptRowId", r.promptRowId());
          }
          return new Reply(r.promptRowId() != null ? 202 : 200, out, null);
        } catch (org.twiliocrm.governance.ConsentRequests.Invalid e) {
          throw new ClientError(400, e.getMessage());
        }
      }
      requireMethod(method, "GET");
      String number =
          java.net.URLDecoder.decode(
              path.substring("/api/consent/".length()), java.nio.charset.StandardCharsets.UTF_8);
      org.twiliocrm.governance.ConsentLedger ledger =
          bean(
              exchange,
              "consentLedger",
              org.twiliocrm.governance.ConsentLedger.class,
              "consent records");
      org.twiliocrm.governance.ConsentRequests requests =
          optionalBean(exchange, "consentRequests", org.twiliocrm.governance.ConsentRequests.class);
      // The ledger keys bare E.164 numbers; a number typed with spaces or dashes finds them too.
      String key = requests == null ? number : requests.normalize(number).orElse(number);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("number", key);
      Map<String, Object> inForce = new LinkedHashMap<>();
      ledger
          .states(List.of(key))
          .getOrDefault(key, Map.of())
          .forEach(
              (purpose, st) -> {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("status", st.status());
                v.put("source", st.source());
                v.put("evidence", st.evidence());
                v.put("occurredAt", text(st.occurredAt()));
                inForce.put(purpose, v);
              });
      out.put("inForce", new java.util.TreeMap<>(inForce));
      out.put("history", ledger.history(key, 100));
      return Reply.ok(out);
    }

    private static int hoursParam(Map<String, String> q) {
      String v = q.get("hours");
      if (v == null) {
        return 24;
      }
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new ClientError(
            400, "'hours' must be a whole number from 1 to " + Dashboard.MAX_HOURS);
      }
    }

    /** FAILED rows by reason, one group's rows, and a retry of chosen rows (FailedMessages). */
    private Reply failed() throws SQLException {
      FailedMessages failed =
          bean(exchange, FailedMessages.BEAN, FailedMessages.class, "failed messages");
      if (path.equals("/api/failed") || path.equals("/api/failed/")) {
        requireMethod(method, "GET");
        return Reply.ok(Map.of("groups", failed.groups()));
      }
      if (path.equals("/api/failed/rows")) {
        requireMethod(method, "GET");
        String reason = q.get("reasonCode");
        if (reason != null && reason.length() > 40) {
          throw new ClientError(400, "'reasonCode' is longer than 40 characters");
        }
        Integer code = null;
        if (q.containsKey("errorCode")) {
          try {
            code = Integer.valueOf(q.get("errorCode").trim());
          } catch (NumberFormatException e) {
            throw new ClientError(400, "'errorCode' must be a whole number");
          }
        }
        return Reply.ok(
            Map.of(
                "rows",
                failed.rows(reason, code, intParam(q, "limit", 100), who.role() == Role.VIEWER)));
      }
      if (path.equals("/api/failed/retry")) {
        requireMethod(method, "POST");
        String expected = "the body must be {\"ids\": [outbox row ids], \"comment\": \"...\"}";
        JsonNode n = jsonObject(body, expected);
        if (!n.path("ids").isArray()) {
          throw new ClientError(400, expected);
        }
        List<Long> ids = new ArrayList<>();
        for (JsonNode id : n.get("ids")) {
          if (!id.canConvertToLong() || !id.isIntegralNumber()) {
            throw new ClientError(400, "'ids' must hold whole numbers");
          }
          ids.add(id.asLong());
        }
        String comment = trimmedField(n, "comment");
        if (comment != null && comment.length() > MAX_COMMENT) {
          throw new ClientError(400, "'comment' is longer than " + MAX_COMMENT + " characters");
        }
        FailedMessages.Retry r =
            failed.retry(ids, who.name(), comment == null || comment.isEmpty() ? null : comment);
        LOG.info(
            "failed rows retried by {}: {} put back to PENDING, {} refused",
            who.name(),
            r.retried().size(),
            r.refused().size());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("retried", r.retried());
        out.put("refused", r.refused());
        return Reply.ok(out);
      }
      return Reply.error(404, "not-found", "no such endpoint: " + clip(path));
    }

    /** The senders health table, and a fresh read of the account (admin, by OperatorAccess). */
    private Reply senders() {
      SendersReport report = bean(exchange, SendersReport.BEAN, SendersReport.class, "senders");
      org.twiliocrm.senders.SenderRegistry registry =
          optionalBean(exchange, "senderRegistry", org.twiliocrm.senders.SenderRegistry.class);
      if (path.equals("/api/senders") || path.equals("/api/senders/")) {
        requireMethod(method, "GET");
        return Reply.ok(report.read(registry, false));
      }
      if (path.equals("/api/senders/refresh")) {
        requireMethod(method, "POST");
        return Reply.ok(report.read(registry, true));
      }
      return Reply.error(404, "not-found", "no such endpoint: " + clip(path));
    }

    /** The sandbox phone: the Twilio sandbox's handsets, relayed; 404 outside sandbox mode. */
    private Reply sandboxPhone() {
      SandboxPhone phone = optionalBean(exchange, SandboxPhone.BEAN, SandboxPhone.class);
      if (phone == null) {
        return Reply.error(404, "not-found", "the sandbox phone exists only in sandbox mode");
      }
      SandboxPhone.Answer a;
      if (path.equals("/api/sandbox/handsets") || path.equals("/api/sandbox/handsets/")) {
        requireMethod(method, "GET");
        a = phone.handsets();
      } else {
        Matcher m = HANDSET.matcher(path);
        if (!m.matches()) {
          return Reply.error(404, "not-found", "no such endpoint: " + clip(path));
        }
        String handset =
            java.net.URLDecoder.decode(
                m.group(1).replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        if (m.group(2).equals("messages")) {
          requireMethod(method, "POST");
          JsonNode n =
              jsonObject(body, "the body must be {\"to\": \"+1500...\", \"body\": \"STOP\"}");
          a = phone.send(handset, trimmedField(n, "to"), textField(n, "body"));
          if (a.status() < 300) {
            LOG.info("sandbox phone: {} replied from a handset", who.name());
          }
        } else {
          requireMethod(method, "GET");
          a = m.group(2).equals("inbox") ? phone.inbox(handset) : phone.calls(handset);
        }
      }
      if (a.status() >= 300) {
        String message =
            a.body() != null && a.body().path("error").isTextual()
                ? a.body().get("error").asText()
                : "the Twilio sandbox answered " + a.status();
        int status = a.status() == 404 ? 404 : a.status() < 500 ? 400 : 503;
        return Reply.error(
            status,
            status == 404 ? "not-found" : status == 400 ? "bad-request" : "unavailable",
            message);
      }
      return new Reply(a.status() == 201 ? 201 : 200, a.body(), null);
    }

    /** An opt-out recorded by hand, with a reason, audited (ConsentRequests.optOutByHand). */
    private Reply optOut() throws SQLException {
      requireMethod(method, "POST");
      org.twiliocrm.governance.ConsentRequests requests = consentRequests(exchange);
      JsonNode n =
          jsonObject(
              body,
              "the body must be {\"phone\": \"...\", \"purpose\": \"...\", \"reason\": \"...\"}");
      try {
        org.twiliocrm.governance.ConsentRequests.Result r =
            requests.optOutByHand(
                textField(n, "phone"), textField(n, "purpose"), textField(n, "reason"), who.name());
        LOG.info("consent: opt-out recorded by hand by {} (applied: {})", who.name(), r.applied());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", r.status());
        out.put("applied", r.applied());
        return Reply.ok(out);
      } catch (org.twiliocrm.governance.ConsentRequests.Invalid e) {
        throw new ClientError(400, e.getMessage());
      }
    }
  }

  private static String str(Object o) {
    return o == null ? null : String.valueOf(o);
  }

  /** The consent service both consent endpoints write through (503 without it). */
  private static org.twiliocrm.governance.ConsentRequests consentRequests(Exchange exchange) {
    return bean(
        exchange,
        "consentRequests",
        org.twiliocrm.governance.ConsentRequests.class,
        "consent records");
  }

  /** A JSON body's string field as sent, or null when it is absent or not a string. */
  private static String textField(JsonNode n, String name) {
    return n.path(name).isTextual() ? n.get(name).asText() : null;
  }

  /** {@link #textField} without surrounding white space. */
  private static String trimmedField(JsonNode n, String name) {
    String v = textField(n, name);
    return v == null ? null : v.trim();
  }

  /** 403 for four eyes: the operator {@code did} what bars them from approving it. */
  private static Reply fourEyes(Operator who, String did) {
    return Reply.error(
        403,
        "four-eyes",
        "'"
            + who.name()
            + "' "
            + did
            + " and cannot approve it; another approver must (rejecting is allowed)");
  }

  private static Reply noTemplateVersion(String version) {
    return Reply.error(404, "not-found", "no template version '" + clip(version) + "'");
  }

  private static void requireMethod(String method, String allowed) {
    if (!allowed.equals(method) && !("GET".equals(allowed) && "HEAD".equals(method))) {
      throw new MethodNotAllowed(allowed);
    }
  }

  /** Wrong method on a known path: 405 with Allow. */
  static final class MethodNotAllowed extends ClientError {
    final String allow;

    MethodNotAllowed(String allow) {
      super(405, "use " + allow + " on this path");
      this.allow = allow;
    }
  }

  /** A bean the endpoint needs: 503 naming {@code what} when this connector has none. */
  private static <T> T bean(Exchange exchange, String name, Class<T> type, String what) {
    T b = optionalBean(exchange, name, type);
    if (b == null) {
      throw new ClientError(503, what + " are not available in this connector");
    }
    return b;
  }

  /** A bean the endpoint can do without (it answers less, or 404, when absent); null if none. */
  private static <T> T optionalBean(Exchange exchange, String name, Class<T> type) {
    return exchange.getContext().getRegistry().lookupByNameAndType(name, type);
  }

  private static TemplateDecisions templates(Exchange exchange) {
    TemplateDecisions t = optionalBean(exchange, TemplateDecisions.BEAN, TemplateDecisions.class);
    if (t != null) {
      return t;
    }
    org.twiliocrm.governance.templates.TemplateApprovals real =
        optionalBean(
            exchange,
            "templateApprovals",
            org.twiliocrm.governance.templates.TemplateApprovals.class);
    if (real == null) {
      throw new ClientError(
          503, "template approvals are not available in this connector (no template versioning)");
    }
    return new TemplateApprovalsDecisions(real);
  }

  /** A JSON object body, or a 400 with {@code expected} (how the body must look). */
  private static JsonNode jsonObject(String body, String expected) {
    JsonNode n;
    try {
      n = body == null || body.isBlank() ? null : JSON.readTree(body);
    } catch (JsonProcessingException e) {
      n = null;
    }
    if (n == null || !n.isObject()) {
      throw new ClientError(400, expected);
    }
    return n;
  }

  /** The comment from a JSON body {"comment": "..."}; an empty body is no comment. */
  static String comment(String body, boolean required) {
    String comment = null;
    if (body != null && !body.isBlank()) {
      JsonNode n;
      try {
        n = JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw new ClientError(400, "the body must be JSON, e.g. {\"comment\": \"...\"}");
      }
      if (n == null || !n.isObject()) {
        throw new ClientError(400, "the body must be a JSON object, e.g. {\"comment\": \"...\"}");
      }
      JsonNode c = n.get("comment");
      if (c != null && !c.isNull()) {
        if (!c.isTextual()) {
          throw new ClientError(400, "'comment' must be a string");
        }
        comment = c.asText().trim();
      }
    }
    if (comment != null && comment.length() > MAX_COMMENT) {
      throw new ClientError(400, "'comment' is longer than " + MAX_COMMENT + " characters");
    }
    if (required && (comment == null || comment.isEmpty())) {
      throw new ClientError(400, "a rejection needs a comment: {\"comment\": \"why\"}");
    }
    return comment == null || comment.isEmpty() ? null : comment;
  }

  private static Map<String, Object> view(ApprovalRequest r) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", r.id());
    v.put("status", r.status());
    v.put("rule", r.rule());
    v.put("campaign", r.campaign());
    v.put("reason", r.reason());
    v.put("rowCount", r.rowCount());
    v.put("template", r.templateName());
    v.put("channel", r.channel());
    v.put("countries", r.countries());
    v.put("sample", r.sample());
    v.put("requestedBy", r.requestedBy());
    v.put("policyHash", r.policyHash());
    v.put("createdAt", text(r.createdAt()));
    v.put("expiresAt", text(r.expiresAt()));
    v.put("decidedAt", text(r.decidedAt()));
    v.put("decidedBy", r.decidedBy());
    v.put("comment", r.comment());
    return v;
  }

  private static Map<String, Object> view(TemplateApprovals.Version t, boolean content) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("template", t.templateName());
    v.put("version", t.version());
    v.put("purpose", t.purpose());
    v.put("state", t.state() == null ? null : t.state().name());
    v.put("source", t.source());
    v.put("firstSeenAt", text(t.firstSeenAt()));
    v.put("decidedBy", t.decidedBy());
    v.put("decidedAt", text(t.decidedAt()));
    v.put("comment", t.comment());
    v.put("submittedBy", t.submittedBy());
    if (content) {
      v.put("content", t.content());
    }
    return v;
  }

  private static String text(Instant i) {
    return i == null ? null : i.toString();
  }

  private static int intParam(Map<String, String> q, String name, int def) {
    String v = q.get(name);
    if (v == null) {
      return def;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 1 || n > 1000) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ClientError(400, "'" + name + "' must be a whole number from 1 to 1000");
    }
  }

  private static Long longParam(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null) {
      return null;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new ClientError(400, "'" + name + "' must be a whole number");
    }
  }

  private static volatile JsonNode openApi;

  /** This API described as OpenAPI 3 (src/main/resources/openapi/operator-api.json). */
  static JsonNode openApi() {
    JsonNode doc = openApi;
    if (doc == null) {
      try (java.io.InputStream in =
          OperatorApi.class.getClassLoader().getResourceAsStream("openapi/operator-api.json")) {
        if (in == null) {
          throw new IllegalStateException("openapi/operator-api.json is not on the class path");
        }
        doc = JSON.readTree(in);
      } catch (java.io.IOException e) {
        throw new IllegalStateException("openapi/operator-api.json: " + e.getMessage(), e);
      }
      openApi = doc;
    }
    return doc;
  }

  private static Instant instantParam(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v.trim());
    } catch (DateTimeParseException e) {
      throw new ClientError(
          400, "'" + name + "' must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z");
    }
  }

  /** The query's parameters, the last non-blank value of each; 400 for bad percent-encoding. */
  static Map<String, String> query(String raw) {
    Map<String, List<String>> all;
    try {
      all = Forms.decode(raw);
    } catch (IllegalArgumentException e) {
      throw new ClientError(400, "the query string is not valid percent-encoding");
    }
    Map<String, String> out = new LinkedHashMap<>();
    all.forEach(
        (k, vs) ->
            vs.stream()
                .filter(v -> !v.isBlank())
                .reduce((x, y) -> y)
                .ifPresent(v -> out.put(k, v)));
    return out;
  }

  private static String clip(String s) {
    return OperatorGate.safe(s);
  }
}
