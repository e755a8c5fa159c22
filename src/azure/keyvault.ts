import { SecretClient } from '@azure/keyvault-secrets';
import type { SecretProperties } from '@azure/keyvault-secrets';
import { isRestError, RestError } from '@azure/core-rest-pipeline';
import type { PipelinePolicy, PipelineResponse, PipelineRetryOptions } from '@azure/core-rest-pipeline';
import { ConfigurationError } from '../core/errors.js';
import { azureClientOptions, azureCredential } from './credential.js';

/** A Key Vault named by the user, resolved to the URL its data plane answers on. */
export interface VaultReference {
  /** Lower-case vault name, e.g. `kv-prod-eastus`. */
  name: string;
  /** `https://<name>.vault.azure.net` (or a sovereign cloud's suffix), no trailing slash. */
  url: string;
}

/** Key Vault's data-plane DNS suffixes in the public and sovereign clouds. */
const VAULT_DNS_SUFFIXES = ['vault.azure.net', 'vault.azure.cn', 'vault.usgovcloudapi.net', 'vault.microsoftazure.de'];

/** Why `name` is not a valid Key Vault name, or undefined when it is. */
export function vaultNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 24) return `is ${name.length} characters long; a Key Vault name has 3 to 24`;
  if (!/^[A-Za-z0-9-]+$/.test(name)) return 'may contain only letters, digits and hyphens';
  if (!/^[A-Za-z]/.test(name)) return 'must start with a letter';
  if (!/[A-Za-z0-9]$/.test(name)) return 'must end with a letter or digit';
  if (name.includes('--')) return 'must not contain consecutive hyphens';
  return undefined;
}

/**
 * Accepts a vault name (`kv-prod`) or its URL (`https://kv-prod.vault.azure.net/`) and checks it
 * without touching the network. `inputName` is what the user typed it into, for the message.
 */
export function resolveVaultReference(input: string, inputName: string): VaultReference {
  const trimmed = input.trim();
  if (trimmed === '') throw new ConfigurationError(`${inputName} is required: give a Key Vault name or URL.`);
  if (!trimmed.includes('/') && !trimmed.includes('.')) {
    const problem = vaultNameProblem(trimmed);
    if (problem) throw new ConfigurationError(`${inputName}: '${trimmed}' is not a valid Key Vault name: it ${problem}.`);
    const name = trimmed.toLowerCase();
    return { name, url: `https://${name}.vault.azure.net` };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ConfigurationError(`${inputName}: '${trimmed}' is neither a Key Vault name nor a URL like https://<name>.vault.azure.net.`);
  }
  const suffix = VAULT_DNS_SUFFIXES.find((candidate) => url.hostname.endsWith(`.${candidate}`));
  const name = suffix ? url.hostname.slice(0, -suffix.length - 1) : '';
  if (
    url.protocol !== 'https:' ||
    !suffix ||
    name.includes('.') ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.hash
  ) {
    throw new ConfigurationError(
      `${inputName}: '${trimmed}' is not a Key Vault URL: expected https://<name>.vault.azure.net (or a sovereign cloud's vault domain) with no path.`,
    );
  }
  const problem = vaultNameProblem(name);
  if (problem) throw new ConfigurationError(`${inputName}: '${name}' in ${trimmed} is not a valid Key Vault name: it ${problem}.`);
  return { name, url: `https://${url.host}` };
}

/** The properties of a secret's latest version that a copy carries over. Never the value. */
export interface SecretMetadata {
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  notBefore?: Date;
  expiresOn?: Date;
}

/** A secret as a listing shows it: its latest version's properties, no value. */
export interface SecretSummary extends SecretMetadata {
  name: string;
  /** Backs a Key Vault certificate; Key Vault manages its lifetime. */
  managed: boolean;
}

/** A secret's latest version with its value. Hold it in memory only, and mask the value first. */
export interface SecretVersion {
  name: string;
  version: string;
  value: string;
  metadata: SecretMetadata;
}

/** What the migration needs from a vault; everything else stays behind this port. */
export interface VaultPort {
  readonly vault: VaultReference;
  /** The latest version of every secret, across all pages. */
  listSecrets(): Promise<SecretSummary[]>;
  /** Names of soft-deleted secrets awaiting purge; they block a new secret of the same name. */
  listDeletedSecretNames(): Promise<string[]>;
  getSecret(name: string): Promise<SecretVersion>;
  /** Writes a new version. */
  setSecret(name: string, value: string, metadata: SecretMetadata): Promise<void>;
  /** Changes a version's properties without writing a new version. */
  updateSecretMetadata(name: string, version: string, metadata: SecretMetadata): Promise<void>;
  /** Recovers a soft-deleted secret and waits until it can be read. */
  recoverDeletedSecret(name: string): Promise<void>;
}

/**
 * A failed Key Vault request, described only by what the protocol says (status and error
 * codes). The SDK's own error is dropped on purpose: its message can quote a response body and
 * it carries the request, whose body holds the secret value.
 */
export class VaultRequestError extends Error {
  override readonly name = 'VaultRequestError';

  constructor(
    readonly vault: VaultReference,
    readonly operation: string,
    /** HTTP status; undefined when no response came back (DNS, connection reset, timeout). */
    readonly status: number | undefined,
    /** Key Vault's error code (`Forbidden`, `SecretNotFound`) or the system error code (`ENOTFOUND`). */
    readonly code: string | undefined,
    /** Key Vault's inner error code, e.g. `SecretDisabled`, `ForbiddenByRbac`. */
    readonly innerCode: string | undefined,
    /** How long the vault asked to wait (Retry-After), when that is why the request was given up. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `${operation} in Key Vault '${vault.name}' failed: ${status === undefined ? 'no response' : `HTTP ${status}`}${code ? ` ${code}` : ''}${innerCode ? `/${innerCode}` : ''}`,
    );
  }
}

/** Sees every HTTP attempt the SDK makes, retries included. */
export interface RequestObserver {
  /** Awaited before each attempt is sent: the place to spend a rate budget. */
  beforeSend(method: string): Promise<void>;
  /** Each response's status, and its Retry-After in milliseconds when it has one. */
  afterResponse(status: number, retryAfterMs: number | undefined): void;
}

/**
 * Retries are layered so that nothing is retried twice: the SDK's retry policy owns HTTP-level
 * retries - 429/503 after exactly the Retry-After the vault asked for, 408 and 5xx, connection
 * resets and timeouts with exponential backoff and jitter. Below it, `requestObserverPolicy` spends
 * the rate budget on every attempt, so retries cannot exceed it either.
 */
export const defaultKeyVaultRetryOptions: Required<PipelineRetryOptions> = {
  maxRetries: 6,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 30_000,
};

export interface KeyVaultOptions {
  observer?: RequestObserver;
  retry?: PipelineRetryOptions;
  /** How long one attempt may go unanswered before it is cut and retried; default 30 s. */
  requestTimeoutMs?: number;
  /** The longest Retry-After worth waiting for; a vault that asks for more fails the request with code RetryAfterTooLong. */
  maxRetryAfterMs?: number;
  /** How often to poll a recovering secret. */
  recoverPollIntervalMs?: number;
}

/** Thrown below the retry policy when the vault's host name does not resolve: not a RestError, so it is not retried. */
class HostNotFoundError extends Error {
  override readonly name = 'HostNotFoundError';
}

/** Thrown below the retry policy when the vault asks for a longer wait than the caller allows: not retried either. */
class RetryAfterTooLongError extends Error {
  override readonly name = 'RetryAfterTooLongError';
  constructor(readonly retryAfterMs: number) {
    super('Retry-After too long');
  }
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

function retryAfterMs(response: PipelineResponse): number | undefined {
  for (const [header, scale] of [
    ['retry-after-ms', 1],
    ['x-ms-retry-after-ms', 1],
    ['retry-after', 1000],
  ] as const) {
    const raw = response.headers.get(header);
    if (raw === undefined) continue;
    const seconds = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * scale);
    const date = Date.parse(raw);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return undefined;
}

/**
 * Below the SDK's retry policy, on every attempt: spends the rate budget, cuts an attempt that
 * goes unanswered (as ETIMEDOUT, which the SDK retries with backoff), and gives up at once on a
 * Retry-After longer than the caller will wait (the SDK would sleep through it silently).
 */
function requestObserverPolicy(options: KeyVaultOptions, onError: (body: unknown) => void = () => undefined): PipelinePolicy {
  const { observer } = options;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const seen = (response: PipelineResponse) => {
    if (response.status >= 400) onError(errorBody(response.bodyAsText));
    const wait = retryAfterMs(response);
    observer?.afterResponse(response.status, wait);
    if ((response.status === 429 || response.status === 503) && wait !== undefined && wait > (options.maxRetryAfterMs ?? Infinity))
      throw new RetryAfterTooLongError(wait);
  };
  return {
    name: 'migrateSecretsRequestObserver',
    async sendRequest(request, next) {
      await observer?.beforeSend(request.method);
      request.timeout = timeoutMs;
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (error) {
        // A name that does not resolve will not resolve a second later: fail at once.
        if (isRestError(error) && error.code === 'ENOTFOUND') throw new HostNotFoundError('host not found');
        if (isRestError(error) && error.response) seen(error.response);
        if ((error as Error | undefined)?.name === 'AbortError' && !request.abortSignal?.aborted)
          throw new RestError(`no answer within ${timeoutMs / 1000} s`, { code: 'ETIMEDOUT', request });
        throw error;
      }
      seen(response);
      return response;
    },
  };
}

const SAFE_CODE = /^[A-Za-z0-9_.]{1,64}$/;

function safeCode(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_CODE.test(value) ? value : undefined;
}

/**
 * Reduces anything the SDK throws to status and codes; see VaultRequestError for why. `lastErrorBody`
 * is the body of the last error response: paged operations (listing) throw without `details`.
 */
function toVaultRequestError(vault: VaultReference, operation: string, error: unknown, lastErrorBody?: unknown): VaultRequestError {
  if (error instanceof HostNotFoundError) return new VaultRequestError(vault, operation, undefined, 'ENOTFOUND', undefined);
  if (error instanceof RetryAfterTooLongError)
    return new VaultRequestError(vault, operation, 429, 'RetryAfterTooLong', undefined, error.retryAfterMs);
  if (!isRestError(error))
    return new VaultRequestError(vault, operation, undefined, safeCode((error as { code?: unknown } | null)?.code), undefined);
  const details = (error.details ?? errorBody(error.response?.bodyAsText) ?? lastErrorBody) as
    { error?: { code?: unknown; innerError?: { code?: unknown }; innererror?: { code?: unknown } } } | undefined;
  return new VaultRequestError(
    vault,
    operation,
    error.statusCode ?? error.response?.status,
    safeCode(details?.error?.code) ?? safeCode(error.code),
    safeCode(details?.error?.innerError?.code ?? details?.error?.innererror?.code),
  );
}

function errorBody(text: string | null | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function metadataOf(properties: SecretProperties): SecretMetadata {
  return {
    ...(properties.contentType !== undefined ? { contentType: properties.contentType } : {}),
    tags: { ...(properties.tags ?? {}) },
    enabled: properties.enabled !== false,
    ...(properties.notBefore ? { notBefore: properties.notBefore } : {}),
    ...(properties.expiresOn ? { expiresOn: properties.expiresOn } : {}),
  };
}

function writableProperties(metadata: SecretMetadata) {
  return {
    ...(metadata.contentType !== undefined ? { contentType: metadata.contentType } : {}),
    tags: metadata.tags,
    enabled: metadata.enabled,
    ...(metadata.notBefore ? { notBefore: metadata.notBefore } : {}),
    ...(metadata.expiresOn ? { expiresOn: metadata.expiresOn } : {}),
  };
}

/** A VaultPort over the real SDK, authenticated and routed by src/azure/credential.ts. */
export function openKeyVault(vault: VaultReference, env: NodeJS.ProcessEnv, options: KeyVaultOptions = {}): VaultPort {
  const clientOptions = azureClientOptions(env);
  let lastErrorBody: unknown;
  const client = new SecretClient(vault.url, azureCredential(env), {
    ...clientOptions,
    retryOptions: { ...defaultKeyVaultRetryOptions, ...options.retry },
    additionalPolicies: [{ policy: requestObserverPolicy(options, (body) => (lastErrorBody = body)), position: 'perRetry' }],
  });

  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toVaultRequestError(vault, operation, error, lastErrorBody);
    }
  }

  return {
    vault,
    listSecrets: () =>
      call('Listing secrets', async () => {
        const secrets: SecretSummary[] = [];
        for await (const properties of client.listPropertiesOfSecrets()) {
          secrets.push({ name: properties.name, managed: properties.managed === true, ...metadataOf(properties) });
        }
        return secrets;
      }),
    listDeletedSecretNames: () =>
      call('Listing deleted secrets', async () => {
        const names: string[] = [];
        for await (const deleted of client.listDeletedSecrets()) names.push(deleted.name);
        return names;
      }),
    getSecret: (name) =>
      call(`Reading secret '${name}'`, async () => {
        const secret = await client.getSecret(name);
        return {
          name: secret.name,
          version: secret.properties.version ?? '',
          value: secret.value ?? '',
          metadata: metadataOf(secret.properties),
        };
      }),
    setSecret: (name, value, metadata) =>
      call(`Writing secret '${name}'`, async () => {
        await client.setSecret(name, value, writableProperties(metadata));
      }),
    updateSecretMetadata: (name, version, metadata) =>
      call(`Updating the properties of secret '${name}'`, async () => {
        await client.updateSecretProperties(name, version, writableProperties(metadata));
      }),
    recoverDeletedSecret: (name) =>
      call(`Recovering deleted secret '${name}'`, async () => {
        const poller = await client.beginRecoverDeletedSecret(name, { intervalInMs: options.recoverPollIntervalMs ?? 1_000 });
        await poller.pollUntilDone();
      }),
  };
}
