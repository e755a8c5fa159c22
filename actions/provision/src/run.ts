import { armPort } from '../../../src/azure/arm.js';
import { signedInPrincipal } from '../../../src/azure/credential.js';
import { subscriptionOf } from '../../../src/azure/subscription.js';
import { renderReport } from '../../../src/compliance/report/index.js';
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
    const heading = { previewed: 'Provision preview (what-if)', deployed: 'Provisioned', blocked: 'Provision blocked by the HIPAA gate' }[
      result.status
    ];
    const gateSection = renderReport('markdown', result.gate.report, result.gate.policy);
    await io.summary(
      `## ${heading}: \`${result.resourceGroup}\`\n\n${result.status === 'blocked' ? '' : changesAsMarkdown(result.changes)}\n${gateSection}`,
    );

    if (result.promotion?.build) io.setOutput('build-registry', result.promotion.build.loginServer);
    io.setOutput('changes', String(result.changeCount));
    io.setOutput('what-if-path', whatIfPath);
    for (const [name, value] of Object.entries(result.outputs)) io.setOutput(name, value);
    if (result.status === 'blocked')
      io.setFailed(
        'Not deployed: the HIPAA gate rejects this environment. Fix the findings in the job summary, or set gate: warn to deploy anyway.',
      );
  });
}
