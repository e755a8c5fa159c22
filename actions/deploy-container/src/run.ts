import { armPort } from '../../../src/azure/arm.js';
import type { ArmPort } from '../../../src/azure/arm-port.js';
import { subscriptionOf } from '../../../src/azure/subscription.js';
import { pushImage, type PushedImage } from '../../../src/deploy/image.js';
import { rollout, RolloutFailedError, type RolloutResult } from '../../../src/deploy/rollout.js';
import { inputName } from '../../shared/inputs.js';
import { runAction } from '../../shared/run.js';
import type { ActionIO } from '../../shared/runtime.js';
import { readDeployInputs } from './inputs.js';

export interface DeployActionPorts {
  /** Azure Resource Manager; by default the SDK with DefaultAzureCredential (after azure/login). */
  arm?: (subscriptionId: string) => ArmPort;
  /** The runner's cancellation; by default SIGINT and SIGTERM. */
  cancellation?: AbortSignal;
}

/**
 * The deploy-container action: build and push the image by digest, then roll it out as a new
 * revision at zero traffic, prove it healthy, pass the live HIPAA gate, shift traffic, and roll back
 * on any failure. `stage` runs one part, for workflows that want a person or a job in between.
 */
export async function run(io: ActionIO, ports: DeployActionPorts = {}): Promise<void> {
  const cancel = new AbortController();
  // The signal's name is the reason: a running docker command is passed the same signal.
  const onSignal = (signal: NodeJS.Signals | Event) => cancel.abort(typeof signal === 'string' ? signal : 'SIGTERM');
  if (!ports.cancellation) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
  ports.cancellation?.addEventListener('abort', onSignal, { once: true });
  try {
    await runAction(io, async () => {
      const workspace = io.env['GITHUB_WORKSPACE'] ?? process.cwd();
      const inputs = readDeployInputs(io);
      const subscriptionId = subscriptionOf(inputs.subscriptionId, io.env, inputName('subscription-id'));
      const arm = (ports.arm ?? ((id: string) => armPort(io.env, id)))(subscriptionId);
      const commit = io.env['GITHUB_SHA'];
      let pushed: PushedImage | undefined;
      if (inputs.stage === 'all' || inputs.stage === 'candidate') {
        if (!commit)
          throw new Error('GITHUB_SHA is not set: deploy-container runs in a GitHub Actions job, which tags the image with the commit.');
        pushed = await pushImage({
          cwd: workspace,
          ...inputs,
          subscriptionId,
          arm,
          commit,
          ...(io.env['GITHUB_SERVER_URL'] && io.env['GITHUB_REPOSITORY']
            ? { sourceUrl: `${io.env['GITHUB_SERVER_URL']}/${io.env['GITHUB_REPOSITORY']}` }
            : {}),
          tempDir: io.env['RUNNER_TEMP'] ?? workspace,
          env: io.env,
          logger: io.logger,
          signal: cancel.signal,
        });
        io.setOutput('image', pushed.image);
        io.setOutput('digest', pushed.digest);
        io.setOutput('tags', pushed.tags.join('\n'));
        io.setOutput('source-image', pushed.promotedFrom?.image ?? '');
      }
      let result: RolloutResult;
      try {
        result = await io.logger.group(`Roll out${pushed ? ` ${pushed.image}` : ''} (stage ${inputs.stage})`, () =>
          rollout(
            {
              cwd: workspace,
              ...(inputs.config ? { config: inputs.config } : {}),
              ...(pushed ? { image: pushed.image } : {}),
              stage: inputs.stage,
              suffix: revisionSuffix(commit, io.env),
              ...(commit ? { commit } : {}),
              healthTimeoutSeconds: inputs.healthTimeoutSeconds,
              probeCount: inputs.probeCount,
              gate: inputs.gate,
              trafficSteps: inputs.trafficSteps,
              stepWaitSeconds: inputs.stepWaitSeconds,
              keepRevisions: inputs.keepRevisions,
              ...(inputs.revision ? { revision: inputs.revision } : {}),
              ...(inputs.edgeHost ? { edgeHost: inputs.edgeHost } : {}),
              env: io.env,
              logger: io.logger,
              signal: cancel.signal,
            },
            { arm },
          ),
        );
      } catch (error) {
        if (error instanceof RolloutFailedError) {
          setRolloutOutputs(io, error.result);
          await io.summary(summary(pushed, error.result, error.message));
        }
        throw error;
      }
      setRolloutOutputs(io, result);
      await io.summary(summary(pushed, result));
    });
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, onSignal);
  }
}

function setRolloutOutputs(io: ActionIO, result: RolloutResult): void {
  io.setOutput('revision', result.revision);
  io.setOutput('previous-revision', result.previousRevision ?? '');
  io.setOutput('fqdn', result.fqdn);
  io.setOutput('app-host-name', result.appHostName);
  io.setOutput('revision-fqdn', result.revisionFqdn);
  io.setOutput('rolled-back', String(result.rolledBack));
  io.setOutput('traffic', JSON.stringify(result.traffic));
}

/**
 * The job summary: a timeline from push to the last traffic step, and on failure why (once) and what
 * serves now, the gate's verdict in one line, and the command that shows the revision's logs.
 */
export function summary(pushed: PushedImage | undefined, result: RolloutResult, failure?: string): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  // The failure is said once, at the top: the timeline's own "Failed: ..." entry points there.
  const event = (text: string) =>
    failure && text.startsWith('Failed: ') && failure.includes(text.slice('Failed: '.length)) ? 'Failed (why: above)' : text;
  const logs = result.revision
    ? [
        `Logs of \`${result.revision}\`: \`az containerapp logs show --name ${result.app} --resource-group ${result.resourceGroup} --revision ${result.revision} --type console --tail 200\``,
        '',
      ]
    : [];
  return [
    `## Deploy: ${failure ? (result.rolledBack ? 'failed, rolled back' : 'failed') : result.unchanged ? 'nothing to change' : `\`${result.revision}\` serves`}`,
    '',
    ...(failure ? [`> [!CAUTION]\n> ${escape(failure)}`, ''] : []),
    ...(pushed
      ? [
          pushed.promotedFrom
            ? `Image: \`${pushed.image}\`, promoted by digest from \`${pushed.promotedFrom.image}\` (${pushed.promotedFrom.imported ? 'imported through Resource Manager' : 'already in the registry: the app runs it'})`
            : `Image: \`${pushed.image}\``,
          '',
        ]
      : []),
    '| At | Event |',
    '|---:|---|',
    // A non-breaking space keeps "12.5 s" on one line in a narrow column.
    ...result.timeline.map((entry) => `| ${entry.at.toFixed(1)}&nbsp;s | ${escape(event(entry.event))} |`),
    '',
    `Traffic: ${result.traffic.map((entry) => `\`${entry.revisionName ?? 'latest'}\` ${entry.weight}%${entry.label ? ` (${entry.label})` : ''}`).join(', ')}`,
    '',
    ...(result.gateReport ? [result.gateReport, ''] : []),
    ...logs,
  ].join('\n');
}

/** Azure refuses an app name and revision suffix longer than 54 characters together; an app name may have 32. */
const MAX_SUFFIX = 54 - 32;

/**
 * A revision suffix unique to this commit, run and attempt: the run id, not the run number, which each
 * workflow counts on its own (a cutover and a push deploying one commit would collide). It starts with a
 * letter, and the run id is written in base 36 so the suffix stays short.
 */
export function revisionSuffix(commit: string | undefined, env: NodeJS.ProcessEnv): string {
  const run = Number.parseInt(env['GITHUB_RUN_ID'] ?? '0', 10);
  const tail = `-${Number.isSafeInteger(run) ? run.toString(36) : '0'}-${env['GITHUB_RUN_ATTEMPT'] ?? '1'}`;
  // 22 characters at most; a run id far beyond today's shortens the commit, never the run.
  return `c${(commit ?? 'local').slice(0, 7)}`
    .slice(0, Math.max(2, MAX_SUFFIX - tail.length))
    .concat(tail)
    .toLowerCase();
}
