import { resolveProvisionOptions, type ResolvedProvisionOptions } from '../../../src/provision/request.js';
import { inputNamer, read, readInputTable } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

export interface ProvisionInputs extends ResolvedProvisionOptions {
  whatIfPath: string;
}

/** This action's inputs by their action.yml names, each with its reader. */
export const PROVISION_INPUTS = {
  config: read.optional,
  'subscription-id': read.optional,
  mode: read.optional,
  gate: read.optional,
  'what-if-path': read.optional,
};

/** `Input "name"`, for this action's inputs. */
export const provisionInput = inputNamer(PROVISION_INPUTS);

/** The one place this action reads its inputs. */
export function readProvisionInputs(io: ActionIO, runnerTemp: string): ProvisionInputs {
  const given = readInputTable(io, PROVISION_INPUTS);
  return {
    ...resolveProvisionOptions(
      { config: given.config, subscriptionId: given['subscription-id'], mode: given.mode, gate: given.gate },
      { mode: provisionInput('mode'), gate: provisionInput('gate') },
    ),
    whatIfPath: given['what-if-path'] ?? `${runnerTemp}/azure-hipaa-what-if.json`,
  };
}
