package org.twiliocrm.crm.events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.Route;
import org.apache.camel.support.RoutePolicySupport;

/**
 * {@code routePolicy: crmEventsLeader} in a route's YAML: the route runs on the elected leader
 * only. Like camel-cluster's ClusteredRoutePolicy, it takes the route's start-up away from Camel;
 * {@link CrmEventSubscriptions} starts it when this process becomes leader, after pinning the
 * channel's replay id from the database, and stops it when leadership is lost.
 */
public final class LeaderOnlyRoutePolicy extends RoutePolicySupport {
  private final List<String> routeIds = new CopyOnWriteArrayList<>();

  @Override
  public void onInit(Route route) {
    super.onInit(route);
    route.setAutoStartup(false);
    if (!routeIds.contains(route.getRouteId())) {
      routeIds.add(route.getRouteId());
    }
  }

  /** The routes that declared this policy, in the order Camel built them. */
  List<String> routeIds() {
    return routeIds;
  }
}
