/**
 * src/deploy builds and pushes the app's image and rolls it out as a Container Apps revision.
 * This file signs in to Azure Container Registry with the workflow's Entra identity, as
 * `az acr login` does but without the Azure CLI: an Entra token exchanged at the registry for an
 * ACR refresh token, which the docker CLI then uses as the password of the null-GUID user.
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient, type PipelineResponse } from '@azure/core-rest-pipeline';
import { azureCredential, azureHttpClient } from '../azure/credential.js';
import { ConfigurationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** The user name that tells ACR the password is a refresh token. */
export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
/** An ACR-scoped Entra token works whether or not the registry accepts ARM-scoped ones. */
const ACR_SCOPE = 'https://containerregistry.azure.net/.default';
const REQUEST_TIMEOUT_MS = 20_000;

export interface RegistrySession {
  loginServer: string;
  /** The ACR refresh token: masked as soon as it exists; the docker CLI's password. */
  refreshToken: string;
  /** Who signed in, for messages: the identity's object id. */
  principal: string;
  /** An access token for `repository`, with the actions the registry granted. */
  accessToken: string;
  granted: string[];
}

/** What the registry answers, with the HTTP client the environment asks for (the sandbox's under AZURE_HIPAA_SANDBOX). */
export class RegistryClient {
  private readonly http: HttpClient;

  constructor(
    readonly loginServer: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.http = azureHttpClient(env);
  }

  async send(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; form?: Record<string, string | string[]> } = {},
  ): Promise<PipelineResponse> {
    const body = options.form ? formBody(options.form) : undefined;
    const request = createPipelineRequest({
      url: `https://${this.loginServer}${path}`,
      method: method as 'GET',
      headers: createHttpHeaders({ ...options.headers, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }),
      timeout: REQUEST_TIMEOUT_MS,
      ...(body ? { body } : {}),
    });
    try {
      return await this.http.sendRequest(request);
    } catch (error) {
      throw unreachable(this.loginServer, error);
    }
  }

  /**
   * Signs in for `repository` with the actions it needs (`pull`, or `pull,push`). Fails with what
   * to do when this runner's network may not reach the registry, or the identity lacks the role.
   */
  async signIn(repository: string, actions: 'pull' | 'pull,push', logger: Logger): Promise<RegistrySession> {
    const challenge = await this.send('GET', '/v2/');
    if (challenge.status === 403) throw privateRegistry(this.loginServer, challenge);
    const realm = /realm="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1];
    const service = /service="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1];
    // The Entra token goes only to the registry itself, whatever a challenge names.
    if (challenge.status !== 401 || !realm || new URL(realm).host !== this.loginServer || service !== this.loginServer)
      throw new Error(`${this.loginServer} did not answer as Azure Container Registry does (GET /v2/: HTTP ${challenge.status}).`);

    const entra = await azureCredential(this.env)
      .getToken(ACR_SCOPE)
      .catch((error: unknown) => {
        throw new ConfigurationError(
          `Could not get an Entra token for Azure Container Registry (${errorMessage(error)}): sign in first with azure/login (OIDC) and give the workflow id-token: write.`,
        );
      });
    if (!entra) throw new ConfigurationError('Could not get an Entra token for Azure Container Registry: sign in first with azure/login.');
    logger.mask(entra.token);
    const claims = jwtClaims(entra.token);
    const principal = String(claims['oid'] ?? claims['appid'] ?? 'the signed-in identity');
    const tenant: Record<string, string> = typeof claims['tid'] === 'string' ? { tenant: claims['tid'] } : {};

    const exchanged = await this.send('POST', '/oauth2/exchange', {
      form: { grant_type: 'access_token', service: this.loginServer, ...tenant, access_token: entra.token },
    });
    if (exchanged.status === 403) throw privateRegistry(this.loginServer, exchanged);
    const refreshToken = exchanged.status === 200 ? jsonField(exchanged, 'refresh_token') : undefined;
    if (!refreshToken)
      throw new Error(
        `${this.loginServer} refused to exchange the Entra token of ${principal} for a registry token (HTTP ${exchanged.status}${registryErrorCode(exchanged)}).`,
      );
    logger.mask(refreshToken);

    const token = await this.send('POST', '/oauth2/token', {
      form: {
        grant_type: 'refresh_token',
        service: this.loginServer,
        scope: `repository:${repository}:${actions}`,
        refresh_token: refreshToken,
      },
    });
    const accessToken = token.status === 200 ? jsonField(token, 'access_token') : undefined;
    if (accessToken) logger.mask(accessToken);
    const granted = accessToken ? grantedActions(accessToken, repository) : [];
    const missing = actions.split(',').filter((action) => !granted.includes(action));
    if (!accessToken || missing.length > 0) {
      const role = missing.includes('push') ? 'AcrPush' : 'AcrPull';
      throw new ConfigurationError(
        `The identity ${principal} may not ${missing.includes('push') ? 'push to' : 'pull from'} ${this.loginServer}/${repository}: grant it the '${role}' role on the registry ${this.loginServer.split('.')[0]} (az role assignment create --role ${role} --assignee ${principal} --scope <the registry's resource id>).`,
      );
    }
    return { loginServer: this.loginServer, refreshToken, principal, accessToken, granted };
  }

  /** The digest the registry holds for `reference` (a tag or a digest) in `repository`. */
  async manifestDigest(session: RegistrySession, repository: string, reference: string): Promise<string | undefined> {
    const response = await this.send('HEAD', `/v2/${repository}/manifests/${reference}`, {
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        accept: [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ].join(', '),
      },
    });
    if (response.status === 404) return undefined;
    const digest = response.headers.get('docker-content-digest');
    if (response.status !== 200 || !digest || !/^sha256:[a-f0-9]{64}$/.test(digest))
      throw new Error(`${this.loginServer} answered HTTP ${response.status} for ${repository}:${reference}${registryErrorCode(response)}.`);
    return digest;
  }
}

function formBody(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const item of [value].flat()) params.append(key, item);
  return params.toString();
}

function jsonField(response: PipelineResponse, field: string): string | undefined {
  try {
    const value = (JSON.parse(response.bodyAsText ?? '') as Record<string, unknown>)[field];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a JWT, read without verifying it: only to name who signed in and what was granted. */
function jwtClaims(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function grantedActions(accessToken: string, repository: string): string[] {
  const access = jwtClaims(accessToken)['access'];
  if (!Array.isArray(access)) return [];
  return access
    .filter((entry: { type?: unknown; name?: unknown }) => entry.type === 'repository' && entry.name === repository)
    .flatMap((entry: { actions?: unknown }) => (Array.isArray(entry.actions) ? entry.actions.map(String) : []));
}

function registryErrorCode(response: PipelineResponse): string {
  try {
    const code = (JSON.parse(response.bodyAsText ?? '') as { errors?: { code?: unknown }[] }).errors?.[0]?.code;
    return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? ` ${code}` : '';
  } catch {
    return '';
  }
}

const PRIVATE_ADVICE =
  'The environment keeps its registry private (network.mode: private). From a runner outside its network, push to a build registry and promote by digest: name one in azure-hipaa.yml (registry.build) and leave push-to at auto. Or run this job on a runner inside the virtual network (GitHub-hosted with Azure private networking, or a self-hosted runner), or set network.mode: public (the advisory registry.public-network finding then fails).';

function privateRegistry(loginServer: string, response: PipelineResponse): ConfigurationError {
  return new ConfigurationError(
    `${loginServer} does not accept connections from this runner's network (HTTP ${response.status}${registryErrorCode(response)}). ${PRIVATE_ADVICE}`,
  );
}

function unreachable(loginServer: string, error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOTFOUND')
    return new ConfigurationError(
      `${loginServer} does not resolve: check the registry's name (input registry, or registry.name in the config) and that the environment is provisioned.`,
    );
  if (code === 'ETIMEDOUT' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || (error as Error).name === 'AbortError')
    return new ConfigurationError(`${loginServer} cannot be reached from this runner (${String(code ?? 'timed out')}). ${PRIVATE_ADVICE}`);
  return new Error(`${loginServer} could not be reached: ${errorMessage(error)}`);
}
