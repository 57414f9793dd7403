package org.twiliocrm.sandbox.salesforce;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A recursive-descent parser for the SOQL subset the connector needs:
 *
 * <pre>
 * SELECT item (, item)* | COUNT() FROM object
 * item := field | Parent.field (any depth) | '(' SELECT field (, field)* FROM ChildRelationship
 *         [WHERE cond] [ORDER BY ...] [LIMIT n] ')'
 *   [WHERE cond] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST] (, ...)*] [LIMIT n] [OFFSET n]
 * cond := and (OR and)* ; and := unary (AND unary)* ; unary := NOT unary | '(' cond ')' | test
 * test := field (= | != | <> | < | <= | > | >=) literal | field [NOT] IN (literal, ...)
 *       | field LIKE 'pattern'
 * literal := 'string' | number | true | false | null | date | datetime | date literal
 * date literal := TODAY | YESTERDAY | TOMORROW | (LAST|THIS|NEXT)_(WEEK|MONTH|YEAR)
 *   | LAST_90_DAYS | NEXT_90_DAYS | (LAST|NEXT)_N_(DAYS|WEEKS|MONTHS|YEARS):n | N_DAYS_AGO:n
 * </pre>
 *
 * Not supported (MALFORMED_QUERY): TYPEOF, GROUP BY and aggregates other than COUNT(), semi-joins
 * ({@code IN (SELECT ...)}), FOR UPDATE, WITH, fiscal date literals.
 *
 * <p>Errors surface as MALFORMED_QUERY, as Salesforce reports them.
 */
final class Soql {
  private Soql() {}

  /** A parsed query. */
  record Query(
      List<String> fields,
      boolean count,
      String from,
      Condition where,
      List<Order> orderBy,
      Integer limit,
      Integer offset,
      List<Query> subqueries) {}

  record Order(String field, boolean descending, boolean nullsLast) {}

  /** WHERE tree. */
  sealed interface Condition permits And, Or, Not, Comparison, In, Like {}

  record And(List<Condition> terms) implements Condition {}

  record Or(List<Condition> terms) implements Condition {}

  record Not(Condition term) implements Condition {}

  record Comparison(String field, String op, Object value) implements Condition {}

  record In(String field, List<Object> values, boolean negated) implements Condition {}

  record Like(String field, String pattern) implements Condition {}

  /** Marker for an unquoted date or datetime literal, compared as text against stored values. */
  record DateLiteral(String text) {}

  /**
   * A relative date literal ({@code LAST_N_DAYS:30}): the UTC day range {@code [from, to)} it
   * stands for, computed when the query is parsed (the sandbox user's time zone is GMT).
   */
  record DateRange(String text, LocalDate from, LocalDate to) {}

  static DateRange dateRange(String word, LocalDate today) {
    String name = word.toUpperCase(Locale.ROOT);
    int n = 0;
    int colon = name.indexOf(':');
    if (colon > 0) {
      try {
        n = Integer.parseInt(name.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw malformed("invalid date literal: '" + word + "'");
      }
      name = name.substring(0, colon);
    }
    boolean wantsN = name.contains("_N_") || name.equals("N_DAYS_AGO");
    if (wantsN != (colon > 0)) {
      return null;
    }
    LocalDate week = today.minusDays(today.getDayOfWeek().getValue() % 7); // weeks start Sunday
    LocalDate month = today.withDayOfMonth(1);
    LocalDate year = today.withDayOfYear(1);
    LocalDate[] r =
        switch (name) {
          case "TODAY" -> new LocalDate[] {today, today.plusDays(1)};
          case "YESTERDAY" -> new LocalDate[] {today.minusDays(1), today};
          case "TOMORROW" -> new LocalDate[] {today.plusDays(1), today.plusDays(2)};
          case "LAST_WEEK" -> new LocalDate[] {week.minusWeeks(1), week};
          case "THIS_WEEK" -> new LocalDate[] {week, week.plusWeeks(1)};
          case "NEXT_WEEK" -> new LocalDate[] {week.plusWeeks(1), week.plusWeeks(2)};
          case "LAST_MONTH" -> new LocalDate[] {month.minusMonths(1), month};
          case "THIS_MONTH" -> new LocalDate[] {month, month.plusMonths(1)};
          case "NEXT_MONTH" -> new LocalDate[] {month.plusMonths(1), month.plusMonths(2)};
          case "LAST_YEAR" -> new LocalDate[] {year.minusYears(1), year};
          case "THIS_YEAR" -> new LocalDate[] {year, year.plusYears(1)};
          case "NEXT_YEAR" -> new LocalDate[] {year.plusYears(1), year.plusYears(2)};
          case "LAST_90_DAYS" -> new LocalDate[] {today.minusDays(90), today.plusDays(1)};
          case "NEXT_90_DAYS" -> new LocalDate[] {today.plusDays(1), today.plusDays(91)};
          case "LAST_N_DAYS" -> new LocalDate[] {today.minusDays(n), today.plusDays(1)};
          case "NEXT_N_DAYS" -> new LocalDate[] {today.plusDays(1), today.plusDays(n + 1L)};
          case "N_DAYS_AGO" -> new LocalDate[] {today.minusDays(n), today.minusDays(n - 1L)};
          case "LAST_N_WEEKS" -> new LocalDate[] {week.minusWeeks(n), week};
          case "NEXT_N_WEEKS" -> new LocalDate[] {week.plusWeeks(1), week.plusWeeks(n + 1L)};
          case "LAST_N_MONTHS" -> new LocalDate[] {month.minusMonths(n), month};
          case "NEXT_N_MONTHS" -> new LocalDate[] {month.plusMonths(1), month.plusMonths(n + 1L)};
          case "LAST_N_YEARS" -> new LocalDate[] {year.minusYears(n), year};
          case "NEXT_N_YEARS" -> new LocalDate[] {year.plusYears(1), year.plusYears(n + 1L)};
          default -> null;
        };
    return r == null ? null : new DateRange(word, r[0], r[1]);
  }

  static Query parse(String text) {
    return new Parser(tokenize(text)).query();
  }

  static SalesforceError malformed(String message) {
    return new SalesforceError(400, "MALFORMED_QUERY", message);
  }

  // ---- lexer ----

  enum Kind {
    WORD,
    STRING,
    NUMBER,
    SYMBOL,
    END
  }

  record Token(Kind kind, String text) {
    boolean is(String keyword) {
      return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
    }

    boolean sym(String s) {
      return kind == Kind.SYMBOL && text.equals(s);
    }
  }

  static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '\'') {
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
          if (i >= s.length()) {
            throw malformed("unexpected end of query: unterminated string literal");
          }
          char d = s.charAt(i++);
          if (d == '\\' && i < s.length()) {
            char e = s.charAt(i++);
            b.append(
                switch (e) {
                  case 'n' -> '\n';
                  case 't' -> '\t';
                  case 'r' -> '\r';
                  default -> e;
                });
          } else if (d == '\'') {
            break;
          } else {
            b.append(d);
          }
        }
        out.add(new Token(Kind.STRING, b.toString()));
      } else if (Character.isDigit(c)
          || (c == '-' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
        int j = i + 1;
        while (j < s.length()
            && (Character.isLetterOrDigit(s.charAt(j)) || ":.-+".indexOf(s.charAt(j)) >= 0)) {
          j++;
        }
        out.add(new Token(Kind.NUMBER, s.substring(i, j)));
        i = j;
      } else if (Character.isLetter(c) || c == '_') {
        int j = i + 1;
        while (j < s.length()
            && (Character.isLetterOrDigit(s.charAt(j))
                || s.charAt(j) == '_'
                || s.charAt(j) == '.')) {
          j++;
        }
        if (j + 1 < s.length() && s.charAt(j) == ':' && Character.isDigit(s.charAt(j + 1))) {
          j++; // LAST_N_DAYS:30
          while (j < s.length() && Character.isDigit(s.charAt(j))) {
            j++;
          }
        }
        out.add(new Token(Kind.WORD, s.substring(i, j)));
        i = j;
      } else {
        String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
        if (two.equals("!=") || two.equals("<>") || two.equals("<=") || two.equals(">=")) {
          out.add(new Token(Kind.SYMBOL, two));
          i += 2;
        } else if ("(),=<>".indexOf(c) >= 0) {
          out.add(new Token(Kind.SYMBOL, String.valueOf(c)));
          i++;
        } else {
          throw malformed("unexpected token: '" + c + "'");
        }
      }
    }
    out.add(new Token(Kind.END, "<end>"));
    return out;
  }

  // ---- parser ----

  private static final class Parser {
    private final List<Token> tokens;
    private int pos;

    Parser(List<Token> tokens) {
      this.tokens = tokens;
    }

    private Token peek() {
      return tokens.get(pos);
    }

    private Token next() {
      return tokens.get(pos++);
    }

    private void expectWord(String kw) {
      Token t = next();
      if (!t.is(kw)) {
        throw malformed(
            "expecting '" + kw.toUpperCase(Locale.ROOT) + "', found '" + t.text() + "'");
      }
    }

    private void expectSym(String s) {
      Token t = next();
      if (!t.sym(s)) {
        throw malformed("expecting '" + s + "', found '" + t.text() + "'");
      }
    }

    private String identifier() {
      Token t = next();
      if (t.kind() != Kind.WORD) {
        throw malformed("unexpected token: '" + t.text() + "'");
      }
      return t.text();
    }

    Query query() {
      Query q = query(false);
      if (peek().kind() != Kind.END) {
        throw malformed("unexpected token: '" + peek().text() + "'");
      }
      return q;
    }

    private Query query(boolean nested) {
      expectWord("SELECT");
      List<String> fields = new ArrayList<>();
      List<Query> subqueries = new ArrayList<>();
      boolean count = false;
      if (peek().is("COUNT") && tokens.get(pos + 1).sym("(")) {
        pos++;
        expectSym("(");
        expectSym(")");
        count = true;
      } else {
        do {
          if (peek().sym(",")) {
            pos++;
          }
          if (peek().sym("(")) {
            if (nested) {
              throw malformed("nested subqueries are not supported");
            }
            pos++;
            subqueries.add(query(true));
            expectSym(")");
          } else if (peek().is("TYPEOF")) {
            throw malformed("TYPEOF is not supported by the sandbox");
          } else {
            fields.add(identifier());
          }
        } while (peek().sym(","));
      }
      expectWord("FROM");
      String from = identifier();
      Condition where = null;
      if (peek().is("WHERE")) {
        pos++;
        where = or();
      }
      List<Order> order = new ArrayList<>();
      if (peek().is("ORDER")) {
        pos++;
        expectWord("BY");
        do {
          if (peek().sym(",")) {
            pos++;
          }
          String f = identifier();
          boolean desc = false;
          if (peek().is("ASC")) {
            pos++;
          } else if (peek().is("DESC")) {
            pos++;
            desc = true;
          }
          boolean nullsLast = desc;
          if (peek().is("NULLS")) {
            pos++;
            Token t = next();
            if (t.is("LAST")) {
              nullsLast = true;
            } else if (t.is("FIRST")) {
              nullsLast = false;
            } else {
              throw malformed("expecting 'FIRST' or 'LAST', found '" + t.text() + "'");
            }
          }
          order.add(new Order(f, desc, nullsLast));
        } while (peek().sym(","));
      }
      Integer limit = null;
      Integer offset = null;
      if (peek().is("LIMIT")) {
        pos++;
        limit = intLiteral();
      }
      if (peek().is("OFFSET")) {
        pos++;
        offset = intLiteral();
      }
      return new Query(
          List.copyOf(fields),
          count,
          from,
          where,
          List.copyOf(order),
          limit,
          offset,
          List.copyOf(subqueries));
    }

    private int intLiteral() {
      Token t = next();
      try {
        if (t.kind() == Kind.NUMBER) {
          int n = Integer.parseInt(t.text());
          if (n >= 0) {
            return n;
          }
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw malformed("expecting a non-negative integer, found '" + t.text() + "'");
    }

    private Condition or() {
      List<Condition> terms = terms("OR");
      return terms.size() == 1 ? terms.get(0) : new Or(List.copyOf(terms));
    }

    private Condition and() {
      List<Condition> terms = terms("AND");
      return terms.size() == 1 ? terms.get(0) : new And(List.copyOf(terms));
    }

    /**
     * The terms {@code keyword} joins, left to right: for OR each an AND, for AND each a unary
     * condition (so AND binds tighter). One loop for both levels, without a lambda per call.
     */
    private List<Condition> terms(String keyword) {
      boolean or = keyword.equals("OR");
      List<Condition> terms = new ArrayList<>();
      terms.add(or ? and() : unary());
      while (peek().is(keyword)) {
        pos++;
        terms.add(or ? and() : unary());
      }
      return terms;
    }

    private Condition unary() {
      if (peek().is("NOT")) {
        pos++;
        return new Not(unary());
      }
      if (peek().sym("(")) {
        pos++;
        Condition c = or();
        expectSym(")");
        return c;
      }
      String field = identifier();
      Token op = next();
      if (op.is("LIKE")) {
        Token p = next();
        if (p.kind() != Kind.STRING) {
          throw malformed("LIKE needs a string pattern, found '" + p.text() + "'");
        }
        return new Like(field, p.text());
      }
      boolean negated = false;
      if (op.is("NOT")) {
        negated = true;
        op = next();
        if (!op.is("IN")) {
          throw malformed("expecting 'IN', found '" + op.text() + "'");
        }
      }
      if (op.is("IN")) {
        expectSym("(");
        List<Object> values = new ArrayList<>();
        values.add(literal());
        while (peek().sym(",")) {
          pos++;
          values.add(literal());
        }
        expectSym(")");
        return new In(field, values, negated);
      }
      if (op.kind() == Kind.SYMBOL
          && List.of("=", "!=", "<>", "<", "<=", ">", ">=").contains(op.text())) {
        return new Comparison(field, op.text().equals("<>") ? "!=" : op.text(), literal());
      }
      throw malformed("unexpected token: '" + op.text() + "'");
    }

    private Object literal() {
      Token t = next();
      switch (t.kind()) {
        case STRING:
          return t.text();
        case NUMBER:
          if (t.text().matches("\\d{4}-\\d{2}-\\d{2}.*")) {
            return new DateLiteral(t.text());
          }
          try {
            return Double.parseDouble(t.text());
          } catch (NumberFormatException e) {
            throw malformed("invalid number: '" + t.text() + "'");
          }
        case WORD:
          if (t.is("null")) {
            return null;
          }
          if (t.is("true") || t.is("false")) {
            return Boolean.parseBoolean(t.text().toLowerCase(Locale.ROOT));
          }
          DateRange range = dateRange(t.text(), LocalDate.now(ZoneOffset.UTC));
          if (range != null) {
            return range;
          }
          throw malformed("unexpected token: '" + t.text() + "'");
        default:
          throw malformed("unexpected token: '" + t.text() + "'");
      }
    }
  }
}
