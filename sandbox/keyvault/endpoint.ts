import type { Entra } from '../entra.js';
import { reply, type Answer, type Reply } from '../http.js';
import {
  deletedFields,
  keyVaultError,
  secretBundle,
  secretItem,
  type KeyVaults,
  type SecretVersion,
  type StoredSecret,
  type Vault,
} from './plane.js';

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const PAGE_SIZE = 25;
const WRITE_METHODS = new Set(['PUT', 'PATCH', 'DELETE', 'POST']);

/** Random faults, at these rates (0-1), drawn from the sandbox's seeded generator. */
export interface FaultRates {
  throttle?: number;
  unavailable?: number;
  reset?: number;
  retryAfterSeconds?: number;
}

/**
 * The Key Vault secrets data plane at `<vault>.vault.azure.net`: the bearer challenge, the
 * caller's data-plane role, injected faults, Key Vault's service limits, then the secrets API.
 */
export class KeyVaultEndpoint {
  constructor(
    private readonly entra: Entra,
    private readonly faults: () => FaultRates,
    private readonly random: () => number,
    private readonly keyVaults: KeyVaults,
    /** The vault's ARM resource, when ARM created it: its region and whether public network access is disabled. */
    private readonly resourceOf: (vault: Vault) => { location: string; publicNetworkAccess: boolean } | undefined = () => undefined,
  ) {}

  /** Every error Key Vault sends carries its code in `x-ms-error-code` too. */
  handle(vault: Vault, method: string, url: URL, body: string, authorization: string | undefined): Answer {
    const answer = this.answer(vault, method, url, body, authorization);
    return answer === 'reset' ? answer : withErrorCode(answer);
  }

  private answer(vault: Vault, method: string, url: URL, body: string, authorization: string | undefined): Answer {
    vault.requests[method] = (vault.requests[method] ?? 0) + 1;
    if (!this.entra.accessTokenClaims(authorization, 'https://vault.azure.net')) {
      return reply(401, keyVaultError('Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'), {
        'WWW-Authenticate': `Bearer authorization="https://login.microsoftonline.com/${this.entra.identity.tenantId}", resource="https://vault.azure.net"`,
      });
    }
    if (!url.searchParams.get('api-version'))
      return reply(400, keyVaultError('BadParameter', "The 'api-version' query parameter is required but was not specified."));
    // A vault with public network access disabled answers only its private endpoint, after sign-in (the message names the caller).
    const resource = this.resourceOf(vault);
    if (resource && !resource.publicNetworkAccess && !vault.insideNetwork)
      return reply(
        403,
        keyVaultError(
          'Forbidden',
          `Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: appid=${this.entra.identity.clientId};oid=${this.entra.identity.clientId}\r\nVault: ${vault.name};location=${resource.location}`,
          'ForbiddenByConnection',
        ),
      );
    const allowed = vault.role === 'officer' || (vault.role === 'user' && method === 'GET');
    if (!allowed) {
      return reply(
        403,
        keyVaultError(
          'Forbidden',
          `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${this.entra.identity.clientId}\r\nAction: 'Microsoft.KeyVault/vaults/secrets/${method === 'GET' ? 'getSecret' : 'setSecret'}/action'\r\nVault: ${vault.name}`,
          'ForbiddenByRbac',
        ),
      );
    }
    const fault = this.drawFault();
    if (fault === 'reset') return 'reset';
    if (fault === 'throttle' || fault === 'unavailable') {
      if (fault === 'throttle') vault.throttled++;
      const headers = { 'Retry-After': String(this.faults().retryAfterSeconds ?? 1) };
      return fault === 'throttle'
        ? reply(429, keyVaultError('Throttled', 'Rate limit is exceeded. Try again in 1 seconds.'), headers)
        : reply(503, keyVaultError('ServiceUnavailable', 'The service is unavailable.'), headers);
    }
    const wait = vault.admit(WRITE_METHODS.has(method));
    if (wait !== undefined)
      return reply(429, keyVaultError('Throttled', `Rate limit is exceeded. Try again in ${wait} seconds.`), {
        'Retry-After': String(wait),
      });
    return this.secrets(vault, method, url, body);
  }

  private secrets(vault: Vault, method: string, url: URL, body: string): Reply {
    const vaultUrl = `https://${vault.name}.vault.azure.net`;
    const latest = (entry: { secret: { versions: SecretVersion[] } }) => entry.secret.versions.at(-1) as SecretVersion;
    const [collection, name, third, fourth] = url.pathname.split('/').filter(Boolean);
    if (collection === 'secrets' && name === undefined && method === 'GET') {
      return page(
        url,
        vaultUrl,
        [...vault.secrets.values()].filter((s) => !s.secret.deletedAt).map((s) => secretItem(vaultUrl, s.name, latest(s))),
      );
    }
    if (collection === 'deletedsecrets' && name === undefined && method === 'GET') {
      return page(
        url,
        vaultUrl,
        [...vault.secrets.values()]
          .filter((s) => s.secret.deletedAt)
          .map((s) => ({ ...deletedFields(vaultUrl, s.name, s.secret.deletedAt as number), ...secretItem(vaultUrl, s.name, latest(s)) })),
      );
    }
    if (collection === 'secrets' && name === 'restore' && third === undefined && method === 'POST') return this.restore(vault, body);
    if (!name) return reply(404, keyVaultError('NotFound', 'Unknown operation.'));
    if (!SECRET_NAME.test(name))
      return reply(400, keyVaultError('BadParameter', `The secret name '${name}' is invalid: use 1-127 letters, digits and dashes.`));
    const entry = vault.get(name);

    if (collection === 'deletedsecrets') {
      if (!entry?.secret.deletedAt) return reply(404, keyVaultError('SecretNotFound', `Deleted Secret not found: ${name}`));
      if (method === 'POST' && third === 'recover') {
        delete entry.secret.deletedAt;
        return reply(200, secretBundle(vaultUrl, entry.name, latest(entry), false));
      }
      if (method === 'DELETE') {
        vault.secrets.delete(name.toLowerCase());
        return reply(204);
      }
      return reply(200, {
        ...deletedFields(vaultUrl, entry.name, entry.secret.deletedAt),
        ...secretBundle(vaultUrl, entry.name, latest(entry), false),
      });
    }
    if (collection !== 'secrets') return reply(404, keyVaultError('NotFound', 'Unknown operation.'));

    if (method === 'PUT') {
      if (entry?.secret.deletedAt) return deletedButRecoverable(entry.name);
      if (entry && latest(entry).managed)
        return reply(
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
      if (typeof input.value !== 'string') return reply(400, keyVaultError('BadParameter', 'Property value is required.'));
      const version = vault.put(name, {
        value: input.value,
        enabled: input.attributes?.enabled ?? true,
        ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
        ...(input.tags ? { tags: input.tags } : {}),
        ...(input.attributes?.nbf !== undefined ? { notBefore: input.attributes.nbf } : {}),
        ...(input.attributes?.exp !== undefined ? { expires: input.attributes.exp } : {}),
      });
      return reply(200, secretBundle(vaultUrl, vault.get(name)?.name ?? name, version, true));
    }
    if (!entry || entry.secret.deletedAt)
      return reply(404, keyVaultError('SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`));
    if (method === 'DELETE') {
      entry.secret.deletedAt = Math.floor(Date.now() / 1000);
      return reply(200, {
        ...deletedFields(vaultUrl, entry.name, entry.secret.deletedAt),
        ...secretBundle(vaultUrl, entry.name, latest(entry), false),
      });
    }
    if (third === 'backup' && fourth === undefined && method === 'POST') return reply(200, { value: this.keyVaults.backup(entry) });
    if (third === 'versions' && method === 'GET')
      return page(
        url,
        vaultUrl,
        entry.secret.versions.map((v) => secretBundle(vaultUrl, entry.name, v, false)),
      );
    const version = third ? entry.secret.versions.find((v) => v.version === third) : latest(entry);
    if (!version || fourth)
      return reply(404, keyVaultError('SecretNotFound', `A secret with (name/id) ${name}/${third ?? ''} was not found in this key vault.`));
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
      return reply(200, secretBundle(vaultUrl, entry.name, version, false));
    }
    if (!version.enabled)
      return reply(403, keyVaultError('Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled'));
    return reply(200, secretBundle(vaultUrl, entry.name, version, true));
  }

  /** RestoreSecret: the backup the blob names, as a new secret with all its versions; 409 when the name is in use. */
  private restore(vault: Vault, body: string): Reply {
    const vaultUrl = `https://${vault.name}.vault.azure.net`;
    const input = parseObject(body);
    const backup = this.keyVaults.backupOf(input?.['value']);
    if (!backup)
      return reply(400, keyVaultError('BadParameter', 'The backup blob is invalid or corrupt, or was not issued by Azure Key Vault.'));
    const existing = vault.get(backup.name);
    if (existing?.secret.deletedAt) return deletedButRecoverable(existing.name);
    if (existing) return reply(409, keyVaultError('Conflict', `Secret ${existing.name} already exists in this key vault.`));
    const secret: StoredSecret = { versions: backup.secret.versions.map((version) => structuredClone(version)) };
    vault.secrets.set(backup.name.toLowerCase(), { name: backup.name, secret });
    return reply(200, secretBundle(vaultUrl, backup.name, secret.versions.at(-1) as SecretVersion, false));
  }

  private drawFault(): 'throttle' | 'unavailable' | 'reset' | undefined {
    const { throttle = 0, unavailable = 0, reset = 0 } = this.faults();
    const draw = this.random();
    if (draw < throttle) return 'throttle';
    if (draw < throttle + unavailable) return 'unavailable';
    if (draw < throttle + unavailable + reset) return 'reset';
    return undefined;
  }
}

/** Adds `x-ms-error-code` (= `error.code`) to an error answer. */
function withErrorCode(answer: Reply): Reply {
  const error = (answer.body as { error?: { code?: unknown } } | undefined)?.error;
  if (answer.status < 400 || typeof error?.code !== 'string') return answer;
  return { ...answer, headers: { ...answer.headers, 'x-ms-error-code': error.code } };
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body || '{}');
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One page of a list: `maxresults` must be an integer from 1 to 25 (secrets.json), 25 when absent. */
function page(url: URL, vaultUrl: string, items: Record<string, unknown>[]): Reply {
  const maxresults = url.searchParams.get('maxresults');
  if (maxresults !== null && (!/^\d+$/.test(maxresults) || Number(maxresults) < 1 || Number(maxresults) > PAGE_SIZE))
    return reply(
      400,
      keyVaultError(
        'BadParameter',
        `The value '${maxresults}' of query parameter 'maxresults' is invalid: it must be an integer from 1 to ${PAGE_SIZE}.`,
      ),
    );
  const size = maxresults === null ? PAGE_SIZE : Number(maxresults);
  const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
  const next =
    skip + size < items.length
      ? `${vaultUrl}${url.pathname}?api-version=${url.searchParams.get('api-version') ?? ''}&maxresults=${size}&$skiptoken=${skip + size}`
      : null;
  return reply(200, { value: items.slice(skip, skip + size), nextLink: next });
}

/** Key Vault's answer to writing a name whose secret is deleted but not yet purged. */
function deletedButRecoverable(name: string): Reply {
  return reply(
    409,
    keyVaultError(
      'Conflict',
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      'ObjectIsDeletedButRecoverable',
    ),
  );
}
