package org.twiliocrm.governance;

import java.util.List;

/** A policy file that cannot be used, with every problem found as {@code file:line: problem}. */
public final class PolicyException extends RuntimeException {
  private final List<String> problems;

  public PolicyException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
