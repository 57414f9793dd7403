package org.twiliocrm.sandbox.salesforce;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A recursive-descent parser for the SOQL subset the connector needs:
 *
 * <pre>
 * SELECT field (, field)* | COUNT() FROM object
 *   [WHERE cond] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST] (, ...)*] [LIMIT n] [OFFSET n]
 * cond := and (OR and)* ; and := unary (AND unary)* ; unary := NOT unary | '(' cond ')' | test
 * test := field (= | != | <> | < | <= | > | >=) literal | field [NOT] IN (literal, ...)
 *       | field LIKE 'pattern'
 * literal := 'string' | number | true | false | null | date | datetime
 * </pre>
 *
 * Errors surface as MALFORMED_QUERY, as Salesforce reports them.
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
      Integer offset) {}

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
      expectWord("SELECT");
      List<String> fields = new ArrayList<>();
      boolean count = false;
      if (peek().is("COUNT") && tokens.get(pos + 1).sym("(")) {
        pos++;
        expectSym("(");
        expectSym(")");
        count = true;
      } else {
        fields.add(identifier());
        while (peek().sym(",")) {
          pos++;
          fields.add(identifier());
        }
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
      if (peek().kind() != Kind.END) {
        throw malformed("unexpected token: '" + peek().text() + "'");
      }
      return new Query(List.copyOf(fields), count, from, where, List.copyOf(order), limit, offset);
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
      List<Condition> terms = new ArrayList<>();
      terms.add(and());
      while (peek().is("OR")) {
        pos++;
        terms.add(and());
      }
      return terms.size() == 1 ? terms.get(0) : new Or(List.copyOf(terms));
    }

    private Condition and() {
      List<Condition> terms = new ArrayList<>();
      terms.add(unary());
      while (peek().is("AND")) {
        pos++;
        terms.add(unary());
      }
      return terms.size() == 1 ? terms.get(0) : new And(List.copyOf(terms));
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
          throw malformed("unexpected token: '" + t.text() + "'");
        default:
          throw malformed("unexpected token: '" + t.text() + "'");
      }
    }
  }
}
