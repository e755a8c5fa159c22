import { resolveGateOptions, type ResolvedGateOptions } from '../../../src/gate/request.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { ActionInputs, inputName } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

export interface GateInputs extends ResolvedGateOptions {
  sarifPath?: string;
  reportPath: string;
  /** Keep one issue in step with the verdict (for a scheduled live gate). */
  issue?: { title: string; token: string };
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
      location: inputs.optional('location'),
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
      location: inputName('location'),
      baseRef: inputName('base-ref'),
    },
    io.env,
  );
  const sarifPath = inputs.optional('sarif-path');
  const token = inputs.optional('github-token');
  if (inputs.boolean('issue', false) && !token)
    throw new ConfigurationError(
      `${inputName('issue')} needs ${inputName('github-token')} (the default, github.token) and the job's permission issues: write.`,
    );
  return {
    ...options,
    ...(sarifPath ? { sarifPath } : {}),
    ...(inputs.boolean('issue', false) && token ? { issue: { title: inputs.optional('issue-title') ?? 'HIPAA gate fails', token } } : {}),
    reportPath: inputs.optional('report-path') ?? `${runnerTemp}/hipaa-gate-report.json`,
  };
}
