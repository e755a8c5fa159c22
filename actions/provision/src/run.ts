import { signedInPrincipal } from '../../../src/azure/credential.js';
import { subscriptionOf } from '../../../src/azure/subscription.js';
import { renderVerdictLine } from '../../../src/compliance/report/markdown.js';
import { changesAsMarkdown } from '../../../src/provision/changes.js';
import { provision } from '../../../src/provision/provision.js';
import { runnerContext } from '../../shared/context.js';
import { outputFile } from '../../shared/output-file.js';
import { runAction, untilCancelled } from '../../shared/run.js';
import { armFor, type ActionIO, type ActionPorts, type ArmFactory } from '../../shared/runtime.js';
import { provisionInput, readProvisionInputs, type PROVISION_INPUTS } from './inputs.js';

export interface Ports extends ActionPorts {
  /** Azure Resource Manager; by default the SDK with DefaultAzureCredential (after azure/login). */
  arm?: ArmFactory;
}

/** The provision action: preview or deploy the environment, write the what-if file and the summary, set the outputs. */
export async function run(io: ActionIO, ports: Ports = {}): Promise<void> {
  await runAction(io, async () => {
    const context = runnerContext(io.env);
    const workspace = context.workspace;
    const inputs = readProvisionInputs(io, context.runnerTemp);
    const subscriptionId = subscriptionOf(inputs.subscriptionId, io.env, provisionInput('subscription-id'));
    const whatIfFile = outputFile(io, 'what-if-path' satisfies keyof typeof PROVISION_INPUTS, inputs.whatIfPath);
    await whatIfFile.check();
    const arm = await armFor(ports, io.env, subscriptionId);
    const principal = inputs.mode === 'deploy' ? await signedInPrincipal(io.env) : undefined;
    // A deployment ARM has started goes on in Azure when the job is cancelled; the step stops waiting for it.
    const result = await untilCancelled(
      provision(
        {
          cwd: workspace,
          ...(inputs.config ? { config: inputs.config } : {}),
          mode: inputs.mode,
          gate: inputs.gate,
          logger: io.logger,
          ...(principal ? { deployPrincipalId: principal } : {}),
        },
        { arm },
      ),
      ports.cancellation,
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
      fullReport: `${runLink(context.runUrl)}, or \`npx azure-hipaa gate${inputs.config ? ` --config ${inputs.config}` : ''}\``,
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
function runLink(runUrl: string | undefined): string {
  return runUrl ? `[the hipaa-gate job's summary in this run](${runUrl})` : "the hipaa-gate job's summary";
}
