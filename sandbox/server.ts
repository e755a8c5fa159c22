import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { AcrEndpoint } from './acr/endpoint.js';
import { ContainerAppsRuntime } from './apps/runtime.js';
import { FrontDoorEdge } from './apps/edge.js';
import { GitHub } from './github.js';
import { Twilio } from './twilio.js';
import { handleAdmin } from './admin.js';
import { ArmEndpoint } from './arm/endpoint.js';
import { ArmPlane } from './arm/plane.js';
import { rolesOn } from './arm/role-assignments.js';
import { Entra, type SandboxIdentity } from './entra.js';
import { readBody, reply, send, type Answer } from './http.js';
import { KeyVaultEndpoint, type FaultRates } from './keyvault/endpoint.js';
import { KeyVaults, keyVaultError } from './keyvault/plane.js';
import type { SandboxCertificates } from './tls.js';
import { logsQuery } from './monitor/logs.js';
import { metricsList } from './monitor/metrics.js';
import { RequestLog } from './monitor/requests.js';

export type { SandboxIdentity } from './entra.js';

export interface SandboxOptions {
  /** Added to every response, to be honest about the network (default 15 ms). */
  latencyMs?: number;
  /** Random faults at these rates (0-1), drawn from a seeded generator. */
  faults?: FaultRates;
  seed?: number;
  /** Lifetime of issued access tokens. */
  tokenTtlSeconds?: number;
  /** Real Azure provisioning seconds are multiplied by this in the ARM endpoint (default 0.001). */
  armTimeScale?: number;
  /** The docker daemon that runs Container Apps revisions (its DOCKER_HOST); without one, revisions of real images fail. */
  docker?: { env: Record<string, string> };
  /** Revision probe periods are multiplied by this (default 0.05). */
  appTimeScale?: number;
  /** How long a request the ingress routed takes to show in Azure Monitor's metrics and the HTTP logs (default 0). */
  monitorIngestionDelayMs?: number;
}

const VAULT_HOST = /^([a-z0-9-]{3,24})\.vault\.azure\.net$/i;
const REGISTRY_HOST = /^([a-z0-9]{5,50})\.azurecr\.io$/i;
const APPS_DOMAIN = /\.azurecontainerapps\.io$/i;
const METRICS_PATH = /^(\/subscriptions\/.+)\/providers\/microsoft\.insights\/metrics$/i;
const LOGS_PATH = /^\/v1\/workspaces\/([^/]+)\/query$/i;
/** Front Door endpoints' host names (`<endpoint>-<hash>.z01.azurefd.net`). */
const EDGE_DOMAIN = /\.azurefd\.net$/i;

/**
 * The sandbox's one HTTPS server. It only routes, by the Azure host name a request is for:
 * Entra ID (`entra.ts`), Resource Manager (`arm/`), each vault's data plane (`keyvault/`), and
 * the admin API (`admin.ts`) under `/_sandbox`.
 */
export class SandboxServer {
  readonly entra: Entra;
  /** Azure Resource Manager: resource groups, resources, deployments. */
  readonly arm: ArmPlane;
  readonly keyVaults = new KeyVaults();
  /** Twilio's phone-number API at `api.twilio.com`, for rehearsing the cutover's webhook switch. */
  readonly twilio = new Twilio();
  /** GitHub's REST API at `api.github.com`: network configurations, runner groups and hosted runners for `azure-hipaa github-runners`. */
  readonly github = new GitHub();
  /** Each registry's data plane at `<name>.azurecr.io`. */
  readonly registries: AcrEndpoint;
  /** Container Apps' revisions and the HTTPS front of `<app>.<environment domain>`. */
  readonly apps: ContainerAppsRuntime;
  /** Every request the apps' ingress routed: Azure Monitor's metrics (`Requests`) and the HTTP logs (`ContainerAppHTTPLogs`). */
  readonly requests = new RequestLog();
  /** Azure Front Door's edge in front of the apps (sandbox/apps/edge.ts). */
  readonly edge: FrontDoorEdge;
  /** Custom domains a test points at the sandbox, as a CNAME to an endpoint would (`voice.example.com`). */
  readonly edgeDomains = new Set<string>();
  port = 0;
  /** A plain-HTTP CONNECT proxy to the sandbox's registries and apps, for clients that cannot be routed otherwise (dockerd, curl). */
  proxyPort = 0;
  private readonly server: Server;
  private readonly proxy: HttpServer;
  /** Tunnels the proxy opened: they leave the HTTP server's books once upgraded, so close() ends them itself. */
  private readonly tunnels = new Set<Duplex>();
  private readonly armEndpoint: ArmEndpoint;
  private readonly keyVaultEndpoint: KeyVaultEndpoint;

  constructor(
    certificates: SandboxCertificates,
    private readonly options: SandboxOptions = {},
  ) {
    this.entra = new Entra(options.tokenTtlSeconds);
    const { subscriptionId, tenantId, clientId } = this.entra.identity;
    this.arm = new ArmPlane(
      { subscriptionId, tenantId, clientId },
      (name) => void this.keyVaults.create(name),
      (name) => void this.keyVaults.vaults.delete(name.toLowerCase()),
    );
    if (options.armTimeScale !== undefined) this.arm.timeScale = options.armTimeScale;
    this.armEndpoint = new ArmEndpoint(this.arm);
    this.registries = new AcrEndpoint({
      registry: (name) => {
        const resource = this.arm.findResource('Microsoft.ContainerRegistry/registries', name);
        return resource
          ? {
              id: resource.id,
              publicNetworkAccess: resource.properties['publicNetworkAccess'] !== 'Disabled',
              adminUserEnabled: resource.properties['adminUserEnabled'] === true,
            }
          : undefined;
      },
      rolesOn: (principalId, scopeId) => rolesOn(this.arm, principalId, scopeId),
      entraClaims: (token) =>
        this.entra.accessTokenClaims(`Bearer ${token}`, 'https://containerregistry.azure.net') ??
        this.entra.accessTokenClaims(`Bearer ${token}`, 'https://management.azure.com'),
    });
    this.keyVaultEndpoint = new KeyVaultEndpoint(
      this.entra,
      () => this.options.faults ?? {},
      seededRandom(options.seed ?? 1),
      this.keyVaults,
      (vault) => {
        const resource = this.arm.findResource('Microsoft.KeyVault/vaults', vault.name);
        return resource
          ? {
              location: String(resource.envelope['location'] ?? ''),
              publicNetworkAccess: resource.properties['publicNetworkAccess'] !== 'Disabled',
            }
          : undefined;
      },
    );
    this.apps = new ContainerAppsRuntime(this.arm, this.registries, this.keyVaults, {
      timeScale: options.appTimeScale ?? 0.05,
      ...(options.docker ? { docker: options.docker } : {}),
    });
    this.arm.apps = this.apps;
    this.apps.onRequest = (record) => this.requests.record(record);
    this.requests.ingestionDelayMs = options.monitorIngestionDelayMs ?? 0;
    this.edge = new FrontDoorEdge(this.arm, this.apps);
    this.arm.keyVaults = this.keyVaults;
    this.arm.registries = this.registries;
    // Each Container Apps environment's `*.<defaultDomain>` gets a certificate from the same CA when first asked for.
    const appCertificates = new Map<string, SecureContext>();
    const SNICallback = (servername: string, callback: (error: Error | null, context?: SecureContext) => void) => {
      if (!APPS_DOMAIN.test(servername) && !EDGE_DOMAIN.test(servername) && !this.edgeDomains.has(servername.toLowerCase()))
        return callback(null);
      const domain = servername.split('.').slice(1).join('.').toLowerCase();
      let context = appCertificates.get(domain);
      if (!context) appCertificates.set(domain, (context = createSecureContext(certificates.issue([`*.${domain}`]))));
      callback(null, context);
    };
    this.server = createServer({ cert: certificates.cert, key: certificates.key, SNICallback }, (request, response) => {
      void (async () => {
        const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
        const method = request.method ?? 'GET';
        // Clients may send `//subscriptions/...` (the SDK's *ById methods): a path, not a protocol-relative URL.
        const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), `https://${host}`);
        const raw = await readBody(request);
        await delay(this.options.latencyMs ?? 15);
        const registry = REGISTRY_HOST.exec(host)?.[1]?.toLowerCase();
        const answer = registry
          ? this.registries.handle(registry, { method, url, headers: request.headers, body: raw })
          : APPS_DOMAIN.test(host)
            ? await this.apps.serve(host, method, `${url.pathname}${url.search}`, request.headers, raw)
            : EDGE_DOMAIN.test(host) || this.edgeDomains.has(host)
              ? await this.edge.serve(host, method, `${url.pathname}${url.search}`, request.headers, raw)
              : this.route(host, method, url, raw.toString('utf8'), request.headers.authorization, correlationOf(request.headers));
        send(response, answer, method);
      })().catch((error: unknown) => send(response, reply(500, { error: { code: 'InternalError', message: String(error) } })));
    });
    this.proxy = createHttpServer((_request, response) => response.writeHead(405).end());
    this.proxy.on('connect', (request, client, head) => {
      const [host = '', port] = (request.url ?? '').split(':');
      // Only hosts the sandbox serves, as if DNS knew no other; everything stays on 127.0.0.1.
      const registry = REGISTRY_HOST.exec(host)?.[1]?.toLowerCase();
      const served = registry
        ? this.registries.exists(registry)
        : APPS_DOMAIN.test(host) || EDGE_DOMAIN.test(host) || this.edgeDomains.has(host.toLowerCase());
      if (port !== '443' || !served) {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        return;
      }
      this.tunnels.add(client);
      client.on('close', () => this.tunnels.delete(client));
      client.on('error', () => client.destroy());
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      // The tunnel's bytes are the client's TLS: hand the socket to the HTTPS server itself, no second hop.
      if (head.length > 0) client.unshift(head);
      this.server.emit('connection', client);
    });
  }

  get identity(): SandboxIdentity {
    return this.entra.identity;
  }

  async listen(): Promise<void> {
    // Node closes an idle keep-alive connection after 5 s, racing clients that reuse it at that moment (an ECONNRESET
    // no request caused). Azure's front ends keep idle connections for minutes; so does the sandbox.
    this.server.keepAliveTimeout = 120_000;
    this.server.headersTimeout = 121_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => this.proxy.listen(0, '127.0.0.1', resolve));
    this.proxyPort = (this.proxy.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.apps.stop();
    this.server.closeAllConnections();
    this.proxy.closeAllConnections();
    for (const tunnel of this.tunnels) tunnel.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      new Promise<void>((resolve) => this.proxy.close(() => resolve())),
    ]);
  }

  setFaults(faults: FaultRates | undefined): void {
    this.options.faults = faults ?? {};
  }

  setLatency(ms: number): void {
    this.options.latencyMs = ms;
  }

  private route(
    host: string,
    method: string,
    url: URL,
    body: string,
    authorization: string | undefined,
    correlationId: string | undefined,
  ): Answer {
    if (url.pathname.startsWith('/_sandbox'))
      return handleAdmin(method, url.pathname.slice('/_sandbox'.length), body, {
        arm: this.arm,
        keyVaults: this.keyVaults,
        registries: this.registries,
        requests: this.requests,
      });
    if (host === 'login.microsoftonline.com') return this.entra.handle(url, body);
    if (host === 'api.twilio.com') return this.twilio.handle(method, url, body, authorization);
    if (host === 'api.github.com') return this.github.handle(method, url, body, authorization);
    if (host === 'api.loganalytics.io') {
      if (!this.entra.accessTokenClaims(authorization, 'https://api.loganalytics.io'))
        return reply(403, {
          error: {
            code: 'InvalidTokenError',
            message: 'The provided authentication is not valid for this resource',
            correlationId: randomUUID(),
          },
        });
      const workspace = LOGS_PATH.exec(url.pathname)?.[1];
      if (!workspace)
        return reply(404, { error: { code: 'PathNotFoundError', message: `The requested path does not exist: ${url.pathname}` } });
      return logsQuery(this.arm, this.requests, workspace, method, url, body);
    }
    if (host === 'management.azure.com') {
      if (!this.entra.accessTokenClaims(authorization, 'https://management.azure.com')) {
        return reply(
          401,
          {
            error: authorization
              ? { code: 'InvalidAuthenticationToken', message: 'The access token is invalid or has expired.' }
              : { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." },
          },
          { 'x-ms-correlation-request-id': correlationId ?? randomUUID() },
        );
      }
      const metricsOf = METRICS_PATH.exec(url.pathname)?.[1];
      if (metricsOf && method === 'GET') return metricsList(this.arm, this.requests, metricsOf, url);
      return this.armEndpoint.handle(method, url, body, correlationId);
    }
    const vault = this.keyVaults.get(VAULT_HOST.exec(host)?.[1] ?? '');
    if (!vault)
      return reply(404, keyVaultError('VaultNotFound', `The vault '${host}' could not be found.`), { 'x-ms-error-code': 'VaultNotFound' });
    return this.keyVaultEndpoint.handle(vault, method, url, body, authorization);
  }
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** mulberry32: small, seedable, good enough to draw faults reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The caller's `x-ms-correlation-request-id`, which ARM echoes (and otherwise makes up). */
function correlationOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers['x-ms-correlation-request-id'];
  return typeof value === 'string' && value ? value : undefined;
}
