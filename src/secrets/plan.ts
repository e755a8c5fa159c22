import type { SecretSummary } from '../azure/keyvault.js';
import type { NameFilter } from './filters.js';
import { unusedInProduction } from './unused.js';

export type OverwriteMode = 'if-changed' | 'always' | 'never';
export const overwriteModes: readonly OverwriteMode[] = ['if-changed', 'always', 'never'];

export interface PlanOptions {
  include: readonly NameFilter[];
  exclude: readonly NameFilter[];
  overwrite: OverwriteMode;
  includeDisabled: boolean;
  recoverDeleted: boolean;
  dryRun: boolean;
  verify: boolean;
  /** Copy the development secrets production does not use (src/secrets/unused.ts) too; by default they are skipped. */
  includeUnused?: boolean;
}

/** What the target vault holds, as its listings show it. */
export interface TargetInventory {
  secrets: readonly SecretSummary[];
  /** Names of soft-deleted secrets. */
  deletedNames: readonly string[];
}

export interface SkipAction {
  kind: 'skip';
  name: string;
  reason: string;
  /** A development secret production does not use (src/secrets/unused.ts). */
  unusedInProduction?: true;
}

export interface CopyAction {
  kind: 'copy';
  name: string;
  /** The target's secret of this name now: none, a live one, or a soft-deleted one. */
  target: 'absent' | 'live' | 'deleted';
  /** Read the target's value and metadata first and write only what differs (overwrite: if-changed). */
  compare: boolean;
  /** Side effects allowed: recover, write, update. False on a dry run, which reports what it would do. */
  write: boolean;
  /** Re-read what was written and compare it with the source. */
  verify: boolean;
  /** Why the copy cannot compare first, when `compare` would otherwise be expected. */
  note?: string;
  /** A development secret production does not use, copied because include-unused asked for it. */
  unusedInProduction?: true;
}

export type PlannedAction = SkipAction | CopyAction;

export const skipReasons = {
  notIncluded: 'not matched by include',
  excluded: (pattern: string) => `matched exclude pattern '${pattern}'`,
  certificateBacked: 'certificate-backed (managed by Key Vault): it moves with its certificate, not as a secret',
  disabled: 'disabled in the source vault (include-disabled is off)',
  targetCertificateBacked: 'the target has a certificate-backed secret of this name; only its certificate can change it',
  targetExists: "already in the target and overwrite is 'never'",
  targetDeletedNever: "soft-deleted in the target and overwrite is 'never'",
  targetDeletedNoRecover: 'soft-deleted in the target and recover-deleted is off: recover or purge it, or enable recover-deleted',
  unusedInProduction: (why: string) => `production does not use it: ${why} (include-unused copies it anyway)`,
} as const;

/**
 * Decides, from listings alone, what happens to each source secret. Pure: values are compared
 * later, in memory, by the executor; this decides whether comparing is needed at all.
 */
export function planMigration(sourceSecrets: readonly SecretSummary[], target: TargetInventory, options: PlanOptions): PlannedAction[] {
  // Key Vault names are case-insensitive.
  const targetByName = new Map(target.secrets.map((secret) => [secret.name.toLowerCase(), secret]));
  const deletedNames = new Set(target.deletedNames.map((name) => name.toLowerCase()));
  const write = !options.dryRun;
  const verify = options.verify && !options.dryRun;

  return [...sourceSecrets]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((source): PlannedAction => {
      const skip = (reason: string): SkipAction => ({ kind: 'skip', name: source.name, reason });
      if (options.include.length > 0 && !options.include.some((filter) => filter.matches(source.name)))
        return skip(skipReasons.notIncluded);
      const exclusion = options.exclude.find((filter) => filter.matches(source.name));
      if (exclusion) return skip(skipReasons.excluded(exclusion.pattern));
      const unused = unusedInProduction(source.name);
      if (unused && !options.includeUnused) return { ...skip(skipReasons.unusedInProduction(unused.why)), unusedInProduction: true };
      if (source.managed) return skip(skipReasons.certificateBacked);
      // With include-disabled the executor still tries the read, so the vault's own answer is reported.
      if (!source.enabled && !options.includeDisabled) return skip(skipReasons.disabled);

      const existing = targetByName.get(source.name.toLowerCase());
      if (existing) {
        if (existing.managed) return skip(skipReasons.targetCertificateBacked);
        if (options.overwrite === 'never') return skip(skipReasons.targetExists);
        if (options.overwrite === 'if-changed' && !existing.enabled) {
          return {
            kind: 'copy',
            name: source.name,
            target: 'live',
            compare: false,
            write,
            verify,
            note: "the target's latest version is disabled, so its value cannot be compared",
          };
        }
        return { kind: 'copy', name: source.name, target: 'live', compare: options.overwrite === 'if-changed', write, verify };
      }
      if (deletedNames.has(source.name.toLowerCase())) {
        if (options.overwrite === 'never') return skip(skipReasons.targetDeletedNever);
        if (!options.recoverDeleted) return skip(skipReasons.targetDeletedNoRecover);
        // A recovered secret has its old value back; with if-changed it is compared like any other.
        return { kind: 'copy', name: source.name, target: 'deleted', compare: options.overwrite === 'if-changed', write, verify };
      }
      return { kind: 'copy', name: source.name, target: 'absent', compare: false, write, verify };
    })
    .map((action) =>
      action.kind === 'copy' && unusedInProduction(action.name) ? { ...action, unusedInProduction: true as const } : action,
    );
}
