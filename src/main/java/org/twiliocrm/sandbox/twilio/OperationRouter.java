package org.twiliocrm.sandbox.twilio;

import com.atlassian.oai.validator.interaction.ApiOperationResolver;
import com.atlassian.oai.validator.model.ApiOperationMatch;
import com.atlassian.oai.validator.model.ApiPathImpl;
import com.atlassian.oai.validator.model.NormalisedPath;
import com.atlassian.oai.validator.model.NormalisedPathImpl;
import com.atlassian.oai.validator.model.Request;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Paths;
import io.swagger.v3.oas.models.servers.Server;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds a request's operation with swagger-request-validator's own matcher ({@link
 * ApiOperationResolver}), but gives it only the paths that can match.
 *
 * <p>The library's matcher takes every path of the spec with as many segments as the request and
 * tests each segment with a regular expression it compiles per test ({@code ApiPathImpl
 * .partMatches}, case-insensitive): for {@code /2010-04-01/Accounts/{AccountSid}/Messages.json}
 * that is 25 paths. Here a path whose literal segments (those without a {@code {param}}) differ
 * from the request's, ignoring case, is left out first: such a path cannot match. The paths left,
 * usually one, go to a resolver made for them (kept per set of paths), which picks among them as
 * the full one would (same order, same specificity rule), so the match is the same.
 *
 * <p>Only for specs whose servers have no base path (Twilio's): the library then matches paths from
 * the root ({@code "/"}), as this does. Otherwise every request goes to the full resolver.
 */
final class OperationRouter {
  private static final String ROOT = "/";

  /** Distinct sets of candidate paths kept; more only happens with unusual paths. */
  private static final int MAX_RESOLVERS = 1_000;

  private final OpenAPI api;
  private final ApiOperationResolver all;

  /** Paths in spec order, by number of segments; null: route nothing, use {@link #all}. */
  private final Map<Integer, List<Template>> byParts;

  private final Map<List<String>, ApiOperationResolver> resolvers = new ConcurrentHashMap<>();

  private record Template(String key, String[] literals) {
    /** False only if a literal segment differs from the request's: then it cannot match. */
    boolean mayMatch(NormalisedPath request) {
      for (int i = 0; i < literals.length; i++) {
        if (literals[i] != null && !literals[i].equalsIgnoreCase(request.part(i))) {
          return false;
        }
      }
      return true;
    }
  }

  OperationRouter(OpenAPI api) {
    this.api = api;
    this.all = new ApiOperationResolver(api, null, false);
    this.byParts = rootServers(api) ? index(api) : null;
  }

  private static boolean rootServers(OpenAPI api) {
    List<Server> servers = api.getServers();
    if (servers == null) {
      return true;
    }
    for (Server s : servers) {
      if (s.getUrl() == null || s.getVariables() != null && !s.getVariables().isEmpty()) {
        return false;
      }
      String path;
      try {
        path = new URI(s.getUrl()).getPath();
      } catch (Exception e) {
        return false;
      }
      if (path != null && !path.isEmpty() && !path.equals(ROOT)) {
        return false;
      }
    }
    return true;
  }

  private static Map<Integer, List<Template>> index(OpenAPI api) {
    Map<Integer, List<Template>> out = new HashMap<>();
    if (api.getPaths() == null) {
      return out;
    }
    for (String key : api.getPaths().keySet()) {
      ApiPathImpl path = new ApiPathImpl(key, ROOT, false);
      String[] literals = new String[path.numberOfParts()];
      for (int i = 0; i < literals.length; i++) {
        literals[i] = path.hasParams(i) ? null : path.part(i);
      }
      out.computeIfAbsent(path.numberOfParts(), n -> new ArrayList<>())
          .add(new Template(key, literals));
    }
    return out;
  }

  ApiOperationMatch find(String path, Request.Method method) {
    if (byParts == null) {
      return all.findApiOperation(path, method);
    }
    List<String> candidates = candidates(path);
    if (candidates.isEmpty()) {
      return ApiOperationMatch.MISSING_PATH;
    }
    ApiOperationResolver resolver = resolvers.get(candidates);
    if (resolver == null) {
      resolver = resolverFor(candidates);
      if (resolvers.size() < MAX_RESOLVERS) {
        resolvers.putIfAbsent(candidates, resolver);
      }
    }
    return resolver.findApiOperation(path, method);
  }

  /** The spec's paths that may match this request path, in spec order. */
  List<String> candidates(String path) {
    if (byParts == null) {
      return api.getPaths() == null ? List.of() : List.copyOf(api.getPaths().keySet());
    }
    NormalisedPath request = new NormalisedPathImpl(path, ROOT);
    List<String> candidates = new ArrayList<>(2);
    for (Template t : byParts.getOrDefault(request.numberOfParts(), List.of())) {
      if (t.mayMatch(request)) {
        candidates.add(t.key());
      }
    }
    return candidates;
  }

  /** A resolver over these paths only (the same path items, servers and order). */
  private ApiOperationResolver resolverFor(List<String> keys) {
    Paths paths = new Paths();
    for (String k : keys) {
      paths.addPathItem(k, api.getPaths().get(k));
    }
    OpenAPI subset = new OpenAPI().servers(api.getServers()).paths(paths);
    return new ApiOperationResolver(subset, null, false);
  }
}
