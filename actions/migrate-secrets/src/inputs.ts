import { resolveMigrationOptions, type MigrationOptions } from '../../../src/secrets/options.js';
import { inputNamer, read, readInputTable } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

/** This action's inputs by their action.yml names, each with its reader. */
export const MIGRATE_INPUTS = {
  'source-vault': read.optional,
  'target-vault': read.optional,
  include: read.list,
  exclude: read.list,
  overwrite: read.optional,
  'include-disabled': read.boolean(false),
  'recover-deleted': read.boolean(true),
  'include-unused': read.boolean(false),
  'dry-run': read.boolean(false),
  verify: read.boolean(true),
  'target-path': read.optional,
  'subscription-id': read.optional,
  concurrency: read.number,
  'writes-per-10s': read.number,
  'reads-per-10s': read.number,
  'max-wait-seconds': read.number,
};

/** `Input "name"`, for this action's inputs. */
export const migrateInput = inputNamer(MIGRATE_INPUTS);

/** Reads and checks every input of this action, once. Nothing else reads inputs. */
export function readInputs(io: ActionIO): MigrationOptions {
  const given = readInputTable(io, MIGRATE_INPUTS);
  return resolveMigrationOptions(
    {
      source: given['source-vault'] ?? '',
      target: given['target-vault'] ?? '',
      include: given.include,
      exclude: given.exclude,
      overwrite: given.overwrite ?? 'if-changed',
      includeDisabled: given['include-disabled'],
      recoverDeleted: given['recover-deleted'],
      dryRun: given['dry-run'],
      verify: given.verify,
      includeUnused: given['include-unused'],
      concurrency: given.concurrency,
      targetPath: given['target-path'] ?? 'auto',
      subscriptionId: given['subscription-id'],
      writesPer10s: given['writes-per-10s'],
      readsPer10s: given['reads-per-10s'],
      maxWaitSeconds: given['max-wait-seconds'],
    },
    {
      source: migrateInput('source-vault'),
      target: migrateInput('target-vault'),
      include: migrateInput('include'),
      exclude: migrateInput('exclude'),
      overwrite: migrateInput('overwrite'),
      concurrency: migrateInput('concurrency'),
      targetPath: migrateInput('target-path'),
      subscriptionId: migrateInput('subscription-id'),
      writesPer10s: migrateInput('writes-per-10s'),
      readsPer10s: migrateInput('reads-per-10s'),
      maxWaitSeconds: migrateInput('max-wait-seconds'),
    },
  );
}
