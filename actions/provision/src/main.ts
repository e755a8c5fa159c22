import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as core from '@actions/core';
import { renderReport } from '../../../src/compliance/report/index.js';
import { changesAsMarkdown } from '../../../src/provision/changes.js';
import { provision } from '../../../src/provision/provision.js';
import { actionLogger } from '../../shared/logger.js';
import { runAction } from '../../shared/run.js';
import { writeSummary } from '../../shared/summary.js';
import { readProvisionInputs } from './inputs.js';

await runAction(async () => {
  const workspace = process.env['GITHUB_WORKSPACE'] ?? process.cwd();
  const inputs = readProvisionInputs(process.env['RUNNER_TEMP'] ?? workspace);
  const result = await provision({
    cwd: workspace,
    config: inputs.config,
    ...(inputs.subscriptionId ? { subscriptionId: inputs.subscriptionId } : {}),
    mode: inputs.mode,
    gate: inputs.gate,
    env: process.env,
    logger: actionLogger(),
  });

  const whatIfPath = resolve(workspace, inputs.whatIfPath);
  await mkdir(dirname(whatIfPath), { recursive: true });
  await writeFile(whatIfPath, `${JSON.stringify(result.changes, null, 2)}\n`);
  const heading = { previewed: 'Provision preview (what-if)', deployed: 'Provisioned', blocked: 'Provision blocked by the HIPAA gate' }[
    result.status
  ];
  const gateSection = renderReport('markdown', result.gate.report, result.gate.policy);
  await writeSummary(
    `## ${heading}: \`${result.resourceGroup}\`\n\n${result.status === 'blocked' ? '' : changesAsMarkdown(result.changes)}\n${gateSection}`,
  );

  core.setOutput('changes', String(result.changeCount));
  core.setOutput('what-if-path', whatIfPath);
  for (const [name, value] of Object.entries(result.outputs)) core.setOutput(name, value);
  if (result.status === 'blocked')
    core.setFailed(
      'Not deployed: the HIPAA gate rejects this environment. Fix the findings in the job summary, or set gate: warn to deploy anyway.',
    );
});
