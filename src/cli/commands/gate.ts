import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import { subscriptionOf } from '../../azure/arm.js';
import { parseFailOn, runGate } from '../../compliance/gate.js';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../../compliance/report/index.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa gate (--config F | --template F [--parameters F] | --live [--subscription S] [--resource-group G] [--config F]) [options]

Judges an environment, planned or live, against the HIPAA control catalog.
Exit codes: 0 pass, 1 a blocking finding, 2 bad input.

  --config F       the environment config (default azure-hipaa.yml, else the built-in defaults);
                   with --template, supplies only the gate policy, BAA evidence and waivers
  --template F     an ARM template (JSON) to judge
  --parameters F   the template's parameters file
  --live           judge the live resources of a resource group (read with DefaultAzureCredential);
                   with --config, also show drift: live values that differ from the config's plan
  --subscription S the subscription of --live (default AZURE_SUBSCRIPTION_ID)
  --resource-group G  the resource group of --live (default: the config's resourceGroup)
  --waivers F      a waivers file (overrides the config's waivers)
  --fail-on LIST   what blocks: required,unknown,advisory or never (default: the config's policy)
  --format F       text | markdown | sarif | json (default text)
  --output F       write the report to F instead of stdout`;

export const gateCommand: Command = {
  name: 'gate',
  summary: 'judge a config or ARM template against the HIPAA controls',
  usage,
  async run({ args, cwd, env, stdout, stderr }) {
    const { values } = parseOptions(args);
    if (values.live && values.template)
      throw new ConfigurationError('--live judges deployed resources and --template a file; give one of them.');
    if (!values.live && (values.subscription || values['resource-group']))
      throw new ConfigurationError('--subscription and --resource-group belong to --live; add --live to judge the deployed resources.');
    const format = parseFormat(values.format);
    const blocking = values['fail-on'] === undefined ? undefined : parseFailOn(values['fail-on']);
    const run = await runGate({
      cwd,
      ...(values.config ? { config: values.config } : {}),
      ...(values.template ? { template: values.template } : {}),
      ...(values.parameters ? { parameters: values.parameters } : {}),
      ...(values.waivers ? { waivers: values.waivers } : {}),
      ...(blocking ? { blocking: blocking.policy } : {}),
      ...(values.live
        ? {
            live: {
              subscriptionId: subscriptionOf(values.subscription, env, '--subscription'),
              ...(values['resource-group'] ? { resourceGroup: values['resource-group'] } : {}),
              env,
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
    if (blocking?.never) return 0;
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
