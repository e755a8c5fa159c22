/**
 * requireDeployedIn: production takes an image only when staging's app runs its exact digest in a
 * revision staging promoted. Staging's app is read as ARM answers it (the app's traffic split and its
 * revisions); the config is the example staging config.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArmPort } from '../../src/azure/arm-port.js';
import { loadConfig } from '../../src/config/load.js';
import type { EnvironmentConfig } from '../../src/config/schema.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { pushImage } from '../../src/deploy/image.js';
import { requireDeployedIn } from '../../src/deploy/promote.js';
import { fakeArm } from '../helpers/fake-arm.js';
import { repoRoot } from '../helpers/run-action.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-00000000abcd';
const TESTED = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const APP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/seniorly-staging-rg/providers/Microsoft.App/containerApps/voice-agent`;

let staging: EnvironmentConfig;
beforeAll(async () => {
  ({ config: staging } = await loadConfig(join(repoRoot, 'examples/azure-hipaa.staging.yml')));
});

interface Revision {
  name: string;
  image: string;
  active?: boolean;
}
type Traffic = { revisionName?: string; latestRevision?: boolean; weight: number; label?: string }[];

/** Staging's app as ARM gives it: its split, and its revisions each running one image. */
function stagingArm(traffic: Traffic, revisions: Revision[], status = 200): { arm: ArmPort; paths: string[] } {
  const paths: string[] = [];
  const arm = fakeArm(SUBSCRIPTION, {
    get: (path) => {
      paths.push(path);
      if (status !== 200)
        return Promise.resolve({
          status,
          body: { error: { code: status === 404 ? 'ResourceNotFound' : 'AuthorizationFailed', message: 'no' } },
        });
      if (path === APP)
        return Promise.resolve({
          status: 200,
          body: { properties: { latestRevisionName: revisions.at(-1)?.name, configuration: { ingress: { traffic } } } },
        });
      if (path === `${APP}/revisions`)
        return Promise.resolve({
          status: 200,
          body: {
            value: revisions.map(({ name, image, active }) => ({
              name,
              properties: { active: active ?? true, template: { containers: [{ name: 'app', image }] } },
            })),
          },
        });
      return Promise.resolve({ status: 404, body: {} });
    },
  });
  return { arm, paths };
}

const image = (digest: string, server = 'seniorlystagingacr.azurecr.io') => `${server}/voice-agent@${digest}`;
const check = (arm: ArmPort, digest = TESTED) =>
  requireDeployedIn({
    arm,
    config: staging,
    configPath: 'azure-hipaa.staging.yml',
    image: image(digest, 'seniorlybuildacr.azurecr.io'),
    digest,
    logger: silentLogger,
  });

describe('requireDeployedIn', () => {
  it('passes the digest staging serves, reading staging’s own resource group and app', async () => {
    const { arm, paths } = stagingArm(
      [{ revisionName: 'voice-agent--r2', weight: 100 }],
      [{ name: 'voice-agent--r2', image: image(TESTED) }],
    );
    await expect(check(arm)).resolves.toBe(image(TESTED));
    expect(paths).toEqual([APP, `${APP}/revisions`]);
  });

  it('passes the digest staging kept as previous after a newer push, and a split given as latestRevision', async () => {
    const previous = stagingArm(
      [
        { revisionName: 'voice-agent--r3', weight: 100 },
        { revisionName: 'voice-agent--r2', weight: 0, label: 'previous' },
      ],
      [
        { name: 'voice-agent--r2', image: image(TESTED) },
        { name: 'voice-agent--r3', image: image(OTHER) },
      ],
    );
    await expect(check(previous.arm)).resolves.toBe(image(TESTED));
    const latest = stagingArm([{ latestRevision: true, weight: 100 }], [{ name: 'voice-agent--r2', image: image(TESTED) }]);
    await expect(check(latest.arm)).resolves.toBe(image(TESTED));
  });

  it('refuses a digest staging does not run, naming what staging runs and what to do', async () => {
    const { arm } = stagingArm([{ revisionName: 'voice-agent--r2', weight: 100 }], [{ name: 'voice-agent--r2', image: image(OTHER) }]);
    const refusal = check(arm);
    await expect(refusal).rejects.toBeInstanceOf(ConfigurationError);
    await expect(refusal).rejects.toThrow(
      `Refusing to deploy ${image(TESTED, 'seniorlybuildacr.azurecr.io')}: voice-agent in resource group seniorly-staging-rg (require-deployed-in: azure-hipaa.staging.yml) has not deployed digest ${TESTED}; it runs voice-agent--r2 (${image(OTHER)}).`,
    );
    await expect(refusal).rejects.toThrow(/deploy this image there first/);
  });

  it.each([
    ['a candidate still being tried', [{ revisionName: 'voice-agent--r3', weight: 10, label: 'candidate' }], true],
    ['a candidate nobody promoted (0%)', [{ revisionName: 'voice-agent--r3', weight: 0, label: 'candidate' }], true],
    ['a revision rolled back and deactivated', [{ revisionName: 'voice-agent--r3', weight: 0, label: 'candidate' }], false],
    ['a revision outside the split', [], true],
  ] as const)('refuses the digest of %s', async (_case, split, active) => {
    const { arm } = stagingArm(
      [{ revisionName: 'voice-agent--r2', weight: 100 - (split[0]?.weight ?? 0) }, ...split],
      [
        { name: 'voice-agent--r2', image: image(OTHER) },
        { name: 'voice-agent--r3', image: image(TESTED), active },
      ],
    );
    await expect(check(arm)).rejects.toThrow(/has not deployed digest/);
  });

  it('refuses the right digest in a registry that is not staging’s', async () => {
    const { arm } = stagingArm(
      [{ revisionName: 'voice-agent--r2', weight: 100 }],
      [{ name: 'voice-agent--r2', image: image(TESTED, 'elsewhereacr.azurecr.io') }],
    );
    await expect(check(arm)).rejects.toThrow(/has not deployed digest/);
  });

  it('says to deploy staging first when its app does not exist, and which role to grant when it may not be read', async () => {
    await expect(check(stagingArm([], [], 404).arm)).rejects.toThrow(
      /voice-agent in resource group seniorly-staging-rg \(require-deployed-in: azure-hipaa.staging.yml\) does not exist.*Deploy to that environment first/,
    );
    await expect(check(stagingArm([], [], 403).arm)).rejects.toThrow(
      `Grant it Reader on that app: az role assignment create --role Reader --assignee <the deploy identity's object id> --scope ${APP}.`,
    );
  });

  it('is refused without an image: a build here is a new image no environment has run, so nothing is built', async () => {
    const refusal = pushImage({
      cwd: join(repoRoot, 'examples'),
      config: 'azure-hipaa.yml',
      requireDeployedIn: 'azure-hipaa.staging.yml',
      context: '.',
      dockerfile: 'Dockerfile',
      buildArgs: {},
      labels: {},
      tags: [],
      subscriptionId: SUBSCRIPTION,
      // Any call to Resource Manager, docker or a registry would fail this test.
      arm: fakeArm(SUBSCRIPTION, {}),
      commit: 'c0ffee0123456789abcdef0123456789abcdef01',
      tempDir: join(repoRoot, 'examples'),
      env: {},
      logger: silentLogger,
    });
    await expect(refusal).rejects.toBeInstanceOf(ConfigurationError);
    await expect(refusal).rejects.toThrow('Input "require-deployed-in" (azure-hipaa.staging.yml) needs "image"');
  });
});
