import { ConfigurationError } from '../../../src/core/errors.js';
import { checkBuildArgs, checkSecretIds } from '../../../src/deploy/build-args.js';
import { analysisModes, DEFAULT_ANALYSIS, type AnalysisSettings } from '../../../src/deploy/canary.js';
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
    | 'stage'
    | 'healthTimeoutSeconds'
    | 'probeCount'
    | 'gate'
    | 'trafficSteps'
    | 'stepWaitSeconds'
    | 'keepRevisions'
    | 'revision'
    | 'analysis'
    | 'edgeHost'
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
  analysis: read.choice(analysisModes, 'auto'),
  'analysis-interval-seconds': read.whole(DEFAULT_ANALYSIS.intervalSeconds, 1, 3600),
  'analysis-ingestion-delay-seconds': read.whole(DEFAULT_ANALYSIS.ingestionDelaySeconds, 0, 3600),
  'analysis-max-error-percent': read.within(DEFAULT_ANALYSIS.maxErrorPercent, 0, 100),
  'analysis-max-error-ratio': read.within(DEFAULT_ANALYSIS.maxErrorRatio, 1, 1000),
  'analysis-min-requests': read.whole(DEFAULT_ANALYSIS.minRequests, 1, 1_000_000),
  'analysis-failure-limit': read.whole(DEFAULT_ANALYSIS.failureLimit, 1, 100),
  'analysis-max-p95-ratio': read.within(DEFAULT_ANALYSIS.maxP95Ratio, 0, 1000),
  'analysis-max-p99-ratio': read.within(DEFAULT_ANALYSIS.maxP99Ratio, 0, 1000),
  'analysis-max-p99-ms': read.within(DEFAULT_ANALYSIS.maxP99Ms, 0, 3_600_000),
  'analysis-inconclusive': read.choice(['fail', 'pass'] as const, DEFAULT_ANALYSIS.inconclusive),
  'analysis-max-extensions': read.whole(DEFAULT_ANALYSIS.maxExtensions, 0, 100),
  revision: read.optional,
  'edge-host': ((inputs, name) => hostName(inputs.optional(name))) as InputReader<string | undefined>,
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
    ...entry('edgeHost', given['edge-host']),
    ...analysisOf(given),
  };
}

/**
 * The canary analysis, by default on whenever a step gives the new revision part of the traffic: then
 * there is a previous revision to compare it with. With all traffic at once there is none, so `on` there
 * is a mistake worth stopping for.
 */
function analysisOf(given: ReturnType<typeof readInputTable<typeof DEPLOY_INPUTS>>): { analysis?: AnalysisSettings } {
  const stepped = given['traffic-steps'].length > 1;
  if (given.analysis === 'on' && !stepped)
    throw new ConfigurationError(
      `${deployInput('analysis')} is on, but ${deployInput('traffic-steps')} sends all traffic at once, so there is no previous revision to compare with; give steps such as 10,50,100, or set analysis to auto.`,
    );
  if (given.analysis === 'off' || !stepped) return {};
  return {
    analysis: {
      intervalSeconds: given['analysis-interval-seconds'],
      ingestionDelaySeconds: given['analysis-ingestion-delay-seconds'],
      maxErrorPercent: given['analysis-max-error-percent'],
      maxErrorRatio: given['analysis-max-error-ratio'],
      minRequests: given['analysis-min-requests'],
      failureLimit: given['analysis-failure-limit'],
      maxP95Ratio: given['analysis-max-p95-ratio'],
      maxP99Ratio: given['analysis-max-p99-ratio'],
      maxP99Ms: given['analysis-max-p99-ms'],
      inconclusive: given['analysis-inconclusive'],
      maxExtensions: given['analysis-max-extensions'],
    },
  };
}

/** A DNS host name, nothing else: it is put into URLs the action requests. */
function hostName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/.test(value))
    throw new ConfigurationError(
      `${deployInput('edge-host')} is a host name such as seniorly-prod-abc123.z01.azurefd.net (no scheme, port or path).`,
    );
  return value.toLowerCase();
}

function entry<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
