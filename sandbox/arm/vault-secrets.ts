/**
 * `Microsoft.KeyVault/vaults/secrets` through Resource Manager: the vault's own secrets (one
 * store with the data plane), written by a PUT or a template deployment and read back as Key
 * Vault's management API answers (Secrets_Get, Secrets_List in the 2026-02-01 examples): the
 * attributes, content type, tags and URIs, never the value. Resource Manager is the control plane,
 * so a vault whose public network access is disabled still takes these writes; the caller needs
 * `Microsoft.KeyVault/vaults/secrets/write` (Contributor), not a data-plane role.
 */
import type { KeyVaults, SecretVersion } from '../keyvault/plane.js';
import type { ArmErrorBody, Json } from './resources.js';

export const VAULT_SECRETS = 'microsoft.keyvault/vaults/secrets';

/** The vault and secret names of `vault/secret`. */
function namesOf(fullName: string): { vault: string; secret: string } {
  const [vault = '', secret = ''] = fullName.split('/');
  return { vault, secret };
}

function latest(keyVaults: KeyVaults, fullName: string): { name: string; version: SecretVersion } | undefined {
  const { vault, secret } = namesOf(fullName);
  const entry = keyVaults.get(vault)?.get(secret);
  const version = entry?.secret.versions.at(-1);
  return entry && version && entry.secret.deletedAt === undefined ? { name: entry.name, version } : undefined;
}

/** A `Secret` resource as Key Vault's management API returns it, or undefined when the secret does not exist (or is deleted). */
export function vaultSecretView(keyVaults: KeyVaults, id: string, fullName: string, location: unknown): Json | undefined {
  const found = latest(keyVaults, fullName);
  if (!found) return undefined;
  const { vault } = namesOf(fullName);
  const { version } = found;
  const uri = `https://${vault.toLowerCase()}.vault.azure.net/secrets/${found.name}`;
  return {
    id: id.replace(/[^/]+$/, found.name),
    name: found.name,
    type: 'Microsoft.KeyVault/vaults/secrets',
    ...(typeof location === 'string' ? { location } : {}),
    ...(version.tags ? { tags: version.tags } : {}),
    properties: {
      attributes: {
        enabled: version.enabled,
        ...(version.notBefore !== undefined ? { nbf: version.notBefore } : {}),
        ...(version.expires !== undefined ? { exp: version.expires } : {}),
        created: version.created,
        updated: version.updated,
      },
      ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
      secretUri: uri,
      secretUriWithVersion: `${uri}/${version.version}`,
    },
  };
}

/** Names of the vault's live secrets, for Secrets_List. */
export function vaultSecretNames(keyVaults: KeyVaults, vault: string): string[] {
  return [...(keyVaults.get(vault)?.secrets.values() ?? [])]
    .filter(({ secret }) => secret.deletedAt === undefined)
    .map(({ name }) => name)
    .sort();
}

/**
 * Writes a new version, as the provider does when a PUT's provisioning ends. A soft-deleted secret
 * of that name refuses it with Key Vault's words: only recovery or purge (data-plane operations) free it.
 */
export function writeVaultSecret(keyVaults: KeyVaults, fullName: string, value: string, body: Json): ArmErrorBody | undefined {
  const { vault: vaultName, secret } = namesOf(fullName);
  const vault = keyVaults.get(vaultName);
  if (!vault) return { code: 'ResourceNotFound', message: `The vault '${vaultName}' could not be found.` };
  if (vault.get(secret)?.secret.deletedAt !== undefined)
    return {
      code: 'Conflict',
      message: `Secret ${secret} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    };
  const properties = (body['properties'] ?? {}) as Json;
  const attributes = (properties['attributes'] ?? {}) as Json;
  const tags = body['tags'];
  vault.put(secret, {
    value,
    enabled: attributes['enabled'] !== false,
    ...(typeof properties['contentType'] === 'string' ? { contentType: properties['contentType'] } : {}),
    ...(typeof attributes['nbf'] === 'number' ? { notBefore: attributes['nbf'] } : {}),
    ...(typeof attributes['exp'] === 'number' ? { expires: attributes['exp'] } : {}),
    ...(tags !== null && typeof tags === 'object' ? { tags: tags as Record<string, string> } : {}),
  });
  return undefined;
}
