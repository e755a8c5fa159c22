import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import { armPort } from '../../azure/arm.js';
import { runGate } from '../../gate/gate.js';
import { resolveGateOptions } from '../../gate/request.js';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../../compliance/report/index.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa gate (--config F | --template F [--parameters F] | --live [--config F]) [--subscription S] [--resource-group G] [--location L] [options]

Judges an environment, planned or live, against the HIPAA control catalog.
Exit codes: 0 pass, 1 a blocking finding, 2 bad input.

  --config F       the environment config (default azure-hipaa.yml, else the built-in defaults);
                   with --template, supplies only the gate policy, BAA evidence and waivers
  --template F     an ARM template (JSON) to judge
  --parameters F   the template's parameters file
  --live           judge the live resources of a resource group (read with DefaultAzureCredential);
                   with --config, also show drift: live values that differ from the config's plan
  --subscription S the subscription of --live (default AZURE_SUBSCRIPTION_ID); for a plan, the
                   subscription it deploys to (subscription(); unknown when not given)
  --resource-group G  the resource group of --live (default: the config's resourceGroup); for a
                   plan, the group it deploys to (resourceGroup(); unknown when not given)
  --location L     for a plan, the target location (resourceGroup().location; unknown when not given)
  --waivers F      a waivers file (overrides the config's waivers)
  --base-ref REF   a pull request's base commit: what the change loosens in the policy and the
                   waivers against it is shown first
  --fail-on LIST   what blocks: required,unknown,advisory or never (default: the config's policy)
  --format F       text | markdown | sarif | json (default text)
  --output F       write the report to F instead of stdout`;

export const gateCommand: Command = {
  name: 'gate',
  summary: 'judge a config or ARM template against the HIPAA controls',
  usage,
  async run({ args, cwd, env, stdout, stderr }) {
    const { values } = parseOptions(args);
    const format = parseFormat(values.format);
    const options = resolveGateOptions(
      {
        config: values.config,
        template: values.template,
        parameters: values.parameters,
        waivers: values.waivers,
        failOn: values['fail-on'],
        live: values.live,
        subscriptionId: values.subscription,
        resourceGroup: values['resource-group'],
        location: values.location,
        baseRef: values['base-ref'],
      },
      {
        config: '--config',
        template: '--template',
        parameters: '--parameters',
        waivers: '--waivers',
        failOn: '--fail-on',
        live: '--live',
        subscriptionId: '--subscription',
        resourceGroup: '--resource-group',
        location: '--location',
        baseRef: '--base-ref',
      },
      env,
    );
    const run = await runGate({
      cwd,
      ...(options.config ? { config: options.config } : {}),
      ...(options.template ? { template: options.template } : {}),
      ...(options.parameters ? { parameters: options.parameters } : {}),
      ...(options.waivers ? { waivers: options.waivers } : {}),
      ...(options.failOn ? { blocking: options.failOn.policy } : {}),
      ...(options.baseRef ? { baseRef: options.baseRef } : {}),
      ...(options.target ? { target: options.target } : {}),
      ...(options.live
        ? {
            live: {
              arm: armPort(env, options.live.subscriptionId),
              ...(options.live.resourceGroup ? { resourceGroup: options.live.resourceGroup } : {}),
            },
          }
        : {}),
    });
    const text = renderReport(format, run.report, run.policy);
    if (values.output) {
      try {
        await writeFile(resolve(cwd, values.output), text);
      } catch (error) {
        throw new ConfigurationError(`Cannot write the report to ${values.output}: ${errorMessage(error)}. Check --output.`);
      }
      stderr(`verdict: ${run.report.verdict}; report written to ${values.output}\n`);
    } else {
      stdout(text.endsWith('\n') ? text : `${text}\n`);
    }
    if (options.failOn?.never) return 0;
    return run.report.verdict === 'pass' ? 0 : 1;
  },
};

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        config: { type: 'string' },
        template: { type: 'string' },
        parameters: { type: 'string' },
        waivers: { type: 'string' },
        'fail-on': { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string' },
        live: { type: 'boolean' },
        subscription: { type: 'string' },
        'resource-group': { type: 'string' },
        location: { type: 'string' },
        'base-ref': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new ConfigurationError(`${errorMessage(error)}\n\n${usage}`);
  }
}

function parseFormat(value: string | undefined): ReportFormat {
  if (value === undefined) return 'text';
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new ConfigurationError(`--format must be one of ${REPORT_FORMATS.join(', ')}; got "${value}".`);
}
