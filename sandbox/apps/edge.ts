import type { Reply } from '../http.js';
import type { ResourcePlane } from '../arm/resource-plane.js';
import { isObject, type Json, type StoredResource } from '../arm/resources.js';
import type { ContainerAppsRuntime } from './runtime.js';

/**
 * Azure Front Door's edge, for the sandbox: a request to an endpoint's host name (or a custom
 * domain on a route) goes through the route to its origin group's enabled origin, and on to the
 * Container App the origin names, through Private Link when the origin has a shared private link
 * resource (which the environment's owner must have approved), with the headers Front Door adds
 * (X-Forwarded-Host, X-Forwarded-Proto, X-Azure-FDID). Front Door answers 503 when no origin can
 * take the request.
 */
export class FrontDoorEdge {
  constructor(
    private readonly plane: ResourcePlane,
    private readonly apps: ContainerAppsRuntime,
  ) {}

  async serve(
    host: string,
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): Promise<Reply> {
    const route = this.routeFor(host.toLowerCase());
    if (!route) return { status: 404, body: 'The requested host name is not configured on Azure Front Door.' };
    const origin = this.originOf(route);
    if (!origin) return unavailable();
    const originHost = String(origin.properties['hostName'] ?? '').toLowerCase();
    const shared = origin.properties['sharedPrivateLinkResource'];
    if (isObject(shared) && !this.approved(shared)) return unavailable();
    const profile = this.resource(origin.id.replace(/\/originGroups\/.*$/i, ''));
    return this.apps.serve(
      originHost,
      method,
      path,
      {
        ...headers,
        host: originHost,
        'x-forwarded-host': host,
        'x-forwarded-proto': 'https',
        ...(profile ? { 'x-azure-fdid': String((this.plane.view(profile)['properties'] as Json)['frontDoorId'] ?? '') } : {}),
      },
      body,
      isObject(shared) ? 'private-link' : 'public',
    );
  }

  /** The enabled route serving `host`: the endpoint's own host (linkToDefaultDomain) or one of its custom domains. */
  private routeFor(host: string): StoredResource | undefined {
    const routes = this.ofType('microsoft.cdn/profiles/afdendpoints/routes');
    const endpoint = this.ofType('microsoft.cdn/profiles/afdendpoints').find(
      (candidate) => String((this.plane.view(candidate)['properties'] as Json)['hostName'] ?? '').toLowerCase() === host,
    );
    if (endpoint)
      return routes.find(
        (route) =>
          route.id.toLowerCase().startsWith(`${endpoint.id.toLowerCase()}/routes/`) &&
          String(route.properties['linkToDefaultDomain'] ?? 'Disabled').toLowerCase() === 'enabled',
      );
    const domain = this.ofType('microsoft.cdn/profiles/customdomains').find(
      (candidate) => String(candidate.properties['hostName'] ?? '').toLowerCase() === host,
    );
    if (!domain) return undefined;
    return routes.find(
      (route) =>
        Array.isArray(route.properties['customDomains']) &&
        (route.properties['customDomains'] as unknown[]).some(
          (entry) => isObject(entry) && String(entry['id'] ?? '').toLowerCase() === domain.id.toLowerCase(),
        ),
    );
  }

  private originOf(route: StoredResource): StoredResource | undefined {
    const group = isObject(route.properties['originGroup']) ? String(route.properties['originGroup']['id'] ?? '').toLowerCase() : '';
    return this.ofType('microsoft.cdn/profiles/origingroups/origins').find(
      (origin) =>
        origin.id.toLowerCase().startsWith(`${group}/origins/`) &&
        String(origin.properties['enabledState'] ?? 'Enabled').toLowerCase() === 'enabled',
    );
  }

  /** Whether the target's owner approved the private endpoint connection this origin asked for. */
  private approved(shared: Json): boolean {
    const target = isObject(shared['privateLink']) ? String(shared['privateLink']['id'] ?? '').toLowerCase() : '';
    return this.ofType('microsoft.app/managedenvironments/privateendpointconnections').some((connection) => {
      const state = connection.properties['privateLinkServiceConnectionState'];
      return (
        connection.id.toLowerCase().startsWith(`${target}/privateendpointconnections/`) &&
        isObject(state) &&
        state['description'] === shared['requestMessage'] &&
        String(state['status']).toLowerCase() === 'approved'
      );
    });
  }

  private ofType(type: string): StoredResource[] {
    return [...this.plane.resources.values()].filter(
      (resource) => resource.type.toLowerCase() === type && resource.provisioningState === 'Succeeded',
    );
  }

  private resource(id: string): StoredResource | undefined {
    return this.plane.resources.get(id.toLowerCase());
  }
}

/** Front Door's answer when no origin can take the request. */
function unavailable(): Reply {
  return {
    status: 503,
    body: 'Our services aren\u2019t available right now. We\u2019re working to restore all services as soon as possible.',
  };
}
