import { resolveProvisionOptions, type ResolvedProvisionOptions } from '../../../src/provision/request.js';
import { ActionInputs, inputName } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

export interface ProvisionInputs extends ResolvedProvisionOptions {
  whatIfPath: string;
}

/** The one place this action reads its inputs. */
export function readProvisionInputs(io: ActionIO, runnerTemp: string): ProvisionInputs {
  const inputs = new ActionInputs(io);
  return {
    ...resolveProvisionOptions(
      {
        config: inputs.optional('config'),
        subscriptionId: inputs.optional('subscription-id'),
        mode: inputs.optional('mode'),
        gate: inputs.optional('gate'),
      },
      { mode: inputName('mode'), gate: inputName('gate') },
    ),
    whatIfPath: inputs.optional('what-if-path') ?? `${runnerTemp}/azure-hipaa-what-if.json`,
  };
}
