/**
 * The sandbox's Front Door edge and an environment closed to the internet: the app's own address
 * refuses a caller outside the network when the environment's publicNetworkAccess is Disabled, the
 * edge's host name forwards to the app through Private Link once the connection is approved (503
 * before), with the headers Front Door adds. Revisions run on a stand-in `docker` on PATH that
 * publishes this test's HTTP server; all traffic stays on 127.0.0.1.
 */
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import { azureHttpClient } from '../../src/azure/credential.js';
import type { ArmPort } from '../../src/azure/arm-port.js';
import type { Revision } from '../../sandbox/apps/runtime.js';
import type { StoredResource } from '../../sandbox/arm/resources.js';

let bin: string;
let app: Server;
let sandbox: Sandbox;
let arm: ArmPort;
let group: string;
const seen: Record<string, string | string[] | undefined>[] = [];

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'fake-docker-'));
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
  app = createServer((request, response) => {
    seen.push(request.headers);
    response.end('ok');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001, appTimeScale: 0.01 });
  sandbox.useDocker({ PATH: `${bin}:${process.env['PATH'] ?? ''}`, FAKE_APP_PORT: String((app.address() as AddressInfo).port) });
  arm = armPort(sandbox.env, sandbox.env['AZURE_SUBSCRIPTION_ID'] as string);
  group = `/subscriptions/${arm.subscriptionId}/resourceGroups/edge-rg`;
  await arm.send('PUT', group, '2024-03-01', { location: 'eastus2' });
});
afterAll(async () => {
  await sandbox?.stop();
  await new Promise((resolve) => app?.close(resolve));
  await rm(bin, { recursive: true, force: true });
});

async function put(path: string, apiVersion: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await arm.send('PUT', `${group}/providers/${path}`, apiVersion, body);
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  const id = (response.body as { id: string }).id;
  for (let i = 0; i < 500; i++) {
    const { body: current } = await arm.send('GET', id, apiVersion);
    const state = (current as { properties?: { provisioningState?: string } }).properties?.provisioningState;
    if (state === 'Succeeded' || state === 'Failed') return current as Record<string, unknown>;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${path} did not finish provisioning`);
}

const get = (serve: 'apps' | 'edge', host: string) =>
  sandbox.server[serve].serve(host, 'GET', '/health', { 'user-agent': 'edge-test' }, Buffer.alloc(0));

describe('an app behind the edge', () => {
  let appHost: string;
  let edgeHost: string;
  let environmentId: string;

  beforeAll(async () => {
    const environment = await put('Microsoft.App/managedEnvironments/env', '2026-01-01', {
      location: 'eastus2',
      properties: { workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }], publicNetworkAccess: 'Disabled' },
    });
    environmentId = environment['id'] as string;
    const created = await put('Microsoft.App/containerApps/voice', '2026-01-01', {
      location: 'eastus2',
      properties: {
        environmentId,
        configuration: {
          activeRevisionsMode: 'Multiple',
          ingress: { external: true, targetPort: 80, traffic: [{ latestRevision: true, weight: 100 }] },
        },
        template: { containers: [{ name: 'voice', image: 'mcr.microsoft.com/k8se/quickstart:latest' }] },
      },
    });
    appHost = (created['properties'] as { configuration: { ingress: { fqdn: string } } }).configuration.ingress.fqdn;
    // The revision runs a real image from here on (the placeholder is only stood in for), answered by this test's server.
    const stored = sandbox.server.arm.resources.get(String(created['id']).toLowerCase()) as StoredResource;
    const revision = sandbox.server.apps.revisionsOf(stored.id)[0] as Revision;
    revision.template = {
      containers: [
        {
          name: 'voice',
          image: 'fakeacr.azurecr.io/voice:1',
          probes: ['Startup', 'Readiness'].map((type) => ({ type, httpGet: { path: '/health', port: 80 }, periodSeconds: 1 })),
        },
      ],
    };
    sandbox.server.apps.revisionsRequest('POST', stored, revision.name, 'restart');
    for (let i = 0; i < 500 && !(revision.healthState === 'Healthy' && revision.replicas.length > 0); i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const cdn = 'Microsoft.Cdn/profiles/edge';
    await put(cdn, '2025-06-01', { location: 'global', sku: { name: 'Premium_AzureFrontDoor' }, properties: {} });
    const endpoint = await put(`${cdn}/afdEndpoints/voice`, '2025-06-01', { location: 'global', properties: { enabledState: 'Enabled' } });
    edgeHost = (endpoint['properties'] as { hostName: string }).hostName;
    const originGroup = await put(`${cdn}/originGroups/voice`, '2025-06-01', { properties: {} });
    await put(`${cdn}/originGroups/voice/origins/voice`, '2025-06-01', {
      properties: {
        hostName: appHost,
        originHostHeader: appHost,
        sharedPrivateLinkResource: {
          privateLink: { id: environmentId },
          groupId: 'managedEnvironments',
          privateLinkLocation: 'eastus2',
          requestMessage: 'Azure Front Door edge to env',
        },
      },
    });
    await put(`${cdn}/afdEndpoints/voice/routes/voice`, '2025-06-01', {
      properties: {
        originGroup: { id: originGroup['id'] },
        supportedProtocols: ['Http', 'Https'],
        httpsRedirect: 'Enabled',
        forwardingProtocol: 'HttpsOnly',
        linkToDefaultDomain: 'Enabled',
        patternsToMatch: ['/*'],
      },
    });
  });

  it('refuses a caller outside the network at the app’s own address, and serves one inside it', async () => {
    sandbox.server.apps.callerInNetwork = false;
    try {
      expect((await get('apps', appHost)).status).toBe(403);
    } finally {
      sandbox.server.apps.callerInNetwork = true;
    }
    let inside = await get('apps', appHost);
    for (let i = 0; i < 300 && inside.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      inside = await get('apps', appHost);
    }
    expect(inside.status).toBe(200);
  });

  it('answers 503 at the edge until the environment’s owner approves Front Door’s connection, then forwards with Front Door’s headers', async () => {
    sandbox.server.apps.callerInNetwork = false;
    try {
      expect((await get('edge', edgeHost)).status).toBe(503);
      const { body } = await arm.send('GET', `${environmentId}/privateEndpointConnections`, '2026-01-01');
      const connection = (body as { value: { id: string }[] }).value[0] as { id: string };
      await arm.send('PUT', connection.id, '2026-01-01', {
        properties: { privateLinkServiceConnectionState: { status: 'Approved', description: 'Azure Front Door edge to env' } },
      });
      let answer = await get('edge', edgeHost);
      for (let i = 0; i < 300 && answer.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        answer = await get('edge', edgeHost);
      }
      expect(answer.status).toBe(200);
      expect(seen.at(-1)).toMatchObject({ 'x-forwarded-host': edgeHost, 'x-forwarded-proto': 'https', 'user-agent': 'edge-test' });
      expect(seen.at(-1)?.['x-azure-fdid']).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      sandbox.server.apps.callerInNetwork = true;
    }
  });

  // What the rollout's step probes and a user's smoke test send: an HTTPS GET of the edge's host name, routed to the sandbox.
  it('answers the edge’s host name through the sandbox’s HTTPS client, as DNS would for a real endpoint', async () => {
    const response = await azureHttpClient({ ...process.env, ...sandbox.env }).sendRequest(
      createPipelineRequest({ url: `https://${edgeHost}/health`, method: 'GET', timeout: 5000 }),
    );
    expect(response.status).toBe(200);
    expect(response.bodyAsText).toBe('ok');
  });

  it('knows no other host', async () => {
    expect((await get('edge', 'other-0000000000000000.z01.azurefd.net')).status).toBe(404);
  });
});
