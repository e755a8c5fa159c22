import { pushTargets, type ImageRequest } from '../../../src/deploy/image.js';
import type { RolloutRequest } from '../../../src/deploy/rollout.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { checkBuildArgs, checkSecretIds } from '../../../src/deploy/build-args.js';
import { DEFAULT_ANALYSIS, type AnalysisSettings } from '../../../src/deploy/canary.js';
import { ActionInputs, inputName } from '../../shared/inputs.js';
import type { ActionIO } from '../../shared/runtime.js';

/** The image's inputs and the rollout's, as the core takes them. */
export type DeployInputs = Pick<
  ImageRequest,
  | 'config'
  | 'image'
  | 'context'
  | 'dockerfile'
  | 'buildArgs'
  | 'secrets'
  | 'target'
  | 'labels'
  | 'tags'
  | 'repository'
  | 'registry'
  | 'pushTo'
  | 'requireDeployedIn'
> &
  Pick<
    RolloutRequest,
    | 'stage'
    | 'healthTimeoutSeconds'
    | 'probeCount'
    | 'gate'
    | 'trafficSteps'
    | 'stepWaitSeconds'
    | 'keepRevisions'
    | 'revision'
    | 'analysis'
  > & {
    subscriptionId?: string;
  };

/** The one place this action reads its inputs. */
export function readDeployInputs(io: ActionIO): DeployInputs {
  const inputs = new ActionInputs(io);
  const optional = (name: string) => inputs.optional(name);
  const whole = (name: string, fallback: number, min: number, max: number) => {
    const value = inputs.number(name) ?? fallback;
    if (!Number.isInteger(value) || value < min || value > max)
      throw new ConfigurationError(`${inputName(name)} must be a whole number from ${min} to ${max}; got ${value}.`);
    return value;
  };
  const steps = inputs.list('traffic-steps').map(Number);
  const trafficSteps = steps.length > 0 ? steps : [100];
  if (
    trafficSteps.some(
      (step, index) => !Number.isInteger(step) || step < 1 || step > 100 || (index > 0 && step <= (trafficSteps[index - 1] as number)),
    ) ||
    trafficSteps.at(-1) !== 100
  )
    throw new ConfigurationError(
      `${inputName('traffic-steps')} is rising whole percentages ending at 100, like 10,50,100; got "${io.getInput('traffic-steps')}".`,
    );
  const within = (name: string, fallback: number, min: number, max: number) => {
    const value = inputs.number(name) ?? fallback;
    if (value < min || value > max) throw new ConfigurationError(`${inputName(name)} must be from ${min} to ${max}; got ${value}.`);
    return value;
  };
  const analysed = inputs.choice('analysis', ['on', 'off'] as const, 'off') === 'on';
  const d = DEFAULT_ANALYSIS;
  const analysis: AnalysisSettings | undefined = analysed
    ? {
        intervalSeconds: whole('analysis-interval-seconds', d.intervalSeconds, 1, 3600),
        ingestionDelaySeconds: whole('analysis-ingestion-delay-seconds', d.ingestionDelaySeconds, 0, 3600),
        maxErrorPercent: within('analysis-max-error-percent', d.maxErrorPercent, 0, 100),
        maxErrorRatio: within('analysis-max-error-ratio', d.maxErrorRatio, 1, 1000),
        minRequests: whole('analysis-min-requests', d.minRequests, 1, 1_000_000),
        failureLimit: whole('analysis-failure-limit', d.failureLimit, 1, 100),
        maxP95Ratio: within('analysis-max-p95-ratio', d.maxP95Ratio, 0, 1000),
        maxP99Ratio: within('analysis-max-p99-ratio', d.maxP99Ratio, 0, 1000),
        maxP99Ms: within('analysis-max-p99-ms', d.maxP99Ms, 0, 3_600_000),
        inconclusive: inputs.choice('analysis-inconclusive', ['fail', 'pass'] as const, d.inconclusive),
        maxExtensions: whole('analysis-max-extensions', d.maxExtensions, 0, 100),
      }
    : undefined;
  const buildArgs = inputs.keyValues('build-args');
  checkBuildArgs(buildArgs);
  const secrets = inputs.keyValues('secrets');
  checkSecretIds(secrets);
  return {
    ...entry('config', optional('config')),
    ...entry('subscriptionId', optional('subscription-id')),
    ...entry('image', optional('image')),
    context: optional('context') ?? '.',
    dockerfile: optional('dockerfile') ?? 'Dockerfile',
    buildArgs,
    secrets,
    ...entry('target', optional('target')),
    labels: inputs.keyValues('labels'),
    tags: inputs.list('tags'),
    ...entry('repository', optional('repository')),
    ...entry('registry', optional('registry')),
    pushTo: inputs.choice('push-to', pushTargets, 'auto'),
    ...entry('requireDeployedIn', optional('require-deployed-in')),
    stage: inputs.choice('stage', ['all', 'candidate', 'promote', 'rollback'] as const, 'all'),
    healthTimeoutSeconds: whole('health-timeout-seconds', 600, 10, 3600),
    probeCount: whole('probe-count', 5, 1, 100),
    gate: inputs.choice('gate', ['live', 'none'] as const, 'live'),
    trafficSteps,
    stepWaitSeconds: whole('step-wait-seconds', 30, 0, 3600),
    keepRevisions: whole('keep-revisions', 2, 1, 100),
    ...entry('revision', optional('revision')),
    ...(analysis ? { analysis } : {}),
  };
}

function entry<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
