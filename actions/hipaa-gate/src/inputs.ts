import { ConfigurationError } from '../../../src/core/errors.js';
import { parseFailOn } from '../../../src/compliance/gate.js';
import { booleanInput, optionalInput } from '../../shared/inputs.js';

export interface GateInputs {
  config?: string;
  template?: string;
  parameters?: string;
  waivers?: string;
  /** Undefined follows the config's gate policy. */
  failOn?: ReturnType<typeof parseFailOn>;
  sarifPath?: string;
  reportPath: string;
  /** Judge the live resource group instead of a plan. */
  live?: { subscriptionId?: string; resourceGroup?: string };
}

/** The one place this action reads its inputs. */
export function readGateInputs(runnerTemp: string): GateInputs {
  const config = optionalInput('config');
  const template = optionalInput('template');
  const parameters = optionalInput('parameters');
  const waivers = optionalInput('waivers');
  const failOn = optionalInput('fail-on');
  const sarifPath = optionalInput('sarif-path');
  if (config && template) {
    throw new ConfigurationError(
      'Inputs "config" and "template" were both given; give one: a config is rendered to a template, a template is judged as it is.',
    );
  }
  const live = booleanInput('live', false);
  const subscriptionId = optionalInput('subscription-id');
  const resourceGroup = optionalInput('resource-group');
  if (live && template)
    throw new ConfigurationError('Inputs "live" and "template" were both given; live judges the deployed resources, template a file.');
  if (!live && (subscriptionId || resourceGroup))
    throw new ConfigurationError(
      'Inputs "subscription-id" and "resource-group" belong to live mode; set live: true to judge the deployed resources.',
    );
  if (parameters && !template) {
    throw new ConfigurationError('Input "parameters" was given without "template"; a parameters file belongs to an ARM template.');
  }
  return {
    ...(config ? { config } : {}),
    ...(template ? { template } : {}),
    ...(parameters ? { parameters } : {}),
    ...(waivers ? { waivers } : {}),
    ...(failOn ? { failOn: parseFailOn(failOn) } : {}),
    ...(sarifPath ? { sarifPath } : {}),
    reportPath: optionalInput('report-path') ?? `${runnerTemp}/hipaa-gate-report.json`,
    ...(live ? { live: { ...(subscriptionId ? { subscriptionId } : {}), ...(resourceGroup ? { resourceGroup } : {}) } } : {}),
  };
}
