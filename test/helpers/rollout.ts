/**
 * Rollouts in a provisioned environment, for the rollout test files: images built FROM scratch and
 * pushed with its docker daemon, rollouts with the tests' defaults, and what the sandbox serves.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { armPort } from '../../src/azure/arm.js';
import type { ArmPort } from '../../src/azure/arm-port.js';
import { azureClientOptions } from '../../src/azure/credential.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { pushImage } from '../../src/deploy/image.js';
import { rollout, type RolloutRequest, type RolloutResult } from '../../src/deploy/rollout.js';
import { writeBusyboxApp } from '../../sandbox/busybox-app.js';
import type { ProvisionedEnvironment } from './environment.js';
import { appTraffic } from './sandbox-admin.js';

/**
 * Builds the context folder of the environment's workspace and pushes it straight to `config`'s registry,
 * as a runner inside its network does (promote by digest has tests of its own); returns the image by digest.
 */
export async function pushContext(
  environment: ProvisionedEnvironment,
  context: string,
  commit: string,
  config = 'azure-hipaa.yml',
): Promise<string> {
  const { workspace, env, dockerd } = environment;
  const pushed = await pushImage({
    cwd: workspace,
    config,
    context,
    dockerfile: 'Dockerfile',
    buildArgs: {},
    labels: {},
    tags: [],
    pushTo: 'registry',
    commit,
    tempDir: workspace,
    env: { ...env, ...dockerd.env },
    subscriptionId: env['AZURE_SUBSCRIPTION_ID'] as string,
    arm: armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string),
    logger: silentLogger,
  });
  return pushed.image;
}

export interface RolloutHelpers {
  /** Builds an image whose /health answers as given (or whose process exits) and pushes it to `config`'s registry. */
  image(kind: 'healthy' | 'no-health' | 'crashes', config?: string, commit?: string): Promise<string>;
  /** A rollout of the example config with the tests' defaults (all traffic at once, the live gate, fast polls). */
  deploy(overrides?: Partial<RolloutRequest>, logger?: Logger, arm?: ArmPort): Promise<RolloutResult>;
  /** The app's split with a `latestRevision` entry named: what a rollback restores, since a new revision becomes the latest. */
  servingSplit(): Promise<unknown>;
  isActive(revision: string): boolean | undefined;
  /** The status of a GET through the sandbox's routing; 0 when the request fails. */
  status(url: string): Promise<number>;
  /** A number no earlier call returned: image contexts, commits and revision suffixes stay unique. */
  nextSerial(): number;
}

/**
 * The helpers over `environment()`, read at each call: test files build them at load time and
 * provision the environment in their beforeAll.
 */
export function rolloutHelpers(environment: () => ProvisionedEnvironment): RolloutHelpers {
  let serial = 0;
  const nextSerial = () => ++serial;
  const armOf = (env: NodeJS.ProcessEnv) => armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
  const revisions = () => {
    const { sandbox } = environment();
    const app = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
    return sandbox.server.apps.revisionsOf(app?.id ?? '');
  };

  async function image(kind: 'healthy' | 'no-health' | 'crashes', config = 'azure-hipaa.yml', commit?: string): Promise<string> {
    const { workspace } = environment();
    const number = nextSerial();
    const context = join(workspace, `image-${number}`);
    await writeBusyboxApp(context, `ok ${number}\n`);
    if (kind === 'no-health') await rm(join(context, 'www', 'health'));
    if (kind === 'crashes')
      await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox", "false"]\n');
    return pushContext(environment(), `image-${number}`, commit ?? `${String(number).padStart(7, '0')}abcdef`, config);
  }

  function deploy(overrides: Partial<RolloutRequest> = {}, logger: Logger = silentLogger, arm?: ArmPort): Promise<RolloutResult> {
    const { workspace, env } = environment();
    return rollout(
      {
        cwd: workspace,
        config: 'azure-hipaa.yml',
        stage: 'all',
        suffix: `t${nextSerial()}`,
        healthTimeoutSeconds: 60,
        probeCount: 3,
        gate: 'live',
        trafficSteps: [100],
        stepWaitSeconds: 1,
        keepRevisions: 2,
        env,
        logger,
        pollIntervalMs: 100,
        ...overrides,
      },
      { arm: arm ?? armOf(env) },
    );
  }

  async function servingSplit(): Promise<unknown> {
    const latest = revisions().at(-1)?.name;
    return (appTraffic(environment().sandbox) as { latestRevision?: boolean; revisionName?: string; weight: number; label?: string }[]).map(
      ({ latestRevision, ...entry }) => (latestRevision ? { ...entry, revisionName: latest } : entry),
    );
  }

  function isActive(revision: string): boolean | undefined {
    return revisions().find((candidate) => candidate.name === revision)?.active;
  }

  async function status(url: string): Promise<number> {
    const http = azureClientOptions(environment().env).httpClient;
    if (!http) throw new Error('the sandbox routes nothing');
    try {
      return (await http.sendRequest(createPipelineRequest({ url, method: 'GET', timeout: 5000 }))).status;
    } catch {
      return 0;
    }
  }

  return { image, deploy, servingSplit, isActive, status, nextSerial };
}
