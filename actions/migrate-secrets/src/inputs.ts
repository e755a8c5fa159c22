import { resolveMigrationOptions, type MigrationOptions } from '../../../src/secrets/options.js';
import { ActionInputs, inputName } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

/** Reads and checks every input of this action, once. Nothing else reads inputs. */
export function readInputs(io: ActionIO): MigrationOptions {
  const inputs = new ActionInputs(io);
  return resolveMigrationOptions(
    {
      source: inputs.optional('source-vault') ?? '',
      target: inputs.optional('target-vault') ?? '',
      include: inputs.list('include'),
      exclude: inputs.list('exclude'),
      overwrite: inputs.optional('overwrite') ?? 'if-changed',
      includeDisabled: inputs.boolean('include-disabled', false),
      recoverDeleted: inputs.boolean('recover-deleted', true),
      dryRun: inputs.boolean('dry-run', false),
      verify: inputs.boolean('verify', true),
      includeUnused: inputs.boolean('include-unused', false),
      concurrency: inputs.number('concurrency'),
      targetPath: inputs.optional('target-path') ?? 'auto',
      subscriptionId: inputs.optional('subscription-id'),
      writesPer10s: inputs.number('writes-per-10s'),
      readsPer10s: inputs.number('reads-per-10s'),
      maxWaitSeconds: inputs.number('max-wait-seconds'),
    },
    {
      source: inputName('source-vault'),
      target: inputName('target-vault'),
      include: inputName('include'),
      exclude: inputName('exclude'),
      overwrite: inputName('overwrite'),
      concurrency: inputName('concurrency'),
      targetPath: inputName('target-path'),
      subscriptionId: inputName('subscription-id'),
      writesPer10s: inputName('writes-per-10s'),
      readsPer10s: inputName('reads-per-10s'),
      maxWaitSeconds: inputName('max-wait-seconds'),
    },
  );
}
