import type { GateMode, ProvisionMode } from '../../../src/provision/provision.js';
import { choiceInput, optionalInput } from '../../shared/inputs.js';

export interface ProvisionInputs {
  config: string;
  subscriptionId?: string;
  mode: ProvisionMode;
  gate: GateMode;
  whatIfPath: string;
}

/** The one place this action reads its inputs. */
export function readProvisionInputs(runnerTemp: string): ProvisionInputs {
  const subscriptionId = optionalInput('subscription-id');
  return {
    config: optionalInput('config') ?? 'azure-hipaa.yml',
    ...(subscriptionId ? { subscriptionId } : {}),
    mode: choiceInput('mode', ['what-if', 'deploy'], 'what-if'),
    gate: choiceInput('gate', ['block', 'warn'], 'block'),
    whatIfPath: optionalInput('what-if-path') ?? `${runnerTemp}/azure-hipaa-what-if.json`,
  };
}
