/**
 * Front Door's Private Link into a Container Apps environment, in the sandbox, against Microsoft's
 * REST examples vendored under reference/rest-api-specs (Microsoft.App 2026-01-01:
 * ManagedEnvironmentPrivateEndpointConnections_List and _CreateOrUpdate): an origin with a shared
 * private link makes a pending connection on the environment, a PUT approves it as Azure does, and
 * a PUT never makes a connection of its own. All traffic goes to 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import type { ArmPort } from '../../src/azure/arm-port.js';

const SPECS = resolve(import.meta.dirname, '../../reference/rest-api-specs/specification');
const APP = join(SPECS, 'app/resource-manager/Microsoft.App/ContainerApps/stable/2026-01-01/examples');

type Json = Record<string, unknown>;
const example = (file: string) =>
  JSON.parse(readFileSync(join(APP, file), 'utf8')) as { parameters: Json; responses: Record<string, Json> };

/** Every property of `expected` is in `actual` with the same JSON type, recursively (arrays by their first item). */
function sameShape(actual: unknown, expected: unknown, path = '$'): string[] {
  const kind = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
  if (kind(actual) !== kind(expected)) return [`${path}: ${kind(actual)} where the example has ${kind(expected)}`];
  if (Array.isArray(expected))
    return expected.length > 0 && Array.isArray(actual) && actual.length > 0 ? sameShape(actual[0], expected[0], `${path}[0]`) : [];
  if (kind(expected) !== 'object') return [];
  return Object.entries(expected as Json).flatMap(([key, value]) =>
    key in (actual as Json) ? sameShape((actual as Json)[key], value, `${path}.${key}`) : [`${path}.${key}: missing`],
  );
}

let sandbox: Sandbox;
let arm: ArmPort;
let group: string;
let environment: string;

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  arm = armPort(sandbox.env, sandbox.env['AZURE_SUBSCRIPTION_ID'] as string);
  group = `/subscriptions/${arm.subscriptionId}/resourceGroups/edge-rg`;
  await arm.send('PUT', group, '2024-03-01', { location: 'eastus2' });
  environment = `${group}/providers/Microsoft.App/managedEnvironments/env`;
  await settled(
    await arm.send('PUT', environment, '2026-01-01', {
      location: 'eastus2',
      properties: { workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }], publicNetworkAccess: 'Disabled' },
    }),
  );
  const profile = `${group}/providers/Microsoft.Cdn/profiles/edge`;
  await settled(
    await arm.send('PUT', profile, '2025-06-01', { location: 'global', sku: { name: 'Premium_AzureFrontDoor' }, properties: {} }),
  );
  await settled(await arm.send('PUT', `${profile}/originGroups/app`, '2025-06-01', { properties: {} }));
  await settled(
    await arm.send('PUT', `${profile}/originGroups/app/origins/app`, '2025-06-01', {
      properties: {
        hostName: 'app.example.eastus2.azurecontainerapps.io',
        sharedPrivateLinkResource: {
          privateLink: { id: environment },
          groupId: 'managedEnvironments',
          privateLinkLocation: 'eastus2',
          requestMessage: 'Azure Front Door edge to env',
        },
      },
    }),
  );
});
afterAll(async () => sandbox?.stop());

/** Waits until the resource a PUT answered for is no longer provisioning. */
async function settled(response: { status: number; body: unknown }): Promise<void> {
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  const id = (response.body as { id: string }).id;
  for (let i = 0; i < 200; i++) {
    const { body } = await arm.send('GET', id, id.includes('Microsoft.Cdn') ? '2025-06-01' : '2026-01-01');
    const state = (body as { properties?: { provisioningState?: string } }).properties?.provisioningState;
    if (state !== 'Creating' && state !== 'Updating') return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
}

describe('Front Door’s private endpoint connection on the environment (2026-01-01 examples)', () => {
  it('List: the origin’s request arrives as one pending connection, shaped as the example', async () => {
    const list = await arm.send('GET', `${environment}/privateEndpointConnections`, '2026-01-01');
    const listExample = example('ManagedEnvironmentPrivateEndpointConnections_List.json');
    expect(Object.keys(listExample.responses)).toContain(String(list.status));
    expect(sameShape(list.body, listExample.responses['200']?.['body'])).toEqual([]);
    const value = (list.body as { value: Json[] }).value;
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({
      type: 'Microsoft.App/managedEnvironments/privateEndpointConnections',
      properties: {
        groupIds: ['managedEnvironments'],
        privateLinkServiceConnectionState: { status: 'Pending', description: 'Azure Front Door edge to env' },
        // The example's pending connection is Waiting.
        provisioningState: 'Waiting',
      },
    });
  });

  it('CreateOrUpdate: the example’s envelope approves it; Updating, then Approved and Succeeded', async () => {
    const list = await arm.send('GET', `${environment}/privateEndpointConnections`, '2026-01-01');
    const connection = (list.body as { value: { id: string }[] }).value[0] as { id: string };
    const putExample = example('ManagedEnvironmentPrivateEndpointConnections_CreateOrUpdate.json');
    const put = await arm.send('PUT', connection.id, '2026-01-01', putExample.parameters['privateEndpointConnectionEnvelope']);
    expect(Object.keys(putExample.responses)).toContain(String(put.status));
    expect(sameShape(put.body, putExample.responses[String(put.status)]?.['body'])).toEqual([]);
    await settled(put);
    const after = await arm.send('GET', connection.id, '2026-01-01');
    expect(after.body).toMatchObject({
      properties: {
        groupIds: ['managedEnvironments'],
        privateEndpoint: { id: expect.stringMatching(/\/providers\/Microsoft\.Network\/privateEndpoints\//) as unknown },
        privateLinkServiceConnectionState: { status: 'Approved' },
        provisioningState: 'Succeeded',
      },
    });
  });

  it('a PUT of a connection nobody asked for is 404: connections come from the endpoint’s side', async () => {
    const made = await arm.send('PUT', `${environment}/privateEndpointConnections/made-up`, '2026-01-01', {
      properties: { privateLinkServiceConnectionState: { status: 'Approved' } },
    });
    expect(made.status).toBe(404);
  });

  it('a second deployment of the origin asks for no second connection', async () => {
    await settled(
      await arm.send('PUT', `${group}/providers/Microsoft.Cdn/profiles/edge/originGroups/app/origins/app`, '2025-06-01', {
        properties: {
          hostName: 'app.example.eastus2.azurecontainerapps.io',
          sharedPrivateLinkResource: {
            privateLink: { id: environment },
            groupId: 'managedEnvironments',
            privateLinkLocation: 'eastus2',
            requestMessage: 'Azure Front Door edge to env',
          },
        },
      }),
    );
    const list = await arm.send('GET', `${environment}/privateEndpointConnections`, '2026-01-01');
    expect((list.body as { value: unknown[] }).value).toHaveLength(1);
  });
});
