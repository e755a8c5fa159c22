import { pushTargets, type ImageRequest } from '../../../src/deploy/image.js';
import type { RolloutRequest } from '../../../src/deploy/rollout.js';
import { ConfigurationError } from '../../../src/core/errors.js';
import { checkBuildArgs, checkSecretIds } from '../../../src/deploy/build-args.js';
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
    | 'edgeHost'
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
    ...entry('edgeHost', hostName(optional('edge-host'))),
  };
}

/** A DNS host name, nothing else: it is put into URLs the action requests. */
function hostName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/.test(value))
    throw new ConfigurationError(
      `${inputName('edge-host')} is a host name such as seniorly-prod-abc123.z01.azurefd.net (no scheme, port or path).`,
    );
  return value.toLowerCase();
}

function entry<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
