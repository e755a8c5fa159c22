/**
 * The Container Apps runtime's revision states against a race: a probe round that is still waiting
 * for its replicas' answers when the revision is deactivated must not write health afterwards. The
 * daemon is a stand-in `docker` on PATH (the runtime only runs the command), so the test holds a
 * readiness probe's answer until the deactivation has finished, and the interleaving is exact. A
 * restarted replica is probed on its new host port. Also what its ingress records of each request it
 * routes, which the sandbox's Azure Monitor serves.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcrEndpoint } from '../../sandbox/acr/endpoint.js';
import { ContainerAppsRuntime, type Revision } from '../../sandbox/apps/runtime.js';
import type { ResourcePlane } from '../../sandbox/arm/resource-plane.js';
import type { StoredResource } from '../../sandbox/arm/resources.js';
import type { KeyVaults } from '../../sandbox/keyvault/plane.js';
import type { RequestRecord } from '../../sandbox/monitor/requests.js';

let bin: string;
let server: Server;
let hold = false;
const held: ServerResponse[] = [];
let onHeld: (() => void) | undefined;

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'fake-docker-'));
  // What the runtime asks docker, answered: every container runs, and publishes the test's server.
  await writeFile(
    join(bin, 'docker'),
    [
      '#!/bin/sh',
      'case "$1" in',
      '  run) echo fakecontainer ;;',
      '  port) echo "127.0.0.1:$FAKE_APP_PORT" ;;',
      '  inspect) echo "true 0" ;;',
      'esac',
      'exit 0',
      '',
    ].join('\n'),
  );
  await chmod(join(bin, 'docker'), 0o755);
  server = createServer((request, response) => {
    if (request.url === '/fail') return void response.writeHead(500).end('failed');
    if (request.url === '/slow') return void setTimeout(() => response.end('ok'), 120);
    if (!hold) return void response.end('ok');
    held.push(response);
    onHeld?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const response of held) response.end('ok');
  await new Promise((resolve) => server.close(resolve));
  await rm(bin, { recursive: true, force: true });
});

const until = async (condition: () => boolean, what: string) => {
  for (let waited = 0; !condition(); waited++) {
    if (waited > 400) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/**
 * A runtime on the stand-in docker (`dockerEnv`) with one app in multiple mode and no traffic (its revision may be
 * deactivated), whose revision then runs a real image probed at /health: the placeholder is only stood in for.
 */
async function probedRevision(name: string, dockerEnv: Record<string, string>) {
  const plane = { resources: new Map() } as unknown as ResourcePlane;
  const runtime = new ContainerAppsRuntime(plane, { refreshTokenFor: () => 'token' } as unknown as AcrEndpoint, {} as KeyVaults, {
    timeScale: 0.001,
    docker: { env: dockerEnv },
  });
  const id = `/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/${name}`;
  const app: StoredResource = {
    id,
    type: 'Microsoft.App/containerApps',
    name,
    resourceGroup: 'rg',
    apiVersion: '2025-07-01',
    envelope: {},
    properties: {
      configuration: { activeRevisionsMode: 'Multiple', ingress: { targetPort: 8000, traffic: [] } },
      template: { revisionSuffix: 'v1', containers: [{ name: 'app', image: 'mcr.microsoft.com/k8se/quickstart:latest' }] },
    },
    provisioningState: 'Succeeded',
  };
  expect(await runtime.provision(app)).toBeUndefined();
  const revision = runtime.revisionsOf(id)[0] as Revision;
  revision.template = {
    containers: [
      {
        name: 'app',
        image: 'fakeacr.azurecr.io/app:1',
        probes: ['Startup', 'Readiness'].map((type) => ({ type, httpGet: { path: '/health', port: 8000 }, periodSeconds: 1 })),
      },
    ],
  };
  return { runtime, app, revision };
}

describe('the Container Apps runtime', () => {
  it('reports a revision deactivated during a probe round Stopped, never Running/Healthy with no replicas', async () => {
    const port = (server.address() as AddressInfo).port;
    const { runtime, app, revision } = await probedRevision('app', {
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      FAKE_APP_PORT: String(port),
    });
    runtime.revisionsRequest('POST', app, revision.name, 'restart');
    await until(() => revision.healthState === 'Healthy' && revision.replicas.length === 1, 'the revision to be healthy');

    // A probe round starts and waits for its answer; the revision is deactivated meanwhile.
    hold = true;
    await new Promise<void>((resolve) => (onHeld = resolve));
    runtime.revisionsRequest('POST', app, revision.name, 'deactivate');
    await until(() => revision.replicas.length === 0, 'the deactivation to remove the replicas');
    hold = false;
    for (const response of held.splice(0)) response.end('ok');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const view = runtime.revisionsRequest('GET', app, revision.name, undefined).body as { properties: Record<string, unknown> };
    expect(view.properties).toMatchObject({ active: false, replicas: 0, runningState: 'Stopped', healthState: 'None' });
  });

  it('probes a restarted replica on its new host port, not the old one another container may hold by then', async () => {
    // docker gives a restarted container a new ephemeral host port. The stand-in does too, and from the restart on
    // the old port answers 200 as another daemon's container would (test files run side by side, each with a daemon).
    const state = await mkdtemp(join(tmpdir(), 'fake-docker-state-'));
    const restartingBin = await mkdtemp(join(tmpdir(), 'fake-docker-'));
    const listen = async (handler: (path: string) => number) => {
      const listening = createServer((request, response) => void response.writeHead(handler(request.url ?? '')).end());
      await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
      return listening;
    };
    const restarted = () => existsSync(join(state, 'restarted'));
    // The replica's own answers: it has no /health.
    const before = await listen((path) => (restarted() ? 200 : path === '/health' ? 404 : 200));
    const after = await listen((path) => (path === '/health' ? 404 : 200));
    const portOf = (listening: Server) => String((listening.address() as AddressInfo).port);
    await writeFile(join(state, 'port'), portOf(before));
    await writeFile(
      join(restartingBin, 'docker'),
      [
        '#!/bin/sh',
        'case "$1" in',
        '  run) echo fakecontainer ;;',
        `  port) echo "127.0.0.1:$(cat '${state}/port')" ;;`,
        '  inspect) echo "true 0" ;;',
        `  restart) touch '${state}/restarted'; echo ${portOf(after)} > '${state}/port' ;;`,
        'esac',
        'exit 0',
        '',
      ].join('\n'),
    );
    await chmod(join(restartingBin, 'docker'), 0o755);
    try {
      const { runtime, app, revision } = await probedRevision('nohealth', { PATH: `${restartingBin}:${process.env['PATH'] ?? ''}` });
      runtime.revisionsRequest('POST', app, revision.name, 'restart');
      await until(() => revision.provisioningState === 'Provisioning', 'the revision to start again');
      await until(() => revision.provisioningState === 'Failed' || revision.healthState === 'Healthy', 'the revision to fail or pass');
      expect(revision).toMatchObject({ provisioningState: 'Failed', healthState: 'Unhealthy' });
      expect(revision.provisioningError).toMatch(/startup probe .* failed/);
      expect(restarted()).toBe(true);
      await runtime.stop();
    } finally {
      for (const listening of [before, after]) await new Promise((resolve) => listening.close(resolve));
      await rm(state, { recursive: true, force: true });
      await rm(restartingBin, { recursive: true, force: true });
    }
  });

  it('records every request its ingress routes to a revision: revision, status and duration, for Azure Monitor', async () => {
    const environmentId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/env';
    const id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/web';
    const app: StoredResource = {
      id,
      type: 'Microsoft.App/containerApps',
      name: 'web',
      resourceGroup: 'rg',
      apiVersion: '2025-07-01',
      envelope: {},
      properties: {
        environmentId,
        configuration: { activeRevisionsMode: 'Single', ingress: { targetPort: 8000 } },
        template: { revisionSuffix: 'v1', containers: [{ name: 'web', image: 'mcr.microsoft.com/k8se/quickstart:latest' }] },
      },
      provisioningState: 'Succeeded',
    };
    const environment = { id: environmentId, type: 'Microsoft.App/managedEnvironments', properties: {} };
    const plane = {
      resources: new Map<string, unknown>([
        [id.toLowerCase(), app],
        [environmentId.toLowerCase(), environment],
      ]),
      view: () => ({ properties: { defaultDomain: 'env.eastus2.azurecontainerapps.io' } }),
    } as unknown as ResourcePlane;
    const runtime = new ContainerAppsRuntime(plane, { refreshTokenFor: () => 'token' } as unknown as AcrEndpoint, {} as KeyVaults, {
      timeScale: 0.001,
      docker: { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, FAKE_APP_PORT: String((server.address() as AddressInfo).port) } },
    });
    const records: RequestRecord[] = [];
    runtime.onRequest = (record) => void records.push(record);
    expect(await runtime.provision(app)).toBeUndefined();
    const revision = runtime.revisionsOf(id)[0] as Revision;
    revision.template = { containers: [{ name: 'web', image: 'fakeacr.azurecr.io/web:1' }] };
    runtime.revisionsRequest('POST', app, revision.name, 'restart');
    await until(() => revision.healthState === 'Healthy' && revision.replicas[0]?.ready === true, 'the revision to be healthy');

    const host = 'web.env.eastus2.azurecontainerapps.io';
    const statuses = [];
    for (const path of ['/', '/fail', '/slow']) statuses.push((await runtime.serve(host, 'GET', path, {}, Buffer.alloc(0))).status);
    expect(statuses).toEqual([200, 500, 200]);
    expect(records.map(({ revision: name, status, appId, environmentId: from }) => ({ name, status, appId, from }))).toEqual(
      [200, 500, 200].map((status) => ({ name: 'web--v1', status, appId: id, from: environmentId })),
    );
    expect(records[2]?.durationMs).toBeGreaterThanOrEqual(100);
    await runtime.stop();
  });
});
