import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as core from '@actions/core';
import { subscriptionOf } from '../../../src/azure/arm.js';
import { runGate } from '../../../src/compliance/gate.js';
import { isBlocking } from '../../../src/compliance/evaluate.js';
import { renderReport } from '../../../src/compliance/report/index.js';
import { actionLogger } from '../../shared/logger.js';
import { runAction } from '../../shared/run.js';
import { writeSummary } from '../../shared/summary.js';
import { readGateInputs } from './inputs.js';

await runAction(async () => {
  const workspace = process.env['GITHUB_WORKSPACE'] ?? process.cwd();
  const inputs = readGateInputs(process.env['RUNNER_TEMP'] ?? workspace);
  const logger = actionLogger();
  const run = await logger.group('Judge the environment', () =>
    runGate({
      cwd: workspace,
      ...(inputs.config ? { config: inputs.config } : {}),
      ...(inputs.template ? { template: inputs.template } : {}),
      ...(inputs.parameters ? { parameters: inputs.parameters } : {}),
      ...(inputs.waivers ? { waivers: inputs.waivers } : {}),
      ...(inputs.failOn ? { blocking: inputs.failOn.policy } : {}),
      ...(inputs.live
        ? {
            live: {
              subscriptionId: subscriptionOf(inputs.live.subscriptionId, process.env),
              ...(inputs.live.resourceGroup ? { resourceGroup: inputs.live.resourceGroup } : {}),
              env: process.env,
            },
          }
        : {}),
    }),
  );
  const { report, policy } = run;
  core.info(renderReport('text', report, policy));

  const blocking = report.findings.filter((finding) => isBlocking(finding, policy));
  for (const finding of blocking) {
    const annotate = finding.status === 'unknown' ? logger.warning : logger.error;
    annotate(
      `${finding.control} on ${finding.resource.name}: ${finding.message}${finding.remediation ? `\nFix: ${finding.remediation}` : ''}`,
      {
        title: `HIPAA ${finding.control} (${finding.status})`,
        ...(finding.location ? { file: finding.location.file, line: finding.location.line } : {}),
      },
    );
  }

  const reportPath = resolve(workspace, inputs.reportPath);
  await writeOut(reportPath, renderReport('json', report, policy));
  if (inputs.sarifPath) await writeOut(resolve(workspace, inputs.sarifPath), renderReport('sarif', report, policy));
  await writeSummary(renderReport('markdown', report, policy));

  core.setOutput('verdict', report.verdict);
  core.setOutput('failed-count', String(blocking.length));
  core.setOutput('report-path', reportPath);
  if (report.verdict === 'fail' && !inputs.failOn?.never) {
    core.setFailed(`HIPAA gate: ${blocking.length} blocking finding(s); see the job summary for each control and its fix.`);
  }
});

async function writeOut(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
