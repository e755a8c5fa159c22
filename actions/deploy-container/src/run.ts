import { subscriptionOf } from '../../../src/azure/subscription.js';
import { loadConfig, type LoadedConfig } from '../../../src/config/load.js';
import { pushImage, type PushedImage } from '../../../src/deploy/image.js';
import type { DeployRequest } from '../../../src/deploy/request.js';
import { revisionSuffix } from '../../../src/deploy/revision-suffix.js';
import { rollout, RolloutFailedError, type RolloutResult } from '../../../src/deploy/rollout.js';
import { deploySummary } from '../../../src/deploy/summary.js';
import { runnerContext } from '../../shared/context.js';
import { runAction } from '../../shared/run.js';
import { armFor, type ActionIO, type ActionPorts, type ArmFactory } from '../../shared/runtime.js';
import { deployInput, readDeployInputs } from './inputs.js';

export interface Ports extends ActionPorts {
  /** Azure Resource Manager; by default the SDK with DefaultAzureCredential (after azure/login). */
  arm?: ArmFactory;
  /** Reads the environment config (the input's path, in the workspace); read once per run, here at the edge. */
  config?: (path: string | undefined, cwd: string) => Promise<LoadedConfig>;
}

/**
 * The deploy-container action: build and push the image by digest, then roll it out as a new
 * revision at zero traffic, prove it healthy, pass the live HIPAA gate, shift traffic, and roll back
 * on any failure. `stage` runs one part, for workflows that want a person or a job in between.
 */
export async function run(io: ActionIO, ports: Ports = {}): Promise<void> {
  // The job's cancellation reaches the running docker command and the rollout, which puts traffic back first.
  const signal = ports.cancellation;
  await runAction(io, async () => {
    const context = runnerContext(io.env);
    const workspace = context.workspace;
    const inputs = readDeployInputs(io);
    const subscriptionId = subscriptionOf(inputs.subscriptionId, io.env, deployInput('subscription-id'));
    const arm = await armFor(ports, io.env, subscriptionId);
    const commit = context.commit;
    // Read once, here at the edge: the push, the rollout and its live gate all take this config.
    const loaded = await (ports.config ?? ((path, cwd) => loadConfig(path, { cwd })))(inputs.config, workspace);
    const request: DeployRequest = {
      ...inputs,
      cwd: workspace,
      loaded,
      subscriptionId,
      arm,
      ...(commit ? { commit } : {}),
      suffix: revisionSuffix(commit, io.env),
      ...(context.repositoryUrl ? { sourceUrl: context.repositoryUrl } : {}),
      tempDir: context.runnerTemp,
      env: io.env,
      logger: io.logger,
      ...(signal ? { signal } : {}),
    };
    let pushed: PushedImage | undefined;
    if (request.stage === 'all' || request.stage === 'candidate') {
      if (!commit)
        throw new Error('GITHUB_SHA is not set: deploy-container runs in a GitHub Actions job, which tags the image with the commit.');
      pushed = await pushImage({ ...request, commit });
      io.setOutput('image', pushed.image);
      io.setOutput('digest', pushed.digest);
      io.setOutput('tags', pushed.tags.join('\n'));
      io.setOutput('source-image', pushed.promotedFrom?.image ?? '');
    }
    // The rollout deploys what was pushed (by digest), never the image input as given.
    const { image: _given, ...rest } = request;
    let result: RolloutResult;
    try {
      result = await io.logger.group(`Roll out${pushed ? ` ${pushed.image}` : ''} (stage ${request.stage})`, () =>
        rollout({ ...rest, ...(pushed ? { image: pushed.image } : {}) }, { arm }),
      );
    } catch (error) {
      if (error instanceof RolloutFailedError) {
        setRolloutOutputs(io, error.result);
        await io.summary(deploySummary(pushed, error.result, error.message));
      }
      throw error;
    }
    setRolloutOutputs(io, result);
    await io.summary(deploySummary(pushed, result));
  });
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
