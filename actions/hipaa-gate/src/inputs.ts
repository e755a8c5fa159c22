import { resolveGateOptions, type ResolvedGateOptions } from '../../../src/gate/request.js';
import { ActionInputs, inputName } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

export interface GateInputs extends ResolvedGateOptions {
  sarifPath?: string;
  reportPath: string;
}

/** The one place this action reads its inputs; the rules between them are the CLI's too (resolveGateOptions). */
export function readGateInputs(io: ActionIO, runnerTemp: string): GateInputs {
  const inputs = new ActionInputs(io);
  const options = resolveGateOptions(
    {
      config: inputs.optional('config'),
      template: inputs.optional('template'),
      parameters: inputs.optional('parameters'),
      waivers: inputs.optional('waivers'),
      failOn: inputs.optional('fail-on'),
      live: inputs.boolean('live', false),
      subscriptionId: inputs.optional('subscription-id'),
      resourceGroup: inputs.optional('resource-group'),
      baseRef: inputs.optional('base-ref'),
    },
    {
      config: inputName('config'),
      template: inputName('template'),
      parameters: inputName('parameters'),
      waivers: inputName('waivers'),
      failOn: inputName('fail-on'),
      live: inputName('live'),
      subscriptionId: inputName('subscription-id'),
      resourceGroup: inputName('resource-group'),
      baseRef: inputName('base-ref'),
    },
    io.env,
  );
  const sarifPath = inputs.optional('sarif-path');
  return {
    ...options,
    ...(sarifPath ? { sarifPath } : {}),
    reportPath: inputs.optional('report-path') ?? `${runnerTemp}/hipaa-gate-report.json`,
  };
}
