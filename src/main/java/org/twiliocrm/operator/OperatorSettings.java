package org.twiliocrm.operator;

import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.Key;

/** Where the operators' credentials come from (a mounted Kubernetes Secret). */
public record OperatorSettings(String credentialsPath) {

  public static final Key<String> CREDENTIALS =
      Key.string(
          "connector.operator.credentials",
          "",
          "File or directory (a mounted Secret) with the operators allowed on the HTTP port: users"
              + " with bcrypt hashes and API tokens as SHA-256, each viewer, approver or admin;"
              + " unset: sandbox mode generates one admin token and prints it, live mode admits"
              + " no one.");

  public static final List<Key<?>> KEYS = List.of(CREDENTIALS);

  public static OperatorSettings from(Function<String, String> lookup) {
    return new OperatorSettings(CREDENTIALS.read(lookup));
  }
}
