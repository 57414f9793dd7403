package org.twiliocrm.outbound;

import java.util.ArrayList;
import java.util.List;

/**
 * The body that travels through the outbox route for one row: the claimed row, what validation and
 * rendering made of it, and, once a step decides, the outcome. A step that finds a problem sets the
 * outcome; later steps skip a decided row, so one bad row never stalls the batch.
 */
public final class OutboxWork {
  private final OutboxRow row;
  private final long claimedNanos = System.nanoTime();
  private final List<Attempt> attempts = new ArrayList<>(2);
  private String to;

  /**
   * The recipient's ISO region (null: libphonenumber places it nowhere), set with {@link #to} by
   * the validator, which finds it while checking the number; valid while {@link #toRegionKnown}.
   */
  private String toRegion;

  private boolean toRegionKnown;
  private String from;
  private String messagingServiceSid;
  private String body;
  private List<String> mediaUrls = List.of();
  private String contentSid;
  private String contentVariables;
  private Integer segments;
  private int attemptNumber;
  private Outcome outcome;

  public OutboxWork(OutboxRow row) {
    this.row = row;
    this.attemptNumber = row.attempts();
  }

  public OutboxRow getRow() {
    return row;
  }

  public String getChannel() {
    return row.channel().column();
  }

  /** True once a step decided what becomes of the row; later steps pass it by. */
  public boolean isDecided() {
    return outcome != null;
  }

  public boolean isReconciling() {
    return row.reconciling() && outcome == null && !resend;
  }

  private boolean resend;

  /** A reconciliation found nothing in Twilio and the policy allows a new send. */
  void markResend() {
    this.resend = true;
    this.attemptNumber++;
  }

  public Outcome getOutcome() {
    return outcome;
  }

  public void decide(Outcome outcome) {
    this.outcome = outcome;
  }

  public void log(String kind, String result, String sid, Integer http, Integer code, String why) {
    int ms = (int) ((System.nanoTime() - claimedNanos) / 1_000_000);
    attempts.add(
        new Attempt(row.id(), attemptNumber, kind, result, sid, http, code, clip(why), ms));
  }

  public List<Attempt> getAttempts() {
    return attempts;
  }

  public int getAttemptNumber() {
    return attemptNumber;
  }

  public String getTo() {
    return to;
  }

  void setTo(String to) {
    this.to = to;
    this.toRegion = null;
    this.toRegionKnown = false;
  }

  void setTo(String to, String region) {
    this.to = to;
    this.toRegion = region;
    this.toRegionKnown = true;
  }

  /**
   * The recipient's region (US, GB, ...), null when it has none: the one the validator found, else
   * looked up once here. The policy gate and the geo permissions ask for it on every row.
   */
  public String getToRegion() {
    if (!toRegionKnown) {
      toRegion = PolicyGate.region(to);
      toRegionKnown = true;
    }
    return toRegion;
  }

  public String getFrom() {
    return from;
  }

  void setFrom(String from) {
    this.from = from;
  }

  public String getMessagingServiceSid() {
    return messagingServiceSid;
  }

  void setMessagingServiceSid(String sid) {
    this.messagingServiceSid = sid;
  }

  public String getBody() {
    return body;
  }

  void setBody(String body) {
    this.body = body;
  }

  public List<String> getMediaUrls() {
    return mediaUrls;
  }

  void setMediaUrls(List<String> mediaUrls) {
    this.mediaUrls = mediaUrls;
  }

  public String getContentSid() {
    return contentSid;
  }

  void setContentSid(String contentSid) {
    this.contentSid = contentSid;
  }

  public String getContentVariables() {
    return contentVariables;
  }

  void setContentVariables(String contentVariables) {
    this.contentVariables = contentVariables;
  }

  public Integer getSegments() {
    return segments;
  }

  void setSegments(Integer segments) {
    this.segments = segments;
  }

  static String clip(String s) {
    return s == null || s.length() <= 1000 ? s : s.substring(0, 997) + "...";
  }

  @Override
  public String toString() {
    return "OutboxWork[id=" + row.id() + ", channel=" + getChannel() + ", outcome=" + outcome + "]";
  }
}
