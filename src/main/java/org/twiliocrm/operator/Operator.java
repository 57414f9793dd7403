package org.twiliocrm.operator;

/**
 * An authenticated operator: the name from the credentials file (or the generated sandbox one), the
 * role it holds and how it proved it ({@code password}, {@code token}).
 */
public record Operator(String name, Role role, String via) {

  /**
   * The identity recorded as the actor of a decision and compared for four eyes: API users are
   * {@code api:<name>}, so they never collide with a producer's name.
   */
  public String actor() {
    return "api:" + name;
  }
}
