import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArmEndpoint } from './arm/endpoint.js';
import { ArmPlane } from './arm/plane.js';
import { Vault, keyVaultError, secretBundle, type SecretVersion } from './keyvault.js';
import type { SandboxCertificates } from './tls.js';

export interface SandboxOptions {
  /** Added to every response, to be honest about the network (default 15 ms). */
  latencyMs?: number;
  /** Random faults at these rates (0-1), drawn from a seeded generator. */
  faults?: { throttle?: number; unavailable?: number; reset?: number; retryAfterSeconds?: number };
  seed?: number;
  /** Lifetime of issued access tokens. */
  tokenTtlSeconds?: number;
  /** Real Azure provisioning seconds are multiplied by this in the ARM endpoint (default 0.001). */
  armTimeScale?: number;
}

export interface SandboxIdentity {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
}

const VAULT_HOST = /^([a-z0-9-]{3,24})\.vault\.azure\.net$/i;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const PAGE_SIZE = 25;
const WRITE_METHODS = new Set(['PUT', 'PATCH', 'DELETE', 'POST']);

/** The sandbox's HTTPS server: Entra ID token endpoint, Key Vault data plane, admin API. */
export class SandboxServer {
  readonly vaults = new Map<string, Vault>();
  readonly identity: SandboxIdentity = {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    subscriptionId: randomUUID(),
  };
  private readonly signingKey = randomBytes(32);
  /** Signs the federated tokens the sandbox trusts, as GitHub's OIDC issuer signs azure/login's. */
  private readonly federationKey = randomBytes(32);
  private readonly server: Server;
  private random: () => number;
  port = 0;
  /** Access tokens the Entra endpoint has issued. */
  tokensIssued = 0;
  /** Azure Resource Manager: resource groups, resources, deployments. */
  readonly arm: ArmPlane;
  private readonly armEndpoint: ArmEndpoint;

  constructor(
    certificates: SandboxCertificates,
    private readonly options: SandboxOptions = {},
  ) {
    this.random = seededRandom(options.seed ?? 1);
    this.arm = new ArmPlane(
      { subscriptionId: this.identity.subscriptionId, tenantId: this.identity.tenantId, clientId: this.identity.clientId },
      (name) => void this.createVault(name),
    );
    if (options.armTimeScale !== undefined) this.arm.timeScale = options.armTimeScale;
    this.armEndpoint = new ArmEndpoint(this.arm);
    this.server = createServer({ cert: certificates.cert, key: certificates.key }, (request, response) => {
      void this.handle(request, response).catch((error: unknown) =>
        send(response, 500, JSON.stringify({ error: { code: 'InternalError', message: String(error) } })),
      );
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  createVault(name: string): Vault {
    const vault = this.vaults.get(name.toLowerCase()) ?? new Vault(name.toLowerCase());
    this.vaults.set(vault.name, vault);
    return vault;
  }

  setFaults(faults: SandboxOptions['faults']): void {
    this.options.faults = faults ?? {};
  }

  setLatency(ms: number): void {
    this.options.latencyMs = ms;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    // Clients may send `//subscriptions/...` (the SDK's *ById methods): a path, not a protocol-relative URL.
    const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), `https://${host}`);
    const body = await readBody(request);
    await delay(this.options.latencyMs ?? 15);
    if (url.pathname.startsWith('/_sandbox'))
      return this.admin(request.method ?? 'GET', url.pathname.slice('/_sandbox'.length), body, response);
    if (host === 'login.microsoftonline.com') return this.entra(url, body, response);
    if (host === 'management.azure.com')
      return this.resourceManager(request.method ?? 'GET', url, body, request.headers.authorization, response);
    const vaultName = VAULT_HOST.exec(host)?.[1]?.toLowerCase();
    const vault = vaultName ? this.vaults.get(vaultName) : undefined;
    if (!vault) return send(response, 404, keyVaultError('NotFound', `No sandbox service answers for ${host}.`));
    return this.keyVault(vault, request.method ?? 'GET', url, body, request.headers.authorization, response);
  }

  // ---------------------------------------------------------------- Entra ID

  private entra(url: URL, body: string, response: ServerResponse): void {
    const tenant = url.pathname.split('/')[1] ?? '';
    const authority = `https://login.microsoftonline.com/${tenant}`;
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      return send(
        response,
        200,
        JSON.stringify({
          issuer: `${authority}/v2.0`,
          token_endpoint: `${authority}/oauth2/v2.0/token`,
          authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
          jwks_uri: `${authority}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'token'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          tenant_region_scope: 'NA',
        }),
      );
    }
    if (!url.pathname.endsWith('/oauth2/v2.0/token')) return send(response, 404, JSON.stringify({ error: 'not_found' }));
    const form = new URLSearchParams(body);
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (
        form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
        !this.federatedTokenIsValid(assertion)
      ) {
        return send(
          response,
          401,
          JSON.stringify({
            error: 'invalid_client',
            error_description: 'AADSTS700211: No matching federated identity record found for presented assertion issuer.',
          }),
        );
      }
    } else if (form.get('client_id') !== this.identity.clientId || form.get('client_secret') !== this.identity.clientSecret) {
      return send(
        response,
        401,
        JSON.stringify({
          error: 'invalid_client',
          error_description:
            'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
        }),
      );
    }
    const audience = (form.get('scope') ?? '').split(' ')[0]?.replace(/\/\.default$/, '') ?? '';
    const ttl = this.options.tokenTtlSeconds ?? 3600;
    this.tokensIssued++;
    send(
      response,
      200,
      JSON.stringify({
        token_type: 'Bearer',
        expires_in: ttl,
        ext_expires_in: ttl,
        access_token: this.signToken({
          aud: audience,
          appid: this.identity.clientId,
          oid: this.identity.clientId,
          tid: this.identity.tenantId,
          exp: Math.floor(Date.now() / 1000) + ttl,
        }),
      }),
    );
  }

  private signToken(claims: Record<string, unknown>, key = this.signingKey): string {
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
  }

  /** A federated token such as GitHub's OIDC provider issues for azure/login, for a given subject. */
  signFederatedToken(subject: string, lifetimeSeconds = 300): string {
    return this.signToken(
      {
        iss: 'https://token.actions.githubusercontent.com',
        aud: 'api://AzureADTokenExchange',
        sub: subject,
        exp: Math.floor(Date.now() / 1000) + lifetimeSeconds,
      },
      this.federationKey,
    );
  }

  private federatedTokenIsValid(token: string): boolean {
    const [header, claims, signature] = token.split('.');
    if (!header || !claims || signature !== createHmac('sha256', this.federationKey).update(`${header}.${claims}`).digest('base64url'))
      return false;
    const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { aud?: string; exp?: number; iss?: string };
    return (
      parsed.aud === 'api://AzureADTokenExchange' &&
      parsed.iss === 'https://token.actions.githubusercontent.com' &&
      (parsed.exp ?? 0) > Date.now() / 1000
    );
  }

  private tokenIsValid(authorization: string | undefined, audience: string): boolean {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token) return false;
    const [header, claims, signature] = token.split('.');
    if (!header || !claims || signature !== createHmac('sha256', this.signingKey).update(`${header}.${claims}`).digest('base64url'))
      return false;
    const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { aud?: string; exp?: number };
    return parsed.aud === audience && (parsed.exp ?? 0) > Date.now() / 1000;
  }

  // ---------------------------------------------------------------- Azure Resource Manager

  private resourceManager(method: string, url: URL, body: string, authorization: string | undefined, response: ServerResponse): void {
    if (!this.tokenIsValid(authorization, 'https://management.azure.com')) {
      return send(
        response,
        401,
        JSON.stringify({
          error: {
            code: authorization ? 'InvalidAuthenticationToken' : 'AuthenticationFailed',
            message: authorization
              ? 'The access token is invalid or has expired.'
              : "Authentication failed. The 'Authorization' header is missing.",
          },
        }),
      );
    }
    const result = this.armEndpoint.handle(method, url, body);
    send(response, result.status, result.body === undefined || method === 'HEAD' ? '' : JSON.stringify(result.body), result.headers);
  }

  // ---------------------------------------------------------------- Key Vault

  private keyVault(
    vault: Vault,
    method: string,
    url: URL,
    body: string,
    authorization: string | undefined,
    response: ServerResponse,
  ): void {
    vault.requests[method] = (vault.requests[method] ?? 0) + 1;
    if (!this.tokenIsValid(authorization, 'https://vault.azure.net')) {
      response.setHeader(
        'WWW-Authenticate',
        `Bearer authorization="https://login.microsoftonline.com/${this.identity.tenantId}", resource="https://vault.azure.net"`,
      );
      return send(response, 401, keyVaultError('Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'));
    }
    const allowed = vault.role === 'officer' || (vault.role === 'user' && method === 'GET');
    if (!allowed) {
      return send(
        response,
        403,
        keyVaultError(
          'Forbidden',
          `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${this.identity.clientId}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/${method === 'GET' ? 'getSecret' : 'setSecret'}/action'\r\nVault: ${vault.name}`,
          'ForbiddenByRbac',
        ),
      );
    }
    const fault = this.drawFault();
    if (fault === 'reset') return void response.socket?.destroy();
    if (fault === 'throttle' || fault === 'unavailable') {
      if (fault === 'throttle') vault.throttled++;
      response.setHeader('Retry-After', String(this.options.faults?.retryAfterSeconds ?? 1));
      return send(
        response,
        fault === 'throttle' ? 429 : 503,
        keyVaultError(
          fault === 'throttle' ? 'Throttled' : 'ServiceUnavailable',
          fault === 'throttle' ? 'Rate limit is exceeded. Try again in 1 seconds.' : 'The service is unavailable.',
        ),
      );
    }
    const wait = vault.admit(WRITE_METHODS.has(method));
    if (wait !== undefined) {
      response.setHeader('Retry-After', String(wait));
      return send(response, 429, keyVaultError('Throttled', `Rate limit is exceeded. Try again in ${wait} seconds.`));
    }
    const vaultUrl = `https://${vault.name}.vault.azure.net`;
    const [collection, name, third, fourth] = url.pathname.split('/').filter(Boolean);
    if (collection === 'secrets' && name === undefined && method === 'GET')
      return this.page(
        response,
        url,
        vaultUrl,
        [...vault.secrets.values()]
          .filter((s) => !s.secret.deletedAt)
          .map((s) => secretBundle(vaultUrl, s.name, s.secret.versions.at(-1) as SecretVersion, false)),
      );
    if (collection === 'deletedsecrets' && name === undefined && method === 'GET') {
      return this.page(
        response,
        url,
        vaultUrl,
        [...vault.secrets.values()]
          .filter((s) => s.secret.deletedAt)
          .map((s) => ({
            ...secretBundle(vaultUrl, s.name, s.secret.versions.at(-1) as SecretVersion, false),
            recoveryId: `${vaultUrl}/deletedsecrets/${s.name}`,
            deletedDate: s.secret.deletedAt,
          })),
      );
    }
    if (!name) return send(response, 404, keyVaultError('NotFound', 'Unknown operation.'));
    if (!SECRET_NAME.test(name))
      return send(
        response,
        400,
        keyVaultError('BadParameter', `The secret name '${name}' is invalid: use 1-127 letters, digits and dashes.`),
      );
    const entry = vault.get(name);

    if (collection === 'deletedsecrets') {
      if (!entry?.secret.deletedAt) return send(response, 404, keyVaultError('SecretNotFound', `Deleted Secret not found: ${name}`));
      if (method === 'POST' && third === 'recover') {
        delete entry.secret.deletedAt;
        return send(
          response,
          200,
          JSON.stringify(secretBundle(vaultUrl, entry.name, entry.secret.versions.at(-1) as SecretVersion, false)),
        );
      }
      if (method === 'DELETE') {
        vault.secrets.delete(name.toLowerCase());
        return send(response, 204, '');
      }
      return send(
        response,
        200,
        JSON.stringify({
          ...secretBundle(vaultUrl, entry.name, entry.secret.versions.at(-1) as SecretVersion, false),
          recoveryId: `${vaultUrl}/deletedsecrets/${entry.name}`,
          deletedDate: entry.secret.deletedAt,
        }),
      );
    }
    if (collection !== 'secrets') return send(response, 404, keyVaultError('NotFound', 'Unknown operation.'));

    if (method === 'PUT') {
      if (entry?.secret.deletedAt)
        return send(
          response,
          409,
          keyVaultError(
            'Conflict',
            `Secret ${entry.name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
            'ObjectIsDeletedButRecoverable',
          ),
        );
      if (entry?.secret.versions.at(-1)?.managed)
        return send(
          response,
          403,
          keyVaultError(
            'Forbidden',
            `Secret ${entry.name} is managed by a certificate and cannot be set directly; update the certificate instead.`,
          ),
        );
      const input = JSON.parse(body || '{}') as {
        value?: string;
        contentType?: string;
        tags?: Record<string, string>;
        attributes?: { enabled?: boolean; nbf?: number; exp?: number };
      };
      if (typeof input.value !== 'string') return send(response, 400, keyVaultError('BadParameter', 'Property value is required.'));
      const version = vault.put(name, {
        value: input.value,
        enabled: input.attributes?.enabled ?? true,
        ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
        ...(input.tags ? { tags: input.tags } : {}),
        ...(input.attributes?.nbf !== undefined ? { notBefore: input.attributes.nbf } : {}),
        ...(input.attributes?.exp !== undefined ? { expires: input.attributes.exp } : {}),
      });
      return send(response, 200, JSON.stringify(secretBundle(vaultUrl, vault.get(name)?.name ?? name, version, true)));
    }
    if (!entry || entry.secret.deletedAt)
      return send(response, 404, keyVaultError('SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`));
    if (method === 'DELETE') {
      entry.secret.deletedAt = Math.floor(Date.now() / 1000);
      return send(
        response,
        200,
        JSON.stringify({
          ...secretBundle(vaultUrl, entry.name, entry.secret.versions.at(-1) as SecretVersion, false),
          recoveryId: `${vaultUrl}/deletedsecrets/${entry.name}`,
          deletedDate: entry.secret.deletedAt,
        }),
      );
    }
    if (third === 'versions' && method === 'GET')
      return this.page(
        response,
        url,
        vaultUrl,
        entry.secret.versions.map((v) => secretBundle(vaultUrl, entry.name, v, false)),
      );
    const version = third ? entry.secret.versions.find((v) => v.version === third) : entry.secret.versions.at(-1);
    if (!version || fourth)
      return send(
        response,
        404,
        keyVaultError('SecretNotFound', `A secret with (name/id) ${name}/${third ?? ''} was not found in this key vault.`),
      );
    if (method === 'PATCH') {
      const input = JSON.parse(body || '{}') as {
        contentType?: string;
        tags?: Record<string, string>;
        attributes?: { enabled?: boolean; nbf?: number; exp?: number };
      };
      if (input.contentType !== undefined) version.contentType = input.contentType;
      if (input.tags !== undefined) version.tags = input.tags;
      if (input.attributes?.enabled !== undefined) version.enabled = input.attributes.enabled;
      if (input.attributes?.nbf !== undefined) version.notBefore = input.attributes.nbf;
      if (input.attributes?.exp !== undefined) version.expires = input.attributes.exp;
      version.updated = Math.floor(Date.now() / 1000);
      return send(response, 200, JSON.stringify(secretBundle(vaultUrl, entry.name, version, false)));
    }
    if (!version.enabled)
      return send(response, 403, keyVaultError('Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled'));
    send(response, 200, JSON.stringify(secretBundle(vaultUrl, entry.name, version, true)));
  }

  private page(response: ServerResponse, url: URL, vaultUrl: string, items: Record<string, unknown>[]): void {
    const size = Math.min(Number(url.searchParams.get('maxresults') ?? PAGE_SIZE) || PAGE_SIZE, PAGE_SIZE);
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const next =
      skip + size < items.length
        ? `${vaultUrl}${url.pathname}?api-version=${url.searchParams.get('api-version') ?? ''}&maxresults=${size}&$skiptoken=${skip + size}`
        : null;
    send(response, 200, JSON.stringify({ value: items.slice(skip, skip + size), nextLink: next }));
  }

  private drawFault(): 'throttle' | 'unavailable' | 'reset' | undefined {
    const { throttle = 0, unavailable = 0, reset = 0 } = this.options.faults ?? {};
    const draw = this.random();
    if (draw < throttle) return 'throttle';
    if (draw < throttle + unavailable) return 'unavailable';
    if (draw < throttle + unavailable + reset) return 'reset';
    return undefined;
  }

  // ---------------------------------------------------------------- admin API

  /** Every ARM resource with its body (GET), and manual changes that bypass ARM (PATCH `{id, properties}`), as a portal edit does. */
  private adminResources(method: string, body: string, response: ServerResponse): void {
    if (method === 'GET')
      return send(response, 200, JSON.stringify({ value: [...this.arm.resources.values()].map((resource) => this.arm.view(resource)) }));
    if (method !== 'PATCH') return send(response, 405, JSON.stringify({ error: 'use GET or PATCH' }));
    const change = JSON.parse(body) as { id?: string; properties?: Record<string, unknown> };
    if (typeof change.id !== 'string' || change.properties === null || typeof change.properties !== 'object')
      return send(response, 400, JSON.stringify({ error: 'PATCH /resources takes {"id": "<resource id>", "properties": {...}}' }));
    const resource = this.arm.resources.get(change.id.toLowerCase());
    if (!resource) return send(response, 404, JSON.stringify({ error: `no resource ${change.id}` }));
    return send(response, 200, JSON.stringify(this.arm.patchDirectly(change.id, change.properties)));
  }

  private admin(method: string, path: string, body: string, response: ServerResponse): void {
    const [collection, name, sub] = path.split('/').filter(Boolean);
    if (collection === 'resources' && !name) return this.adminResources(method, body, response);
    if (collection === 'arm' && !name && method === 'PATCH') {
      const settings = JSON.parse(body) as {
        timeScale?: number;
        roles?: string[];
        takenNames?: { type: string; name: string }[];
        deniedReads?: string[];
      };
      if (settings.timeScale !== undefined) this.arm.timeScale = settings.timeScale;
      if (settings.roles) this.arm.roles = settings.roles;
      for (const taken of settings.takenNames ?? []) this.arm.takenNames.add(`${taken.type}|${taken.name}`.toLowerCase());
      for (const id of settings.deniedReads ?? []) this.arm.deniedReads.add(id.toLowerCase());
      return send(
        response,
        200,
        JSON.stringify({
          timeScale: this.arm.timeScale,
          roles: this.arm.roles,
          takenNames: [...this.arm.takenNames],
          deniedReads: [...this.arm.deniedReads],
        }),
      );
    }
    if (collection !== 'vaults') return send(response, 404, JSON.stringify({ error: 'unknown admin path' }));
    if (method === 'POST' && !name) {
      const vault = this.createVault((JSON.parse(body) as { name: string }).name);
      return send(response, 201, JSON.stringify({ name: vault.name }));
    }
    const vault = name ? this.vaults.get(name.toLowerCase()) : undefined;
    if (!vault) return send(response, 404, JSON.stringify({ error: `no vault ${name ?? ''}` }));
    if (method === 'POST' && sub === 'secrets') {
      for (const seed of JSON.parse(body) as {
        name: string;
        value: string;
        contentType?: string;
        tags?: Record<string, string>;
        enabled?: boolean;
        managed?: boolean;
      }[]) {
        vault.put(seed.name, {
          value: seed.value,
          enabled: seed.enabled ?? true,
          ...(seed.contentType !== undefined ? { contentType: seed.contentType } : {}),
          ...(seed.tags ? { tags: seed.tags } : {}),
          ...(seed.managed ? { managed: true } : {}),
        });
      }
      return send(response, 204, '');
    }
    if (method === 'POST' && sub === 'deleted') {
      const entry = vault.get((JSON.parse(body) as { name: string }).name);
      if (!entry) return send(response, 404, JSON.stringify({ error: 'no such secret' }));
      entry.secret.deletedAt = Math.floor(Date.now() / 1000);
      return send(response, 204, '');
    }
    if (method === 'GET' && !sub) {
      const secrets = [...vault.secrets.values()].map(({ name: secretName, secret }) => ({
        name: secretName,
        deleted: Boolean(secret.deletedAt),
        versions: secret.versions,
      }));
      return send(response, 200, JSON.stringify({ name: vault.name, secrets, requests: vault.requests, throttled: vault.throttled }));
    }
    send(response, 404, JSON.stringify({ error: 'unknown admin operation' }));
  }
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    ...headers,
    ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'x-ms-request-id': randomUUID(),
  });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
