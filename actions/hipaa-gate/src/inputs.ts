import { resolveGateOptions, type ResolvedGateOptions } from '../../../src/gate/request.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { inputNamer, read, readInputTable } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

export interface GateInputs extends ResolvedGateOptions {
  sarifPath?: string;
  reportPath: string;
  /** Keep one issue in step with the verdict (for a scheduled live gate). */
  issue?: { title: string; token: string };
}

/** This action's inputs by their action.yml names, each with its reader. */
export const GATE_INPUTS = {
  config: read.optional,
  template: read.optional,
  parameters: read.optional,
  waivers: read.optional,
  'fail-on': read.optional,
  'sarif-path': read.optional,
  live: read.boolean(false),
  'subscription-id': read.optional,
  'resource-group': read.optional,
  location: read.optional,
  'base-ref': read.optional,
  issue: read.boolean(false),
  'issue-title': read.optional,
  'github-token': read.optional,
  'report-path': read.optional,
};

/** `Input "name"`, for this action's inputs. */
export const gateInput = inputNamer(GATE_INPUTS);

/** The one place this action reads its inputs; the rules between them are the CLI's too (resolveGateOptions). */
export function readGateInputs(io: ActionIO, runnerTemp: string): GateInputs {
  const given = readInputTable(io, GATE_INPUTS);
  const options = resolveGateOptions(
    {
      config: given.config,
      template: given.template,
      parameters: given.parameters,
      waivers: given.waivers,
      failOn: given['fail-on'],
      live: given.live,
      subscriptionId: given['subscription-id'],
      resourceGroup: given['resource-group'],
      location: given.location,
      baseRef: given['base-ref'],
    },
    {
      config: gateInput('config'),
      template: gateInput('template'),
      parameters: gateInput('parameters'),
      waivers: gateInput('waivers'),
      failOn: gateInput('fail-on'),
      live: gateInput('live'),
      subscriptionId: gateInput('subscription-id'),
      resourceGroup: gateInput('resource-group'),
      location: gateInput('location'),
      baseRef: gateInput('base-ref'),
    },
    io.env,
  );
  const token = given['github-token'];
  if (given.issue && !token)
    throw new ConfigurationError(
      `${gateInput('issue')} needs ${gateInput('github-token')} (the default, github.token) and the job's permission issues: write.`,
    );
  return {
    ...options,
    ...(given['sarif-path'] ? { sarifPath: given['sarif-path'] } : {}),
    ...(given.issue && token ? { issue: { title: given['issue-title'] ?? 'HIPAA gate fails', token } } : {}),
    reportPath: given['report-path'] ?? `${runnerTemp}/hipaa-gate-report.json`,
  };
}
