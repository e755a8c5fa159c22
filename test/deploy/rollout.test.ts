/**
 * The rollout against a fake ARM, for what the sandbox cannot stage on demand: another deploy
 * holding the app's lock. Its 409s are retried with backoff; if the lock outlasts the bound, the
 * rollout says to give deploys a concurrency group, and still puts traffic back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHeaders, type HttpClient } from '@azure/core-rest-pipeline';
import type { ArmResponse } from '../../src/azure/arm-port.js';
import { silentLogger } from '../../src/core/logger.js';
import { rollout, RolloutFailedError } from '../../src/deploy/rollout.js';
import { fakeArm } from '../helpers/fake-arm.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000aa';
const DOMAIN = 'calmwater-1234.eastus2.azurecontainerapps.io';
let cwd: string;
beforeAll(async () => void (cwd = await mkdtemp(join(tmpdir(), 'rollout-fake-'))));
afterAll(async () => rm(cwd, { recursive: true, force: true }));

const healthy: HttpClient = { sendRequest: async (request) => ({ request, status: 200, headers: createHttpHeaders() }) };

/** ARM for an app in multiple mode serving voice-agent--v1, whose PATCHes meet `locked` lock conflicts first. */
function armWithLock(locked: number) {
  const patches: unknown[] = [];
  let conflicts = 0;
  const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): ArmResponse => ({ status, body, headers });
  const arm = fakeArm(SUBSCRIPTION, {
    send: async (method, path, _apiVersion, body) => {
      if (method === 'GET' && path.endsWith('/containerApps/voice-agent'))
        return answer(200, {
          properties: {
            latestRevisionName: 'voice-agent--v1',
            configuration: {
              activeRevisionsMode: 'Multiple',
              ingress: { fqdn: `voice-agent.${DOMAIN}`, targetPort: 8000, traffic: [{ revisionName: 'voice-agent--v1', weight: 100 }] },
            },
            template: { containers: [{ name: 'voice-agent', image: 'r.azurecr.io/voice-agent@sha256:1' }] },
          },
        });
      if (method === 'GET' && path.endsWith('/revisions'))
        return answer(200, { value: [{ name: 'voice-agent--v1', properties: { active: true } }] });
      if (method === 'GET' && path.includes('/revisions/'))
        return answer(200, {
          name: path.split('/').at(-1),
          properties: { active: true, provisioningState: 'Provisioned', runningState: 'Running', healthState: 'Healthy' },
        });
      if (method === 'PATCH') {
        if (conflicts++ < locked)
          return answer(409, {
            error: {
              code: 'ContainerAppLockConflict',
              message: "Cannot modify container App 'voice-agent' because another modification is in progress. Please retry the operation.",
            },
          });
        patches.push(body);
        return answer(202, undefined, { location: 'https://management.azure.com/operationResults/1', 'retry-after-ms': '10' });
      }
      if (method === 'GET' && path.startsWith('https://')) return answer(200, {});
      if (method === 'POST') return answer(200, {});
      throw new Error(`unexpected ${method} ${path}`);
    },
  });
  return { arm, patches };
}

const request = (arm: ReturnType<typeof armWithLock>['arm'], gate: 'none' | 'live' = 'none') =>
  rollout(
    {
      cwd,
      image: 'r.azurecr.io/voice-agent@sha256:2',
      stage: 'all',
      suffix: 'c1234567-1-1',
      healthTimeoutSeconds: 30,
      probeCount: 2,
      gate,
      trafficSteps: [100],
      stepWaitSeconds: 0,
      keepRevisions: 2,
      env: {},
      logger: silentLogger,
      pollIntervalMs: 5,
    },
    { arm, http: healthy },
  );

describe('rollout and the app lock', () => {
  it('retries a lock conflict with backoff and goes on once the other operation ends', async () => {
    const { arm, patches } = armWithLock(3);
    const result = await request(arm);
    expect(result.revision).toBe('voice-agent--c1234567-1-1');
    expect(patches).toHaveLength(2);
  });

  it('gives up after its bound, says to give deploys a concurrency group, and still restores the split', async () => {
    // Seven conflicts: one more than the bound allows; the lock is free again for the rollback.
    const { arm, patches } = armWithLock(7);
    const error = await request(arm).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutFailedError);
    expect((error as Error).message).toMatch(/stayed locked by another modification .*one concurrency group/);
    expect((error as RolloutFailedError).result.rolledBack).toBe(true);
    expect(patches).toEqual([
      { properties: { configuration: { ingress: { traffic: [{ revisionName: 'voice-agent--v1', weight: 100 }] } } } },
    ]);
  });

  it('puts the live gate in the summary as one line that names what blocks', async () => {
    const { arm } = armWithLock(0);
    // An empty resource group and the built-in defaults: the BAA evidence only the user can give is missing.
    const error = await request({ ...arm, listResources: async () => [] }, 'live').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutFailedError);
    expect((error as Error).message).toMatch(/The HIPAA gate blocks promotion: baa\.evidence on /);
    const verdict = (error as RolloutFailedError).result.gateReport ?? '';
    expect(verdict).toMatch(/^❌ \*\*HIPAA gate: fail\*\* on the live resource group, 1 blocking finding: \[baa\.evidence\]/);
    expect(verdict).toContain('npx azure-hipaa gate --live --resource-group seniorly-prod-rg');
    expect(verdict).not.toContain('\n');
  });
});
