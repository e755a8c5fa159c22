/**
 * The analysis's reads against the sandbox's Azure Monitor: requests and 5xx per revision from the
 * Metrics List API, p95/p99 from the Log Analytics query API, through the same credential and
 * routing as every Azure call. All traffic goes to 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import { azureMonitorReader, type MonitorReader } from '../../src/azure/monitor.js';

let sandbox: Sandbox;
let reader: MonitorReader;
let appId: string;
let environmentId: string;

function store(id: string, type: string, properties: Record<string, unknown>): void {
  sandbox.server.arm.resources.set(id.toLowerCase(), {
    id,
    type,
    name: id.split('/').at(-1) as string,
    resourceGroup: 'monitor-rg',
    apiVersion: '2026-01-01',
    envelope: { location: 'eastus2' },
    properties,
    provisioningState: 'Succeeded',
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0 });
  const env = { ...process.env, ...sandbox.env };
  const group = `/subscriptions/${sandbox.env['AZURE_SUBSCRIPTION_ID']}/resourceGroups/monitor-rg`;
  environmentId = `${group}/providers/Microsoft.App/managedEnvironments/env`;
  appId = `${group}/providers/Microsoft.App/containerApps/web`;
  const workspaceId = `${group}/providers/Microsoft.OperationalInsights/workspaces/logs`;
  await armPort(env, sandbox.env['AZURE_SUBSCRIPTION_ID'] as string).putResourceGroup('monitor-rg', { location: 'eastus2', tags: {} });
  store(workspaceId, 'Microsoft.OperationalInsights/workspaces', {});
  store(environmentId, 'Microsoft.App/managedEnvironments', {});
  store(appId, 'Microsoft.App/containerApps', { environmentId });
  store(`${environmentId}/providers/Microsoft.Insights/diagnosticSettings/hipaa-audit-logs`, 'Microsoft.Insights/diagnosticSettings', {
    workspaceId,
    logs: [{ category: 'ContainerAppHTTPLogs', enabled: true }],
  });
  reader = azureMonitorReader(armPort(env, sandbox.env['AZURE_SUBSCRIPTION_ID'] as string), env, {
    appId,
    app: 'web',
    workspace: { resourceGroup: 'monitor-rg', name: 'logs' },
  });
});
afterAll(async () => sandbox?.stop());

describe('azureMonitorReader', () => {
  it('reads each revision’s requests, 5xx, p95 and p99 over the window, and nothing outside it', async () => {
    const from = Date.now() - 60_000;
    const record = (revision: string, status: number, durationMs: number, at = from + 10) =>
      sandbox.server.requests.record({ at, appId, app: 'web', environmentId, revision, status, durationMs });
    for (let index = 0; index < 100; index++) record('web--new', index % 5 === 0 ? 500 : 200, index + 1);
    for (let index = 0; index < 50; index++) record('web--old', 200, 2);
    record('web--new', 500, 1, from - 10); // before the window
    const counts = await reader.read({ from, to: from + 30_000 }, ['web--new', 'web--old', 'web--none']);
    expect(counts).toEqual([
      { revision: 'web--new', requests: 100, errors: 20, p95Ms: 95, p99Ms: 99 },
      { revision: 'web--old', requests: 50, errors: 0, p95Ms: 2, p99Ms: 2 },
      { revision: 'web--none', requests: 0, errors: 0 },
    ]);
  });

  it('puts no name into a filter or a query that Azure would not make', async () => {
    await expect(reader.read({ from: 0, to: 1 }, ["web--x') or 1 == 1 //"])).rejects.toThrow(/not a revision name Azure makes/);
  });
});
