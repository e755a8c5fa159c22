/**
 * Rollouts that meet trouble from outside the app, against the sandbox running revisions for real:
 * the job cancelled mid-shift (also while ARM is still applying a traffic change), ARM refusing a
 * concurrent write or a revision name, and a re-run of the commit already serving.
 * (The rollout itself and its failures are in rollout.integration.test.ts, so the two run in parallel.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import type { ArmPort } from '../../src/azure/arm-port.js';
import { silentLogger } from '../../src/core/logger.js';
import { RolloutFailedError } from '../../src/deploy/rollout.js';
import { provisionedEnvironment, type ProvisionedEnvironment } from '../helpers/environment.js';
import { recordingLogger } from '../helpers/logger.js';
import { rolloutHelpers } from '../helpers/rollout.js';
import { adminRequest, appTraffic } from '../helpers/sandbox-admin.js';

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let environment: ProvisionedEnvironment;
const { image, deploy, servingSplit, isActive } = rolloutHelpers(() => environment);

beforeAll(async () => {
  environment = await provisionedEnvironment();
  ({ sandbox, env } = environment);
  // A revision of ours serving: a cancelled rollout must put the split back to it. Over the
  // placeholder a rollout takes all traffic at once, so there would be no shift to cancel.
  await deploy({ image: await image('healthy'), gate: 'none' });
}, 240_000);
afterAll(async () => environment?.stop());

describe('rollout', () => {
  it('a second write while the app is being changed gets ARM’s ContainerAppLockConflict, as two deploys at once would', async () => {
    const arm = armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
    const app = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
    const patch = { properties: { configuration: { ingress: { traffic: appTraffic(sandbox) } } } };
    // An update that takes a couple of seconds, as Azure's take minutes, so the second write surely meets it.
    await adminRequest(sandbox, 'PATCH', '/arm', { timeScale: 0.1 });
    const first = await arm
      .send('PATCH', app?.id ?? '', '2026-01-01', patch)
      .finally(() => adminRequest(sandbox, 'PATCH', '/arm', { timeScale: 0.001 }));
    const second = await arm.send('PATCH', app?.id ?? '', '2026-01-01', patch);
    expect(first.status).toBe(202);
    expect(second).toMatchObject({ status: 409, body: { error: { code: 'ContainerAppLockConflict' } } });
    for (let polls = 0; polls < 100 && (await arm.send('GET', first.headers['location'] ?? '')).status === 202; polls++)
      await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('a revision suffix too long for the app’s name gets ARM’s ContainerAppInvalidRevisionName, and nothing changes', async () => {
    const before = await servingSplit();
    const error = await deploy({ image: await image('healthy'), suffix: `c${'a'.repeat(50)}` }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutFailedError);
    expect((error as Error).message).toMatch(/ContainerAppInvalidRevisionName: .*not be more than a combined 54 characters/);
    expect(appTraffic(sandbox)).toEqual(before);
  });

  it('cancelled during the shift, puts the previous split back before it ends', async () => {
    const before = await servingSplit();
    const cancel = new AbortController();
    const logger = recordingLogger();
    const original = logger.info;
    logger.info = (message) => {
      original(message);
      if (/^Traffic: \S+ 10%, /.test(message)) cancel.abort();
    };
    const error = await deploy(
      { image: await image('healthy'), trafficSteps: [10, 50, 100], stepWaitSeconds: 30, signal: cancel.signal },
      logger,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutFailedError);
    expect((error as Error).message).toMatch(/cancelled/);
    expect(appTraffic(sandbox)).toEqual(before);
    expect(isActive((error as RolloutFailedError).result.revision)).toBe(false);
  }, 120_000);

  it('cancelled while ARM runs a traffic change for longer than the runner’s grace, has the exact split back within 10 s', async () => {
    const before = await servingSplit();
    const cancel = new AbortController();
    const inner = armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
    let cancelledAt = 0;
    // The first traffic step's operation runs 30 s, as Azure's may; the job is cancelled a second into it.
    const arm: ArmPort = {
      ...inner,
      send: async (method, path, apiVersion, body) => {
        const step = method === 'PATCH' && JSON.stringify(body).includes('"weight":10,"label":"candidate"');
        if (step) await adminRequest(sandbox, 'PATCH', '/arm', { operationSeconds: { 'Microsoft.App/containerApps': 30 } });
        const response = await inner.send(method, path, apiVersion, body);
        if (step)
          setTimeout(() => {
            cancelledAt = Date.now();
            cancel.abort();
          }, 1000);
        return response;
      },
    };
    try {
      const error = await deploy(
        { image: await image('healthy'), gate: 'none', trafficSteps: [10, 100], stepWaitSeconds: 1, signal: cancel.signal },
        silentLogger,
        arm,
      ).catch((caught: unknown) => caught);
      expect(cancelledAt).toBeGreaterThan(0);
      expect(Date.now() - cancelledAt).toBeLessThan(10_000);
      expect(error).toBeInstanceOf(RolloutFailedError);
      expect((error as Error).message).toMatch(/cancelled/);
      expect((error as RolloutFailedError).result.rolledBack).toBe(true);
      expect(appTraffic(sandbox)).toEqual(before);
      expect(isActive((error as RolloutFailedError).result.revision)).toBe(false);
    } finally {
      await adminRequest(sandbox, 'PATCH', '/arm', { operationSeconds: { 'Microsoft.App/containerApps': 0 } });
    }
  }, 120_000);

  it('a re-run of the serving commit builds a new digest and changes nothing: no second revision of the same code', async () => {
    const commit = 'abcdef0123456789abcdef0123456789abcdef01';
    const built = await image('healthy', 'azure-hipaa.yml', commit);
    const first = await deploy({ image: built, commit, gate: 'none' });
    const rebuilt = await image('healthy', 'azure-hipaa.yml', commit);
    expect(rebuilt).not.toBe(built);
    const app = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
    const revisions = sandbox.server.apps.revisionsOf(app?.id ?? '').length;
    const traffic = appTraffic(sandbox);
    const again = await deploy({ image: rebuilt, commit, gate: 'none' });
    expect(again).toMatchObject({ unchanged: true, revision: first.revision });
    expect(sandbox.server.apps.revisionsOf(app?.id ?? '')).toHaveLength(revisions);
    expect(appTraffic(sandbox)).toEqual(traffic);
  }, 120_000);
});
