import { armPort } from '../../../src/azure/arm.js';
import { signedInPrincipal } from '../../../src/azure/credential.js';
import { subscriptionOf } from '../../../src/azure/subscription.js';
import { renderVerdictLine } from '../../../src/compliance/report/markdown.js';
import { changesAsMarkdown } from '../../../src/provision/changes.js';
import { provision } from '../../../src/provision/provision.js';
import { inputName } from '../../shared/inputs.js';
import { outputFile } from '../../shared/output-file.js';
import { runAction } from '../../shared/run.js';
import type { ActionIO } from '../../shared/runtime.js';
import { readProvisionInputs } from './inputs.js';
import type { ArmPort } from '../../../src/azure/arm-port.js';

export interface ProvisionActionPorts {
  /** Azure Resource Manager; by default the SDK with DefaultAzureCredential (after azure/login). */
  arm?: (subscriptionId: string) => ArmPort;
}

/** The provision action: preview or deploy the environment, write the what-if file and the summary, set the outputs. */
export async function run(io: ActionIO, ports: ProvisionActionPorts = {}): Promise<void> {
  await runAction(io, async () => {
    const workspace = io.env['GITHUB_WORKSPACE'] ?? process.cwd();
    const inputs = readProvisionInputs(io, io.env['RUNNER_TEMP'] ?? workspace);
    const subscriptionId = subscriptionOf(inputs.subscriptionId, io.env, inputName('subscription-id'));
    const whatIfFile = outputFile(io, 'what-if-path', inputs.whatIfPath);
    await whatIfFile.check();
    const arm = (ports.arm ?? ((id: string) => armPort(io.env, id)))(subscriptionId);
    const principal = inputs.mode === 'deploy' ? await signedInPrincipal(io.env) : undefined;
    const result = await provision(
      {
        cwd: workspace,
        ...(inputs.config ? { config: inputs.config } : {}),
        mode: inputs.mode,
        gate: inputs.gate,
        logger: io.logger,
        ...(principal ? { deployPrincipalId: principal } : {}),
      },
      { arm },
    );

    const whatIfPath = await whatIfFile.write(`${JSON.stringify(result.changes, null, 2)}\n`);
    const preview = inputs.mode === 'what-if';
    const heading = {
      previewed: 'Provision preview (what-if)',
      deployed: 'Provisioned',
      blocked: preview ? 'Preview only: blocked by the HIPAA gate' : 'Not deployed: blocked by the HIPAA gate',
    }[result.status];
    // One line of the gate: its whole report is the hipaa-gate job's summary, or the CLI's on a laptop.
    const verdict = renderVerdictLine(result.gate.report, result.gate.policy, {
      enforced: inputs.gate === 'block',
      fullReport: `${runLink(io.env)}, or \`npx azure-hipaa gate${inputs.config ? ` --config ${inputs.config}` : ''}\``,
    });
    await io.summary(
      [
        `## ${heading}: \`${result.resourceGroup}\``,
        '',
        verdict,
        '',
        ...(result.status === 'blocked' ? [] : [changesAsMarkdown(result.changes)]),
      ].join('\n'),
    );

    if (result.promotion?.build) io.setOutput('build-registry', result.promotion.build.loginServer);
    io.setOutput('changes', String(result.changeCount));
    io.setOutput('what-if-path', whatIfPath);
    for (const [name, value] of Object.entries(result.outputs)) io.setOutput(name, value);
    if (result.status === 'blocked')
      io.setFailed(
        preview
          ? 'Preview only: the HIPAA gate rejects this environment, so what-if did not run. Fix the findings the annotations name, or set gate: warn to preview anyway.'
          : 'Not deployed: the HIPAA gate rejects this environment. Fix the findings the annotations name, or set gate: warn to deploy anyway.',
      );
  });
}

/** The run's page, where the hipaa-gate job's summary carries the gate's whole report. */
function runLink(env: NodeJS.ProcessEnv): string {
  const repository = env['GITHUB_REPOSITORY'];
  const runId = env['GITHUB_RUN_ID'];
  if (!repository || !runId) return "the hipaa-gate job's summary";
  return `[the hipaa-gate job's summary in this run](${env['GITHUB_SERVER_URL'] ?? 'https://github.com'}/${repository}/actions/runs/${runId})`;
}
