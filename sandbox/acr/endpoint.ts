/**
 * A registry's data plane at `<name>.azurecr.io`, as Azure Container Registry answers: the Docker
 * token handshake (`/v2/` challenge, `/oauth2/exchange` of an Entra token for an ACR refresh token,
 * `/oauth2/token` for repository-scoped access tokens granted by the caller's roles on the
 * registry), the OCI distribution API (blobs, chunked and monolithic uploads, cross-repository
 * mounts, manifests and indexes, tags), errors in the registry's JSON shape, and the network rule
 * of a registry whose public network access is disabled.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { reply, type Reply } from '../http.js';
import { DIGEST, REPOSITORY_NAME, RegistryContent, TAG, digestOf } from './registry.js';

/** What the registry needs from the rest of Azure: its ARM resource, role assignments, Entra tokens. */
export interface RegistryEnvironment {
  /** The provisioned registry resource of this name, or undefined (then the name does not resolve). */
  registry(name: string): { id: string; publicNetworkAccess: boolean; adminUserEnabled: boolean } | undefined;
  /** Built-in role names `principalId` holds on `scopeId`, assigned there or above. */
  rolesOn(principalId: string, scopeId: string): string[];
  /** The claims of a valid Entra access token for ARM or ACR, else undefined. */
  entraClaims(token: string): Record<string, unknown> | undefined;
}

export interface RegistryRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The user name that tells ACR the password is an ACR refresh token (what `az acr login` uses). */
export const REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

const PUSHERS = ['Owner', 'Contributor', 'AcrPush'];
const PULLERS = [...PUSHERS, 'AcrPull', 'Reader'];
const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const REFRESH_TOKEN_SECONDS = 3 * 3600;
const ACCESS_TOKEN_SECONDS = 75 * 60;

interface Access {
  type: string;
  name: string;
  actions: string[];
}

export class AcrEndpoint {
  readonly contents = new Map<string, RegistryContent>();
  /** Registries whose private network the test runner is inside (as a self-hosted runner in the virtual network would be). */
  readonly insideNetwork = new Set<string>();
  /**
   * Registries a Container Apps environment is pulling from right now. Its pulls come through its
   * own network (in Azure, the private endpoint the template gives the registry), not this
   * machine's, so the network rule lets them in; they reach the sandbox through the same daemon.
   */
  private readonly pullingFromEnvironment = new Map<string, number>();
  /** Every refresh and access token handed out, so tests can prove none leaked into logs or files. */
  readonly issuedTokens: string[] = [];
  private readonly key = randomBytes(32);

  constructor(private readonly environment: RegistryEnvironment) {}

  content(name: string): RegistryContent {
    let content = this.contents.get(name);
    if (!content) this.contents.set(name, (content = new RegistryContent(name)));
    return content;
  }

  /** The ARM id of a registry of this name, if it is provisioned. */
  resourceId(name: string): string | undefined {
    return this.environment.registry(name)?.id;
  }

  /** A refresh token for `principalId`, as Container Apps holds one for an app's registry identity. */
  refreshTokenFor(name: string, principalId: string): string {
    const now = Math.floor(Date.now() / 1000);
    return this.sign({
      aud: `${name}.azurecr.io`,
      sub: principalId,
      grant_type: 'refresh_token',
      iat: now,
      exp: now + REFRESH_TOKEN_SECONDS,
    });
  }

  /** Runs `pull` as the Container Apps environment's, from inside the registry's network. */
  async pullFromEnvironment<T>(name: string, pull: () => Promise<T>): Promise<T> {
    this.pullingFromEnvironment.set(name, (this.pullingFromEnvironment.get(name) ?? 0) + 1);
    try {
      return await pull();
    } finally {
      const left = (this.pullingFromEnvironment.get(name) ?? 1) - 1;
      if (left > 0) this.pullingFromEnvironment.set(name, left);
      else this.pullingFromEnvironment.delete(name);
    }
  }

  /** Whether a registry of this name answers at all (its host name resolves). */
  exists(name: string): boolean {
    return this.environment.registry(name) !== undefined;
  }

  handle(name: string, request: RegistryRequest): Reply {
    return withApiVersion(this.route(name, request));
  }

  /**
   * The same registry API with no sign-in and no network rule, as a bare local registry answers: the
   * baseline `npm run bench` measures ACR's sign-in against.
   */
  handleAnonymously(name: string, request: RegistryRequest): Reply {
    const repository = /^\/v2\/(.+?)\/(blobs|manifests|tags)\//.exec(request.url.pathname)?.[1] ?? '';
    const everything = [{ type: 'repository', name: repository, actions: ['pull', 'push', 'delete'] }];
    return withApiVersion(this.distribution(name, request.url.host, request, everything));
  }

  private route(name: string, request: RegistryRequest): Reply {
    const registry = this.environment.registry(name);
    if (!registry) return errors(404, 'NAME_UNKNOWN', `registry ${name} does not exist`);
    if (!registry.publicNetworkAccess && !this.insideNetwork.has(name) && !this.pullingFromEnvironment.has(name))
      return errors(403, 'DENIED', "client with IP '127.0.0.1' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.");
    const host = `${name}.azurecr.io`;
    const path = request.url.pathname;
    if (path === '/oauth2/exchange') return this.exchange(host, request);
    if (path === '/oauth2/token') return this.token(host, registry, request);
    if (!path.startsWith('/v2/')) return errors(404, 'NOT_FOUND', 'not found');
    return this.distribution(name, host, request, this.accessOf(host, request.headers['authorization']));
  }

  /** The OCI distribution API under `/v2/`, for a caller holding `access`. */
  private distribution(name: string, host: string, request: RegistryRequest, access: Access[] | undefined): Reply {
    const path = request.url.pathname;
    const content = this.content(name);
    if (path === '/v2/' || path === '/v2') return access ? reply(200, {}) : this.challenge(host);
    if (path === '/v2/_catalog') {
      if (!hasAction(access, 'registry', 'catalog', '*')) return this.challenge(host, 'registry:catalog:*', access);
      return reply(200, { repositories: [...content.repositories.keys()].sort() });
    }
    const match = /^\/v2\/(.+?)\/(blobs\/uploads\/?([^/]*)|blobs\/([^/]+)|manifests\/([^/]+)|tags\/list)$/.exec(path);
    if (!match) return errors(404, 'NOT_FOUND', 'not found');
    const [, repository = '', , uploadId, blobDigest, reference] = match;
    if (!REPOSITORY_NAME.test(repository)) return errors(400, 'NAME_INVALID', 'invalid repository name', { name: repository });
    const action = request.method === 'GET' || request.method === 'HEAD' ? 'pull' : request.method === 'DELETE' ? 'delete' : 'push';
    if (!hasAction(access, 'repository', repository, action)) {
      return this.challenge(host, `repository:${repository}:${action === 'pull' ? 'pull' : `pull,${action}`}`, access, {
        Type: 'repository',
        Name: repository,
        Action: action,
      });
    }
    if (match[2]?.startsWith('blobs/uploads')) return this.upload(content, repository, uploadId ?? '', request, access);
    if (blobDigest !== undefined) return this.blob(content, repository, blobDigest, request);
    if (reference !== undefined) return this.manifest(content, repository, reference, request);
    return this.tags(content, repository, request.url);
  }

  // ---------------------------------------------------------------- tokens

  private exchange(host: string, request: RegistryRequest): Reply {
    if (request.method !== 'POST') return errors(405, 'UNSUPPORTED', 'use POST');
    const form = new URLSearchParams(request.body.toString('utf8'));
    if (form.get('grant_type') !== 'access_token') return errors(400, 'UNSUPPORTED', 'grant_type must be access_token');
    if (form.get('service') !== host) return errors(400, 'UNAUTHORIZED', `service must be ${host}`);
    const claims = this.environment.entraClaims(form.get('access_token') ?? '');
    const tenant = form.get('tenant');
    if (!claims || (tenant !== null && tenant !== claims['tid']))
      return errors(401, 'UNAUTHORIZED', 'the access token is invalid, expired, or for another tenant or audience');
    const now = Math.floor(Date.now() / 1000);
    return reply(200, {
      refresh_token: this.sign({
        aud: host,
        sub: claims['oid'],
        tid: claims['tid'],
        grant_type: 'refresh_token',
        iat: now,
        exp: now + REFRESH_TOKEN_SECONDS,
      }),
    });
  }

  private token(host: string, registry: { id: string; adminUserEnabled: boolean }, request: RegistryRequest): Reply {
    let refreshToken: string | undefined;
    let params: URLSearchParams;
    if (request.method === 'POST') {
      params = new URLSearchParams(request.body.toString('utf8'));
      if (params.get('grant_type') !== 'refresh_token') return errors(400, 'UNSUPPORTED', 'grant_type must be refresh_token');
      refreshToken = params.get('refresh_token') ?? undefined;
    } else if (request.method === 'GET') {
      params = request.url.searchParams;
      const basic = /^Basic (.+)$/i.exec(String(request.headers['authorization'] ?? ''))?.[1];
      const [user, ...password] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
      // The admin user would sign in with the registry's name; it is disabled on every HIPAA registry.
      if (user !== REFRESH_TOKEN_USER) return errors(401, 'UNAUTHORIZED', 'authentication required');
      refreshToken = password.join(':');
    } else return errors(405, 'UNSUPPORTED', 'use GET or POST');
    const claims = refreshToken ? this.verify(refreshToken) : undefined;
    if (!claims || claims['grant_type'] !== 'refresh_token' || claims['aud'] !== host)
      return errors(401, 'UNAUTHORIZED', 'authentication required');
    if (params.get('service') !== host) return errors(400, 'UNAUTHORIZED', `service must be ${host}`);
    const roles = this.environment.rolesOn(String(claims['sub']), registry.id);
    // As the Docker token spec says: the token holds what was asked for and is allowed, possibly nothing.
    const access: Access[] = params.getAll('scope').flatMap((scope) => {
      const [type = '', ...rest] = scope.split(':');
      const actions = (rest.pop() ?? '').split(',');
      const granted = actions.filter((action) =>
        action === 'push' || action === 'delete'
          ? roles.some((role) => PUSHERS.includes(role))
          : roles.some((role) => PULLERS.includes(role)),
      );
      return [{ type, name: rest.join(':'), actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    return reply(200, {
      access_token: this.sign({
        aud: host,
        sub: claims['sub'],
        grant_type: 'access_token',
        access,
        iat: now,
        exp: now + ACCESS_TOKEN_SECONDS,
      }),
    });
  }

  private accessOf(host: string, authorization: string | string[] | undefined): Access[] | undefined {
    const token = /^Bearer (.+)$/.exec(String(authorization ?? ''))?.[1];
    const claims = token ? this.verify(token) : undefined;
    if (!claims || claims['grant_type'] !== 'access_token' || claims['aud'] !== host) return undefined;
    return claims['access'] as Access[];
  }

  private challenge(host: string, scope?: string, access?: Access[], detail?: object): Reply {
    const parameters = [`realm="https://${host}/oauth2/token"`, `service="${host}"`, ...(scope ? [`scope="${scope}"`] : [])];
    if (access) parameters.push('error="insufficient_scope"');
    return {
      ...errors(401, 'UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.', detail),
      headers: { 'www-authenticate': `Bearer ${parameters.join(',')}` },
    };
  }

  private sign(claims: object): string {
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    const token = `${unsigned}.${createHmac('sha256', this.key).update(unsigned).digest('base64url')}`;
    this.issuedTokens.push(token);
    return token;
  }

  private verify(token: string): Record<string, unknown> | undefined {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || signature !== createHmac('sha256', this.key).update(`${header}.${payload}`).digest('base64url'))
      return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return Number(claims['exp'] ?? 0) > Date.now() / 1000 ? claims : undefined;
  }

  // ---------------------------------------------------------------- blobs

  private upload(content: RegistryContent, repository: string, id: string, request: RegistryRequest, access: Access[] | undefined): Reply {
    const { method, url, body } = request;
    if (method === 'POST' && id === '') {
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      if (mount && from && hasAction(access, 'repository', from, 'pull') && content.blob(from, mount)) {
        content.link(repository, mount);
        return reply(201, undefined, blobHeaders(repository, mount));
      }
      const digest = url.searchParams.get('digest');
      if (digest && body.length > 0) {
        content.uploadedBytes += body.length;
        return this.complete(content, repository, digest, body);
      }
      return uploadReply(202, repository, content.startUpload(repository), 0);
    }
    const session = content.uploads.get(id);
    if (!session || session.repository !== repository) return errors(404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
    if (method === 'GET') return uploadReply(204, repository, id, session.size);
    if (method === 'DELETE') {
      content.uploads.delete(id);
      return reply(204);
    }
    if (method === 'PATCH' || method === 'PUT') {
      const range = header(request, 'content-range');
      if (range && body.length > 0) {
        const start = Number(/^(\d+)-\d+$/.exec(range)?.[1] ?? NaN);
        if (start !== session.size)
          return { ...errors(416, 'BLOB_UPLOAD_INVALID', 'content range out of order'), ...rangeOnly(session.size) };
      }
      if (body.length > 0) content.append(session, body);
      if (method === 'PATCH') return uploadReply(202, repository, id, session.size);
      const digest = url.searchParams.get('digest') ?? '';
      content.uploads.delete(id);
      return this.complete(content, repository, digest, Buffer.concat(session.parts));
    }
    return errors(405, 'UNSUPPORTED', `${method} is not supported on an upload`);
  }

  private complete(content: RegistryContent, repository: string, digest: string, bytes: Buffer): Reply {
    if (!DIGEST.test(digest)) return errors(400, 'DIGEST_INVALID', 'provided digest is not a sha256 digest', { digest });
    if (digestOf(bytes) !== digest) return errors(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', { digest });
    content.link(repository, digest, bytes);
    return reply(201, undefined, blobHeaders(repository, digest));
  }

  private blob(content: RegistryContent, repository: string, digest: string, request: RegistryRequest): Reply {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return errors(405, 'UNSUPPORTED', `${request.method} is not supported on blobs`);
    const bytes = content.blob(repository, digest);
    if (!bytes) return errors(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    return reply(200, bytes, {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      'docker-content-digest': digest,
    });
  }

  // ---------------------------------------------------------------- manifests and tags

  private manifest(content: RegistryContent, repository: string, reference: string, request: RegistryRequest): Reply {
    if (!DIGEST.test(reference) && !TAG.test(reference)) return errors(400, 'TAG_INVALID', 'invalid tag', { tag: reference });
    if (request.method === 'GET' || request.method === 'HEAD') {
      const digest = content.manifestDigest(repository, reference);
      const stored = digest ? content.repository(repository).manifests.get(digest) : undefined;
      if (!digest || !stored) return errors(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { tag: reference });
      return reply(200, stored.bytes, {
        'content-type': stored.mediaType,
        'content-length': String(stored.bytes.length),
        'docker-content-digest': digest,
      });
    }
    if (request.method !== 'PUT') return errors(405, 'UNSUPPORTED', `${request.method} is not supported on manifests`);
    let manifest: { mediaType?: string; config?: { digest?: string }; layers?: { digest?: string }[]; manifests?: { digest?: string }[] };
    try {
      manifest = JSON.parse(request.body.toString('utf8')) as typeof manifest;
    } catch {
      return errors(400, 'MANIFEST_INVALID', 'manifest invalid: not JSON');
    }
    const mediaType = header(request, 'content-type')?.split(';')[0]?.trim() || manifest.mediaType || '';
    if (!MANIFEST_TYPES.has(mediaType)) return errors(400, 'MANIFEST_INVALID', `manifest invalid: unsupported media type ${mediaType}`);
    const stored = content.repository(repository);
    const isIndex = mediaType.endsWith('index.v1+json') || mediaType.endsWith('manifest.list.v2+json');
    const missing = isIndex
      ? (manifest.manifests ?? []).map((entry) => entry.digest ?? '').filter((digest) => !stored.manifests.has(digest))
      : [manifest.config?.digest ?? '', ...(manifest.layers ?? []).map((layer) => layer.digest ?? '')].filter(
          (digest) => !stored.blobs.has(digest),
        );
    if (missing.length > 0) return errors(400, 'MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry', { digest: missing[0] });
    const digest = digestOf(request.body);
    if (DIGEST.test(reference) && reference !== digest)
      return errors(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
    stored.manifests.set(digest, { mediaType, bytes: request.body });
    if (!DIGEST.test(reference)) stored.tags.set(reference, digest);
    return reply(201, undefined, {
      location: `/v2/${repository}/manifests/${digest}`,
      'content-length': '0',
      'docker-content-digest': digest,
    });
  }

  private tags(content: RegistryContent, repository: string, url: URL): Reply {
    const stored = content.repositories.get(repository);
    if (!stored) return errors(404, 'NAME_UNKNOWN', 'repository name not known to registry', { name: repository });
    const last = url.searchParams.get('last');
    const limit = url.searchParams.has('n') ? Number(url.searchParams.get('n')) : Infinity;
    const all = [...stored.tags.keys()].sort().filter((tag) => last === null || tag > last);
    const page = all.slice(0, limit);
    const next: Record<string, string> =
      page.length < all.length ? { link: `</v2/${repository}/tags/list?last=${page.at(-1)}&n=${limit}>; rel="next"` } : {};
    return reply(200, { name: repository, tags: page }, next);
  }
}

function withApiVersion(answer: Reply): Reply {
  return { ...answer, headers: { 'docker-distribution-api-version': 'registry/2.0', ...answer.headers } };
}

function hasAction(access: Access[] | undefined, type: string, name: string, action: string): boolean {
  return (access ?? []).some(
    (entry) => entry.type === type && entry.name === name && (entry.actions.includes(action) || entry.actions.includes('*')),
  );
}

function header(request: RegistryRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function errors(status: number, code: string, message: string, detail?: object): Reply {
  return reply(status, { errors: [{ code, message, ...(detail ? { detail } : {}) }] });
}

function blobHeaders(repository: string, digest: string): Record<string, string> {
  return { location: `/v2/${repository}/blobs/${digest}`, 'content-length': '0', 'docker-content-digest': digest };
}

function rangeOnly(size: number): { headers: Record<string, string> } {
  return { headers: { range: `0-${Math.max(0, size - 1)}` } };
}

function uploadReply(status: 202 | 204, repository: string, id: string, size: number): Reply {
  return reply(status, undefined, {
    location: `/v2/${repository}/blobs/uploads/${id}`,
    'docker-upload-uuid': id,
    range: `0-${Math.max(0, size - 1)}`,
    'content-length': '0',
  });
}
