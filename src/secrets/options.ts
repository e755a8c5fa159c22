import { ConfigurationError } from '../core/errors.js';
import { resolveVaultReference } from '../azure/keyvault.js';
import type { VaultReference } from '../azure/keyvault.js';
import { compileNameFilters } from './filters.js';
import type { NameFilter } from './filters.js';
import { overwriteModes } from './plan.js';
import type { OverwriteMode } from './plan.js';
import { defaultVaultBudgets } from './rate-limit.js';
import type { VaultBudgets } from './rate-limit.js';

/** What the user asked for, as typed: the CLI and the action both fill this in. */
export interface MigrationInputs {
  source: string;
  target: string;
  include: readonly string[];
  exclude: readonly string[];
  overwrite: string;
  includeDisabled: boolean;
  recoverDeleted: boolean;
  dryRun: boolean;
  verify: boolean;
  /** Copy the development secrets production does not use too (src/secrets/unused.ts); default false. */
  includeUnused?: boolean;
  concurrency?: number | undefined;
  /** How secrets reach the target: `auto` (the data plane, Resource Manager when the vault refuses this network), `data-plane`, `resource-manager`. */
  targetPath?: string;
  /** The target vault's subscription, for the Resource Manager path; default AZURE_SUBSCRIPTION_ID. */
  subscriptionId?: string | undefined;
  writesPer10s?: number | undefined;
  readsPer10s?: number | undefined;
  maxWaitSeconds?: number | undefined;
}

/** How each input is spelled where the user typed it (`--source` or `source-vault`), for messages. */
export type InputNames = Record<
  | 'source'
  | 'target'
  | 'include'
  | 'exclude'
  | 'overwrite'
  | 'concurrency'
  | 'targetPath'
  | 'subscriptionId'
  | 'writesPer10s'
  | 'readsPer10s'
  | 'maxWaitSeconds',
  string
>;

/** Checked inputs: everything a migration run needs, validated before any network call. */
export interface MigrationOptions {
  source: VaultReference;
  target: VaultReference;
  include: NameFilter[];
  exclude: NameFilter[];
  overwrite: OverwriteMode;
  includeDisabled: boolean;
  recoverDeleted: boolean;
  dryRun: boolean;
  verify: boolean;
  /** Copy the development secrets production does not use too; otherwise they are skipped and named in the report. */
  includeUnused: boolean;
  /** How secrets reach the target vault. */
  targetPath: TargetPath;
  /** The target vault's subscription for the Resource Manager path (else AZURE_SUBSCRIPTION_ID at run time). */
  subscriptionId?: string | undefined;
  /** How the subscription option is spelled where the user typed it, for messages. */
  subscriptionInput: string;
  /** Secrets processed at once (each holds one value in memory). */
  concurrency: number;
  budgets: VaultBudgets;
  /** The longest Retry-After the run waits out; a vault that asks for more stops the run. */
  maxWaitMs: number;
}

/** `auto`: the data plane, and Resource Manager when the target vault refuses this runner's network. */
export const targetPaths = ['auto', 'data-plane', 'resource-manager'] as const;
export type TargetPath = (typeof targetPaths)[number];

export const defaultConcurrency = 32;
/** Key Vault's throttling asks for seconds; minutes mean the vault is in trouble, and a run that waits silently helps no one. */
export const defaultMaxWaitSeconds = 120;

function positiveInteger(value: number | undefined, fallback: number, inputName: string, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new ConfigurationError(`${inputName} must be a whole number from 1 to ${max}; got ${value}.`);
  return value;
}

export function resolveMigrationOptions(inputs: MigrationInputs, names: InputNames): MigrationOptions {
  const source = resolveVaultReference(inputs.source, names.source);
  const target = resolveVaultReference(inputs.target, names.target);
  if (source.url === target.url) {
    throw new ConfigurationError(
      `${names.source} and ${names.target} are the same Key Vault ('${source.name}'): copying a vault onto itself would only add versions.`,
    );
  }
  if (!(overwriteModes as readonly string[]).includes(inputs.overwrite)) {
    throw new ConfigurationError(`${names.overwrite} must be one of ${overwriteModes.join(', ')}; got '${inputs.overwrite}'.`);
  }
  const targetPath = inputs.targetPath ?? 'auto';
  if (!(targetPaths as readonly string[]).includes(targetPath))
    throw new ConfigurationError(`${names.targetPath} must be one of ${targetPaths.join(', ')}; got '${targetPath}'.`);
  const subscriptionId = inputs.subscriptionId?.trim() || undefined;
  if (subscriptionId && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(subscriptionId))
    throw new ConfigurationError(`${names.subscriptionId} must be a subscription id (a GUID); got '${subscriptionId}'.`);
  // Above Key Vault's own limits a budget would only buy 429s.
  const writes = positiveInteger(inputs.writesPer10s, defaultVaultBudgets.writes.limit, names.writesPer10s, 300);
  const reads = positiveInteger(inputs.readsPer10s, defaultVaultBudgets.reads.limit, names.readsPer10s, 4_000);
  return {
    source,
    target,
    include: compileNameFilters(inputs.include, names.include),
    exclude: compileNameFilters(inputs.exclude, names.exclude),
    overwrite: inputs.overwrite as OverwriteMode,
    includeDisabled: inputs.includeDisabled,
    recoverDeleted: inputs.recoverDeleted,
    dryRun: inputs.dryRun,
    verify: inputs.verify,
    includeUnused: inputs.includeUnused ?? false,
    targetPath: targetPath as TargetPath,
    ...(subscriptionId ? { subscriptionId } : {}),
    subscriptionInput: names.subscriptionId,
    concurrency: positiveInteger(inputs.concurrency, defaultConcurrency, names.concurrency, 256),
    maxWaitMs: positiveInteger(inputs.maxWaitSeconds, defaultMaxWaitSeconds, names.maxWaitSeconds, 3_600) * 1_000,
    budgets: {
      writes: { ...defaultVaultBudgets.writes, limit: writes },
      reads: { ...defaultVaultBudgets.reads, limit: reads },
    },
  };
}
