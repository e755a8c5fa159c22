import { ConfigurationError } from '../../../src/core/errors.js';
import { resolveMigrationOptions } from '../../../src/secrets/options.js';
import type { MigrationOptions } from '../../../src/secrets/options.js';
import { booleanInput, listInput, optionalInput } from '../../shared/inputs.js';

function numberInput(name: string): number | undefined {
  const raw = optionalInput(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigurationError(`Input "${name}" must be a number, not "${raw}".`);
  return value;
}

/** Reads and checks every input of this action, once. Nothing else reads inputs. */
export function readInputs(): MigrationOptions {
  return resolveMigrationOptions(
    {
      source: optionalInput('source-vault') ?? '',
      target: optionalInput('target-vault') ?? '',
      include: listInput('include'),
      exclude: listInput('exclude'),
      overwrite: optionalInput('overwrite') ?? 'if-changed',
      includeDisabled: booleanInput('include-disabled', false),
      recoverDeleted: booleanInput('recover-deleted', true),
      dryRun: booleanInput('dry-run', false),
      verify: booleanInput('verify', true),
      concurrency: numberInput('concurrency'),
      writesPer10s: numberInput('writes-per-10s'),
      readsPer10s: numberInput('reads-per-10s'),
    },
    {
      source: 'Input "source-vault"',
      target: 'Input "target-vault"',
      include: 'Input "include"',
      exclude: 'Input "exclude"',
      overwrite: 'Input "overwrite"',
      concurrency: 'Input "concurrency"',
      writesPer10s: 'Input "writes-per-10s"',
      readsPer10s: 'Input "reads-per-10s"',
    },
  );
}
