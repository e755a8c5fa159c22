import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin.js';
import { ArmEndpoint } from './arm/endpoint.js';
import { ArmPlane } from './arm/plane.js';
import { Entra, type SandboxIdentity } from './entra.js';
import { readBody, reply, send, type Answer } from './http.js';
import { KeyVaultEndpoint, type FaultRates } from './keyvault/endpoint.js';
import { KeyVaults, keyVaultError } from './keyvault/plane.js';
import type { SandboxCertificates } from './tls.js';

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
}

const VAULT_HOST = /^([a-z0-9-]{3,24})\.vault\.azure\.net$/i;

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
  port = 0;
  private readonly server: Server;
  private readonly armEndpoint: ArmEndpoint;
  private readonly keyVaultEndpoint: KeyVaultEndpoint;

  constructor(
    certificates: SandboxCertificates,
    private readonly options: SandboxOptions = {},
  ) {
    this.entra = new Entra(options.tokenTtlSeconds);
    const { subscriptionId, tenantId, clientId } = this.entra.identity;
    this.arm = new ArmPlane({ subscriptionId, tenantId, clientId }, (name) => void this.keyVaults.create(name));
    if (options.armTimeScale !== undefined) this.arm.timeScale = options.armTimeScale;
    this.armEndpoint = new ArmEndpoint(this.arm);
    this.keyVaultEndpoint = new KeyVaultEndpoint(this.entra, () => this.options.faults ?? {}, seededRandom(options.seed ?? 1));
    this.server = createServer({ cert: certificates.cert, key: certificates.key }, (request, response) => {
      void (async () => {
        const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
        const method = request.method ?? 'GET';
        // Clients may send `//subscriptions/...` (the SDK's *ById methods): a path, not a protocol-relative URL.
        const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), `https://${host}`);
        const body = await readBody(request);
        await delay(this.options.latencyMs ?? 15);
        send(response, this.route(host, method, url, body, request.headers.authorization), method);
      })().catch((error: unknown) => send(response, reply(500, { error: { code: 'InternalError', message: String(error) } })));
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
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  setFaults(faults: FaultRates | undefined): void {
    this.options.faults = faults ?? {};
  }

  setLatency(ms: number): void {
    this.options.latencyMs = ms;
  }

  private route(host: string, method: string, url: URL, body: string, authorization: string | undefined): Answer {
    if (url.pathname.startsWith('/_sandbox'))
      return handleAdmin(method, url.pathname.slice('/_sandbox'.length), body, { arm: this.arm, keyVaults: this.keyVaults });
    if (host === 'login.microsoftonline.com') return this.entra.handle(url, body);
    if (host === 'management.azure.com') {
      if (!this.entra.accessTokenClaims(authorization, 'https://management.azure.com')) {
        return reply(401, {
          error: authorization
            ? { code: 'InvalidAuthenticationToken', message: 'The access token is invalid or has expired.' }
            : { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." },
        });
      }
      return this.armEndpoint.handle(method, url, body);
    }
    const vault = this.keyVaults.get(VAULT_HOST.exec(host)?.[1] ?? '');
    if (!vault) return reply(404, keyVaultError('NotFound', `No sandbox service answers for ${host}.`));
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
