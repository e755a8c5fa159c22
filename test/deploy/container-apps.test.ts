/**
 * The Container Apps client on its own, against a fake ARM that answers as Resource Manager does: a
 * lock held by another modification, long-running operations, a restore after the job was cancelled,
 * and the revision states a rollout waits on.
 */
import { describe, expect, it } from 'vitest';
import type { ArmResponse } from '../../src/azure/arm-port.js';
import { COMMIT_ENV, ContainerApp } from '../../src/deploy/container-apps.js';
import { fakeArm } from '../helpers/fake-arm.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000bb';
const APP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.App/containerApps/voice-agent`;
const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): ArmResponse => ({ status, body, headers });
const locked = answer(409, {
  error: {
    code: 'ContainerAppLockConflict',
    message: "Cannot modify container App 'voice-agent' because another modification is in progress.",
  },
});

/** ARM whose PATCHes meet `conflicts` answers first, then are accepted as an operation polled `pending` times. */
function arm(conflicts: ArmResponse[], pending = 0) {
  const calls: string[] = [];
  let polls = 0;
  const port = fakeArm(SUBSCRIPTION, {
    send: async (method, path) => {
      calls.push(`${method} ${path}`);
      if (method === 'PATCH' && path === APP) {
        const conflict = conflicts.shift();
        return conflict ?? answer(202, undefined, { location: 'https://management.azure.com/operationResults/1', 'retry-after-ms': '10' });
      }
      if (method === 'GET' && path === 'https://management.azure.com/operationResults/1') return answer(polls++ < pending ? 202 : 200);
      throw new Error(`unexpected ${method} ${path}`);
    },
  });
  return { port, calls };
}

const traffic = [{ revisionName: 'voice-agent--v1', weight: 100 }];

describe('the Container Apps client', () => {
  it('retries a lock conflict with backoff, then follows the operation to its end', async () => {
    const { port, calls } = arm([locked, locked], 2);
    await new ContainerApp(port, 'rg', 'voice-agent', { pollIntervalMs: 1 }).setTraffic(traffic);
    expect(calls.filter((call) => call.startsWith('PATCH'))).toHaveLength(3);
    expect(calls.filter((call) => call.includes('operationResults'))).toHaveLength(3);
  });

  it('gives up on a lock that outlasts its bound and says to give deploys one concurrency group', async () => {
    const { port } = arm(Array.from({ length: 7 }, () => locked));
    await expect(new ContainerApp(port, 'rg', 'voice-agent', { pollIntervalMs: 1 }).setTraffic(traffic)).rejects.toThrow(
      /voice-agent stayed locked by another modification .*one concurrency group/,
    );
  });

  it('sends no change once the job is cancelled, but a restore still goes, retrying the change in flight within the grace', async () => {
    const cancel = new AbortController();
    cancel.abort();
    const inFlight = answer(409, { error: { code: 'Conflict', message: 'An operation is in progress.' } });
    const { port, calls } = arm([inFlight, inFlight]);
    const app = new ContainerApp(port, 'rg', 'voice-agent', { signal: cancel.signal, pollIntervalMs: 1, cancelGraceMs: 5000 });
    await expect(app.setTraffic(traffic)).rejects.toThrow('The workflow run was cancelled.');
    expect(calls).toEqual([]);
    const accepted = await app.submit({ configuration: { ingress: { traffic } } }, true);
    expect(accepted.status).toBe(202);
    expect(await app.wait(accepted, true)).toBe('done');
    expect(calls.filter((call) => call.startsWith('PATCH'))).toHaveLength(3);
  });

  it('reads a revision’s states and commit, and no revision where Azure has none', async () => {
    const port = fakeArm(SUBSCRIPTION, {
      send: async (_method, path) =>
        path.endsWith('/revisions/voice-agent--v2')
          ? answer(200, {
              name: 'voice-agent--v2',
              properties: {
                active: true,
                provisioningState: 'Provisioned',
                runningState: 'Running',
                healthState: 'Healthy',
                template: {
                  containers: [{ image: 'r.azurecr.io/voice-agent@sha256:2', env: [{ name: COMMIT_ENV, value: 'abc1234def' }] }],
                },
              },
            })
          : answer(404, { error: { code: 'ContainerAppRevisionNotFound', message: 'no' } }),
    });
    const app = new ContainerApp(port, 'rg', 'voice-agent');
    expect(await app.revision('voice-agent--v2')).toEqual({
      name: 'voice-agent--v2',
      active: true,
      provisioningState: 'Provisioned',
      runningState: 'Running',
      healthState: 'Healthy',
      image: 'r.azurecr.io/voice-agent@sha256:2',
      commit: 'abc1234def',
    });
    expect(await app.revision('voice-agent--v3')).toBeUndefined();
  });
});
