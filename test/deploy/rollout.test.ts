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
    expect((error as Error).message).toMatch(/The HIPAA gate blocks promotion: .*baa\.evidence on /);
    const verdict = (error as RolloutFailedError).result.gateReport ?? '';
    expect(verdict).toMatch(/^❌ \*\*HIPAA gate: fail\*\* on the live resource group, \d+ blocking findings: .*\[baa\.evidence\]/);
    expect(verdict).toContain('npx azure-hipaa gate --live --resource-group seniorly-prod-rg');
    expect(verdict).not.toContain('\n');
  });
});

/**
 * ARM for an app serving voice-agent--v1 whose state follows the PATCHes it accepts (the split is in
 * effect at once, as the sandbox and Azure's front do), and whose operations last as `operationMs`
 * says; `conflict` answers a PATCH 409 instead, as Azure does while another change holds the app.
 */
function statefulArm(options: { operationMs: (body: unknown) => number; conflict?: (body: unknown) => boolean }) {
  const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): ArmResponse => ({ status, body, headers });
  const state = {
    traffic: [{ revisionName: 'voice-agent--v1', weight: 100, label: 'previous' }] as {
      revisionName: string;
      weight: number;
      label?: string;
    }[],
    revisions: new Map([['voice-agent--v1', true]]),
    patches: [] as unknown[],
    deactivated: [] as string[],
  };
  const operations = new Map<string, number>();
  const arm = fakeArm(SUBSCRIPTION, {
    send: async (method, path, _apiVersion, body) => {
      if (method === 'GET' && path.endsWith('/containerApps/voice-agent'))
        return answer(200, {
          properties: {
            latestRevisionName: [...state.revisions.keys()].at(-1),
            configuration: {
              activeRevisionsMode: 'Multiple',
              ingress: { fqdn: `voice-agent.${DOMAIN}`, targetPort: 8000, traffic: state.traffic },
            },
            template: { containers: [{ name: 'voice-agent', image: 'r.azurecr.io/voice-agent@sha256:1' }] },
          },
        });
      if (method === 'GET' && path.endsWith('/revisions'))
        return answer(200, { value: [...state.revisions].map(([name, active]) => ({ name, properties: { active } })) });
      if (method === 'GET' && path.includes('/revisions/'))
        return answer(200, {
          name: path.split('/').at(-1),
          properties: { active: true, provisioningState: 'Provisioned', runningState: 'Running', healthState: 'Healthy' },
        });
      if (method === 'PATCH') {
        if (options.conflict?.(body))
          return answer(409, { error: { code: 'ContainerAppLockConflict', message: 'another modification is in progress' } });
        state.patches.push(body);
        const properties = (
          body as { properties: { template?: { revisionSuffix?: string }; configuration?: { ingress?: { traffic?: [] } } } }
        ).properties;
        if (properties.template?.revisionSuffix) state.revisions.set(`voice-agent--${properties.template.revisionSuffix}`, true);
        if (properties.configuration?.ingress?.traffic) state.traffic = properties.configuration.ingress.traffic;
        const id = String(state.patches.length);
        operations.set(id, Date.now() + options.operationMs(body));
        return answer(202, undefined, { location: `https://management.azure.com/operationResults/${id}`, 'retry-after-ms': '10' });
      }
      if (method === 'GET' && path.startsWith('https://management.azure.com/operationResults/'))
        return answer(Date.now() < (operations.get(path.split('/').at(-1) ?? '') ?? 0) ? 202 : 200, {});
      if (method === 'POST' && path.endsWith('/deactivate')) {
        const name = path.split('/').at(-2) ?? '';
        state.deactivated.push(name);
        state.revisions.set(name, false);
        return answer(200, {});
      }
      throw new Error(`unexpected ${method} ${path}`);
    },
  });
  return { arm, state };
}

const stepWeight = (body: unknown) =>
  (
    body as { properties: { configuration?: { ingress?: { traffic?: { label?: string; weight: number }[] } } } }
  ).properties.configuration?.ingress?.traffic?.find((entry) => entry.label === 'candidate')?.weight;

function cancellable(arm: ReturnType<typeof statefulArm>['arm'], signal: AbortSignal, extra: { cancelGraceMs?: number } = {}) {
  return rollout(
    {
      cwd,
      image: 'r.azurecr.io/voice-agent@sha256:2',
      stage: 'all',
      suffix: 'c1234567-1-1',
      healthTimeoutSeconds: 30,
      probeCount: 1,
      gate: 'none',
      trafficSteps: [10, 100],
      stepWaitSeconds: 0,
      keepRevisions: 2,
      env: {},
      logger: silentLogger,
      pollIntervalMs: 5,
      signal,
      ...extra,
    },
    { arm, http: healthy },
  );
}

describe('a cancelled rollout', () => {
  const before = [{ revisionName: 'voice-agent--v1', weight: 100, label: 'previous' }];

  it('stops waiting for a traffic operation that outlasts the runner’s grace, and puts the exact split back at once', async () => {
    // The 10% step's operation would run for a minute: far beyond the ~10 s the runner gives a cancelled step.
    const { arm, state } = statefulArm({ operationMs: (body) => (stepWeight(body) === 10 ? 60_000 : 0) });
    const cancel = new AbortController();
    let cancelledAt = 0;
    const watch = setInterval(() => {
      if (state.traffic.some((entry) => entry.weight === 10) && !cancelledAt) {
        cancelledAt = Date.now();
        cancel.abort();
      }
    }, 5);
    const error = await cancellable(arm, cancel.signal, { cancelGraceMs: 2000 })
      .catch((caught: unknown) => caught)
      .finally(() => clearInterval(watch));
    expect(Date.now() - cancelledAt).toBeLessThan(3000);
    expect(error).toBeInstanceOf(RolloutFailedError);
    expect((error as Error).message).toMatch(/cancelled/);
    expect(state.traffic).toEqual(before);
    expect(state.deactivated).toEqual(['voice-agent--c1234567-1-1']);
  }, 20_000);

  it('reports a probe the cancel cut short as the cancel, not as an app that answered nothing', async () => {
    const { arm, state } = statefulArm({ operationMs: () => 0 });
    const cancel = new AbortController();
    // After the 10% step the app's probe hangs until the job is cancelled, as a request in flight at SIGTERM does.
    const hanging: HttpClient = {
      sendRequest: (request) =>
        state.traffic.some((entry) => entry.weight === 10)
          ? new Promise((_resolve, reject) => {
              setTimeout(() => cancel.abort(), 20);
              request.abortSignal?.addEventListener('abort', () => reject(new Error('The operation was aborted.')), { once: true });
            })
          : healthy.sendRequest(request),
    };
    const error = await rollout(
      {
        cwd,
        image: 'r.azurecr.io/voice-agent@sha256:2',
        stage: 'all',
        suffix: 'c1234567-1-1',
        healthTimeoutSeconds: 30,
        probeCount: 1,
        gate: 'none',
        trafficSteps: [10, 100],
        stepWaitSeconds: 5,
        keepRevisions: 2,
        env: {},
        logger: silentLogger,
        pollIntervalMs: 5,
        signal: cancel.signal,
      },
      { arm, http: hanging },
    ).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/cancelled/);
    expect((error as Error).message).not.toMatch(/answered nothing/);
    expect(state.traffic).toEqual(before);
  }, 20_000);

  it('retries the restoring update through 409 conflicts with a short backoff, within the window', async () => {
    let conflicts = 0;
    const cancel = new AbortController();
    const { arm, state } = statefulArm({
      operationMs: (body) => (stepWeight(body) === 10 ? 60_000 : 0),
      // The restoring PATCH (no candidate entry) meets the running operation's lock four times.
      conflict: (body) => cancel.signal.aborted && stepWeight(body) === undefined && conflicts++ < 4,
    });
    const watch = setInterval(() => state.traffic.some((entry) => entry.weight === 10) && cancel.abort(), 5);
    const error = await cancellable(arm, cancel.signal, { cancelGraceMs: 3000 })
      .catch((caught: unknown) => caught)
      .finally(() => clearInterval(watch));
    expect(conflicts).toBe(5);
    expect((error as RolloutFailedError).result.rolledBack).toBe(true);
    expect(state.traffic).toEqual(before);
  }, 20_000);

  it('says exactly what to put back when the app stays locked through the window', async () => {
    const cancel = new AbortController();
    const { arm, state } = statefulArm({
      operationMs: (body) => (stepWeight(body) === 10 ? 60_000 : 0),
      conflict: (body) => cancel.signal.aborted && stepWeight(body) === undefined,
    });
    const watch = setInterval(() => state.traffic.some((entry) => entry.weight === 10) && cancel.abort(), 5);
    const started = Date.now();
    const error = await cancellable(arm, cancel.signal, { cancelGraceMs: 1000 })
      .catch((caught: unknown) => caught)
      .finally(() => clearInterval(watch));
    expect(Date.now() - started).toBeLessThan(3000);
    expect((error as RolloutFailedError).result.rolledBack).toBe(false);
    expect((error as Error).message).toContain(`Put traffic back to ${JSON.stringify(before)}`);
  }, 20_000);
});

const COMMIT = '1234567890abcdef1234567890abcdef12345678';
const OTHER = 'fedcba0987654321fedcba0987654321fedcba09';

/** ARM for an app with these revisions (each with its image and, if stamped, its commit) and this split; PATCHes are recorded and applied. */
function armWith(
  revisions: { name: string; image: string; commit?: string }[],
  traffic: { revisionName: string; weight: number; label?: string }[],
) {
  const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): ArmResponse => ({ status, body, headers });
  const state = { traffic, revisions: [...revisions], patches: [] as unknown[] };
  const view = (revision: { name: string; image: string; commit?: string }) => ({
    name: revision.name,
    properties: {
      active: true,
      provisioningState: 'Provisioned',
      runningState: 'Running',
      healthState: 'Healthy',
      template: {
        containers: [
          {
            name: 'voice-agent',
            image: revision.image,
            ...(revision.commit ? { env: [{ name: 'AZURE_HIPAA_COMMIT', value: revision.commit }] } : {}),
          },
        ],
      },
    },
  });
  const arm = fakeArm(SUBSCRIPTION, {
    send: async (method, path, _apiVersion, body) => {
      const latest = state.revisions.at(-1);
      if (method === 'GET' && path.endsWith('/containerApps/voice-agent'))
        return answer(200, {
          properties: {
            latestRevisionName: latest?.name,
            configuration: {
              activeRevisionsMode: 'Multiple',
              ingress: { fqdn: `voice-agent.${DOMAIN}`, targetPort: 8000, traffic: state.traffic },
            },
            template: view(latest as { name: string; image: string }).properties.template,
          },
        });
      if (method === 'GET' && path.endsWith('/revisions')) return answer(200, { value: state.revisions.map(view) });
      if (method === 'GET' && path.includes('/revisions/'))
        return answer(200, view(state.revisions.find((revision) => revision.name === path.split('/').at(-1)) ?? { name: '', image: '' }));
      if (method === 'PATCH') {
        state.patches.push(body);
        const properties = (
          body as {
            properties: {
              template?: { revisionSuffix?: string; containers: { image: string; env?: { name: string; value: string }[] }[] };
              configuration?: { ingress?: { traffic?: typeof traffic } };
            };
          }
        ).properties;
        const container = properties.template?.containers[0];
        if (properties.template?.revisionSuffix && container)
          state.revisions.push({
            name: `voice-agent--${properties.template.revisionSuffix}`,
            image: container.image,
            ...(container.env?.find((variable) => variable.name === 'AZURE_HIPAA_COMMIT')
              ? { commit: container.env.find((variable) => variable.name === 'AZURE_HIPAA_COMMIT')?.value as string }
              : {}),
          });
        if (properties.configuration?.ingress?.traffic) state.traffic = properties.configuration.ingress.traffic;
        return answer(202, undefined, { location: 'https://management.azure.com/operationResults/1', 'retry-after-ms': '10' });
      }
      if (method === 'GET' && path.startsWith('https://')) return answer(200, {});
      if (method === 'POST') return answer(200, {});
      throw new Error(`unexpected ${method} ${path}`);
    },
  });
  return { arm, state };
}

const deployCommit = (arm: ReturnType<typeof armWith>['arm'], commit: string, suffix = 'c1234567-2-1') =>
  rollout(
    {
      cwd,
      image: 'r.azurecr.io/voice-agent@sha256:rebuilt',
      commit,
      stage: 'all',
      suffix,
      healthTimeoutSeconds: 30,
      probeCount: 1,
      gate: 'none',
      trafficSteps: [100],
      stepWaitSeconds: 0,
      keepRevisions: 2,
      env: {},
      logger: silentLogger,
      pollIntervalMs: 5,
    },
    { arm, http: healthy },
  );

describe('a re-run of the same commit', () => {
  it('finds the app already serving the commit under another digest, and changes nothing', async () => {
    const { arm, state } = armWith(
      [
        { name: 'voice-agent--c0000001-1-1', image: 'r.azurecr.io/voice-agent@sha256:older', commit: OTHER },
        { name: 'voice-agent--c1234567-1-1', image: 'r.azurecr.io/voice-agent@sha256:first-build', commit: COMMIT },
      ],
      [
        { revisionName: 'voice-agent--c1234567-1-1', weight: 100 },
        { revisionName: 'voice-agent--c0000001-1-1', weight: 0, label: 'previous' },
      ],
    );
    const result = await deployCommit(arm, COMMIT);
    expect(result).toMatchObject({ unchanged: true, revision: 'voice-agent--c1234567-1-1' });
    expect(result.timeline.at(-1)?.event).toMatch(/already serves commit 1234567890abcdef/);
    expect(state.patches).toEqual([]);
  });

  it('knows the commit of a revision made before the stamp by the suffix revisionSuffix gave it', async () => {
    const { arm, state } = armWith(
      [{ name: 'voice-agent--c1234567-9z-1', image: 'r.azurecr.io/voice-agent@sha256:first-build' }],
      [{ revisionName: 'voice-agent--c1234567-9z-1', weight: 100 }],
    );
    expect(await deployCommit(arm, COMMIT)).toMatchObject({ unchanged: true });
    expect(state.patches).toEqual([]);
  });

  it('stamps the commit on the new revision and never puts the label previous on a revision of that commit', async () => {
    // A split left by hand: most traffic on a build of the commit being deployed, the rest on the real previous code.
    const { arm, state } = armWith(
      [
        { name: 'voice-agent--c0000001-1-1', image: 'r.azurecr.io/voice-agent@sha256:older', commit: OTHER },
        { name: 'voice-agent--c1234567-1-1', image: 'r.azurecr.io/voice-agent@sha256:first-build', commit: COMMIT },
      ],
      [
        { revisionName: 'voice-agent--c1234567-1-1', weight: 60 },
        { revisionName: 'voice-agent--c0000001-1-1', weight: 40, label: 'previous' },
      ],
    );
    const result = await deployCommit(arm, COMMIT);
    expect(state.revisions.at(-1)).toEqual({
      name: 'voice-agent--c1234567-2-1',
      image: 'r.azurecr.io/voice-agent@sha256:rebuilt',
      commit: COMMIT,
    });
    expect(result.previousRevision).toBe('voice-agent--c0000001-1-1');
    expect(state.traffic).toEqual([
      { revisionName: 'voice-agent--c1234567-2-1', weight: 100 },
      { revisionName: 'voice-agent--c0000001-1-1', weight: 0, label: 'previous' },
    ]);
  });

  it('still deploys another commit over it, the serving revision becoming previous', async () => {
    const { arm, state } = armWith(
      [{ name: 'voice-agent--c1234567-1-1', image: 'r.azurecr.io/voice-agent@sha256:first-build', commit: COMMIT }],
      [{ revisionName: 'voice-agent--c1234567-1-1', weight: 100 }],
    );
    const result = await deployCommit(arm, OTHER, 'cfedcba0-3-1');
    expect(result).toMatchObject({
      unchanged: false,
      revision: 'voice-agent--cfedcba0-3-1',
      previousRevision: 'voice-agent--c1234567-1-1',
    });
    expect(state.revisions.at(-1)?.commit).toBe(OTHER);
  });
});

describe('rollout behind the edge', () => {
  const EDGE = 'seniorly-prod-0123456789abcdef.z01.azurefd.net';

  /** An HTTP client that records every URL and answers the candidate's label address with `label`, anything else 200. */
  function client(label: number) {
    const urls: string[] = [];
    const http: HttpClient = {
      sendRequest: async (request) => {
        urls.push(request.url);
        return { request, status: request.url.includes('---candidate.') ? label : 200, headers: createHttpHeaders() };
      },
    };
    return { http, urls };
  }

  function run(http: HttpClient, edgeHost: string | undefined, healthTimeoutSeconds = 30) {
    const lines: string[] = [];
    const logger = { ...silentLogger, info: (line: string) => void lines.push(line) };
    const { arm } = armWithLock(0);
    const result = rollout(
      {
        cwd,
        image: 'r.azurecr.io/voice-agent@sha256:2',
        stage: 'all',
        suffix: 'c1234567-1-1',
        healthTimeoutSeconds,
        probeCount: 2,
        gate: 'none',
        trafficSteps: [50, 100],
        stepWaitSeconds: 0,
        keepRevisions: 2,
        env: {},
        logger,
        pollIntervalMs: 5,
        ...(edgeHost ? { edgeHost } : {}),
      },
      { arm, http },
    );
    return { result, lines };
  }

  it('from outside the network, proves the candidate from Azure’s view and probes the app through the edge, and says so', async () => {
    const { http, urls } = client(403);
    const { result, lines } = run(http, EDGE);
    expect((await result).revision).toBe('voice-agent--c1234567-1-1');
    expect(lines.some((line) => /^Proof of health: Azure's view\. .*---candidate\..* refuses this runner \(403/.test(line))).toBe(true);
    expect(lines).toContain('Revision voice-agent--c1234567-1-1: Provisioned/Running/Healthy in 2 consecutive reads.');
    // One look at the label address, then the edge: never the environment's own app address.
    expect(urls.filter((url) => url.includes('---candidate.'))).toHaveLength(1);
    expect(urls.filter((url) => url.startsWith(`https://${EDGE}/`)).length).toBeGreaterThan(0);
    expect(urls.filter((url) => url.startsWith(`https://voice-agent.${DOMAIN}`))).toEqual([]);
  });

  it('from inside the network, probes the label address as before, and says so', async () => {
    const { http, urls } = client(200);
    const { result, lines } = run(http, EDGE);
    await result;
    expect(lines.some((line) => /^Proof of health: probes of the candidate's label address /.test(line))).toBe(true);
    expect(urls.filter((url) => url.includes('---candidate.')).length).toBeGreaterThanOrEqual(2);
  });

  it('without an edge, fails as before when the label address refuses', async () => {
    const { http } = client(403);
    const error = await run(http, undefined, 1).result.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutFailedError);
  });
});
