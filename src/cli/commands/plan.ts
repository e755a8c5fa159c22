import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import { runGate, type GateRun } from '../../gate/gate.js';
import type { JudgedResource } from '../../arm/deployed.js';
import { renderReport } from '../../compliance/report/index.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa plan [--config F] [--template-out F] [--subscription S] [--resource-group G] [--location L]

Renders the environment from the config (the built-in defaults when there is no azure-hipaa.yml),
prints its resources and the HIPAA gate's verdict on it. Exit codes as for \`gate\`.

  --config F        the environment config (default azure-hipaa.yml, else the built-in defaults)
  --template-out F  also write the rendered ARM template to F
  --subscription S  the subscription the plan deploys to (subscription(); unknown when not given)
  --resource-group G  the resource group it deploys to (default: the config's resourceGroup)
  --location L      the target location (default: the config's region)`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'render the environment from the config and show the gate verdict',
  usage,
  async run({ args, cwd, stdout }) {
    let values: { config?: string; 'template-out'?: string; subscription?: string; 'resource-group'?: string; location?: string };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          config: { type: 'string' },
          'template-out': { type: 'string' },
          subscription: { type: 'string' },
          'resource-group': { type: 'string' },
          location: { type: 'string' },
        },
        strict: true,
      }));
    } catch (error) {
      throw new ConfigurationError(`${errorMessage(error)}\n\n${usage}`);
    }
    const target = {
      ...(values.subscription ? { subscriptionId: values.subscription } : {}),
      ...(values['resource-group'] ? { resourceGroup: values['resource-group'] } : {}),
      ...(values.location ? { location: values.location } : {}),
    };
    const run = await runGate({ cwd, ...(values.config ? { config: values.config } : {}), target });
    printPlan(run, stdout);
    if (values['template-out'] && run.template) {
      await writeFile(resolve(cwd, values['template-out']), `${JSON.stringify(run.template, null, 2)}\n`);
      stdout(`ARM template written to ${values['template-out']}\n`);
    }
    return run.report.verdict === 'pass' ? 0 : 1;
  },
};

/** The environment's resources as a tree, then the gate's verdict on them. */
export function printPlan(run: GateRun, stdout: (text: string) => void): void {
  const extensions = new Set(run.environment.resources.flatMap((r) => r.extensions));
  const roots = run.environment.resources.filter((r) => !r.parent && !extensions.has(r));
  stdout(
    `Environment from ${run.configSource === 'defaults' ? 'the built-in defaults (no azure-hipaa.yml found)' : run.configSource}: ${run.environment.resources.length} resources\n\n`,
  );
  for (const resource of roots) stdout(tree(resource, ''));
  stdout(`\n${renderReport('text', run.report, run.policy)}\n`);
}

function tree(resource: JudgedResource, indent: string): string {
  const shortName = resource.parent ? resource.name.slice(resource.parent.name.length + 1) : resource.name;
  // An extension resource whose scope the template does not declare (SQL's master database) names its scope from its id.
  const undeclaredScope = /^(.*)\/providers\/Microsoft\.Insights\/diagnosticSettings\/[^/]+$/i
    .exec(resource.id)?.[1]
    ?.split('/providers/')[1];
  let text = `${indent}${resource.type}  ${shortName}${!resource.parent && undeclaredScope ? `  (scope: ${undeclaredScope})` : ''}\n`;
  for (const child of resource.children) text += tree(child, `${indent}  `);
  for (const extension of resource.extensions)
    text += `${indent}  ${extension.type}  ${extension.name.split('/').pop()}  (scope: ${shortName})\n`;
  return text;
}
