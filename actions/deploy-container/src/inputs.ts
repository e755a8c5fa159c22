import { checkBuildArgs, checkSecretIds } from '../../../src/deploy/build-args.js';
import { pushTargets, type ImageRequest } from '../../../src/deploy/image.js';
import { rolloutGates, rolloutStages, type RolloutRequest } from '../../../src/deploy/rollout.js';
import { trafficSteps } from '../../../src/deploy/steps.js';
import { inputName, inputNamer, read, readInputTable, type InputReader } from '../../shared/inputs.js';
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
    'stage' | 'healthTimeoutSeconds' | 'probeCount' | 'gate' | 'trafficSteps' | 'stepWaitSeconds' | 'keepRevisions' | 'revision'
  > & {
    subscriptionId?: string;
  };

/** Build args and secrets as docker takes them from its environment, checked before anything runs. */
const checked =
  (check: (pairs: Record<string, string>) => void): InputReader<Record<string, string>> =>
  (inputs, name) => {
    const pairs = inputs.keyValues(name);
    check(pairs);
    return pairs;
  };

/** This action's inputs by their action.yml names, each with its reader. */
export const DEPLOY_INPUTS = {
  config: read.optional,
  'subscription-id': read.optional,
  stage: read.choice(rolloutStages, 'all'),
  'health-timeout-seconds': read.whole(600, 10, 3600),
  'probe-count': read.whole(5, 1, 100),
  gate: read.choice(rolloutGates, 'live'),
  'traffic-steps': ((inputs, name) => trafficSteps(inputs.list(name), inputName(name), inputs.raw(name))) as InputReader<number[]>,
  'step-wait-seconds': read.whole(30, 0, 3600),
  'keep-revisions': read.whole(2, 1, 100),
  revision: read.optional,
  image: read.optional,
  'require-deployed-in': read.optional,
  'push-to': read.choice(pushTargets, 'auto'),
  context: read.optional,
  dockerfile: read.optional,
  'build-args': checked(checkBuildArgs),
  secrets: checked(checkSecretIds),
  target: read.optional,
  labels: read.keyValues,
  tags: read.list,
  repository: read.optional,
  registry: read.optional,
};

/** `Input "name"`, for this action's inputs. */
export const deployInput = inputNamer(DEPLOY_INPUTS);

/** The one place this action reads its inputs. */
export function readDeployInputs(io: ActionIO): DeployInputs {
  const given = readInputTable(io, DEPLOY_INPUTS);
  return {
    ...entry('config', given.config),
    ...entry('subscriptionId', given['subscription-id']),
    ...entry('image', given.image),
    context: given.context ?? '.',
    dockerfile: given.dockerfile ?? 'Dockerfile',
    buildArgs: given['build-args'],
    secrets: given.secrets,
    ...entry('target', given.target),
    labels: given.labels,
    tags: given.tags,
    ...entry('repository', given.repository),
    ...entry('registry', given.registry),
    pushTo: given['push-to'],
    ...entry('requireDeployedIn', given['require-deployed-in']),
    stage: given.stage,
    healthTimeoutSeconds: given['health-timeout-seconds'],
    probeCount: given['probe-count'],
    gate: given.gate,
    trafficSteps: given['traffic-steps'],
    stepWaitSeconds: given['step-wait-seconds'],
    keepRevisions: given['keep-revisions'],
    ...entry('revision', given.revision),
  };
}

function entry<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
