package org.twiliocrm.operator;

/**
 * An authenticated operator: the name from the credentials file (or the generated sandbox one), the
 * role it holds and how it proved it ({@code password}, {@code token}).
 */
public record Operator(String name, Role role, String via) {}
