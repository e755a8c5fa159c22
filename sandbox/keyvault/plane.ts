import { randomBytes } from 'node:crypto';

/** One version of a secret, as Key Vault keeps it. */
export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  notBefore?: number;
  expires?: number;
  created: number;
  updated: number;
  managed?: boolean;
}

export interface StoredSecret {
  versions: SecretVersion[];
  deletedAt?: number;
}

/** A vault's data: secrets by lower-case name, and per-request counters. */
export class Vault {
  readonly secrets = new Map<string, { name: string; secret: StoredSecret }>();
  readonly requests: Record<string, number> = {};
  throttled = 0;
  /** Whether the caller is inside the vault's private network (a runner in the virtual network): then public network access does not apply. */
  insideNetwork = false;
  /** Data-plane roles: `officer` reads and writes, `user` only reads, `none` is refused (ForbiddenByRbac). */
  role: 'officer' | 'user' | 'none' = 'officer';
  /** Key Vault's service limits, counted per 10 s window. */
  private window = { start: 0, writes: 0, others: 0 };

  constructor(readonly name: string) {}

  get(name: string): { name: string; secret: StoredSecret } | undefined {
    return this.secrets.get(name.toLowerCase());
  }

  /** Adds a version; creates the secret when new. */
  put(name: string, fields: Omit<SecretVersion, 'version' | 'created' | 'updated'>): SecretVersion {
    const now = Math.floor(Date.now() / 1000);
    const version: SecretVersion = { ...fields, version: randomBytes(16).toString('hex'), created: now, updated: now };
    const existing = this.get(name);
    if (existing) existing.secret.versions.push(version);
    else this.secrets.set(name.toLowerCase(), { name, secret: { versions: [version] } });
    return version;
  }

  /**
   * Counts a request against the limits (300 secret writes and 4,000 other transactions per
   * 10 s); returns the seconds to wait when over them.
   */
  admit(isWrite: boolean, now = Date.now()): number | undefined {
    if (now - this.window.start >= 10_000) this.window = { start: now, writes: 0, others: 0 };
    const over = isWrite ? this.window.writes >= 300 : this.window.others >= 4_000;
    if (over) {
      this.throttled++;
      return Math.max(1, Math.ceil((this.window.start + 10_000 - now) / 1000));
    }
    if (isWrite) this.window.writes++;
    else this.window.others++;
    return undefined;
  }
}

/** Days a soft-deleted secret stays recoverable (the vault's `softDeleteRetentionInDays`, Azure's default). */
export const RECOVERABLE_DAYS = 90;

/** A Key Vault error body in the service's shape. */
export function keyVaultError(code: string, message: string, innerCode?: string): Record<string, unknown> {
  return { error: { code, message, ...(innerCode ? { innererror: { code: innerCode } } : {}) } };
}

export function secretBundle(vaultUrl: string, name: string, version: SecretVersion, withValue: boolean): Record<string, unknown> {
  return {
    ...(withValue ? { value: version.value } : {}),
    id: `${vaultUrl}/secrets/${name}/${version.version}`,
    ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
    ...(version.tags ? { tags: version.tags } : {}),
    attributes: {
      enabled: version.enabled,
      ...(version.notBefore !== undefined ? { nbf: version.notBefore } : {}),
      ...(version.expires !== undefined ? { exp: version.expires } : {}),
      created: version.created,
      updated: version.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: RECOVERABLE_DAYS,
    },
    ...(version.managed ? { managed: true, kid: `${vaultUrl}/keys/${name}/${version.version}` } : {}),
  };
}

/**
 * A list item (`SecretItem`): the secret's base id without a version segment, its attributes,
 * content type and tags; never the value.
 */
export function secretItem(vaultUrl: string, name: string, version: SecretVersion): Record<string, unknown> {
  const { value: _value, id: _id, kid: _kid, ...rest } = secretBundle(vaultUrl, name, version, false);
  return { id: `${vaultUrl}/secrets/${name}`, ...rest };
}

/** What a deleted secret carries besides its bundle or item: `recoveryId`, `deletedDate` and `scheduledPurgeDate` (unix seconds). */
export function deletedFields(vaultUrl: string, name: string, deletedAt: number): Record<string, unknown> {
  return {
    recoveryId: `${vaultUrl}/deletedsecrets/${name}`,
    deletedDate: deletedAt,
    scheduledPurgeDate: deletedAt + RECOVERABLE_DAYS * 86_400,
  };
}

/** Every vault's data plane, by lower-case name. A vault appears when ARM creates it (or the admin API does). */
export class KeyVaults {
  readonly vaults = new Map<string, Vault>();
  /** Secret backups by their random id: the blob a client holds is that id, base64url-encoded, nothing else. */
  readonly backups = new Map<string, { name: string; secret: StoredSecret }>();

  create(name: string): Vault {
    const vault = this.vaults.get(name.toLowerCase()) ?? new Vault(name.toLowerCase());
    this.vaults.set(vault.name, vault);
    return vault;
  }

  get(name: string): Vault | undefined {
    return this.vaults.get(name.toLowerCase());
  }

  /** Keeps a copy of a secret with all its versions; returns the opaque blob that names it. */
  backup(entry: { name: string; secret: StoredSecret }): string {
    const id = randomBytes(24).toString('hex');
    this.backups.set(id, { name: entry.name, secret: { versions: entry.secret.versions.map((version) => structuredClone(version)) } });
    return Buffer.from(id, 'utf8').toString('base64url');
  }

  /** The backup a blob names, or undefined for a blob this service did not issue. */
  backupOf(blob: unknown): { name: string; secret: StoredSecret } | undefined {
    if (typeof blob !== 'string' || !/^[A-Za-z0-9_-]+$/.test(blob)) return undefined;
    return this.backups.get(Buffer.from(blob, 'base64url').toString('utf8'));
  }
}
