/**
 * Azure Monitor in the sandbox against Microsoft's REST examples vendored under
 * reference/rest-api-specs: Metrics List (2023-10-01, `GetMetric.json`) and the Log Analytics
 * query API (v1, `oms-post-example.json`). Each answer has the example's property names with the
 * same JSON types, recursively; then the rules: what the ingress recorded is what is counted, per
 * revision and status category, percentiles per revision, nothing before its ingestion delay has
 * passed, and Azure's errors. All traffic goes to 127.0.0.1; the Azure host names are used only for
 * SNI and `Host`.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import type { StoredResource } from '../../sandbox/arm/resources.js';
import type { RequestRecord } from '../../sandbox/monitor/requests.js';
import { azureCredential } from '../../src/azure/credential.js';
import { sandboxHttpClient } from '../../src/azure/sandbox-client.js';

const SPECS = resolve(import.meta.dirname, '../../reference/rest-api-specs/specification');
const METRICS_EXAMPLE = join(SPECS, 'monitor/resource-manager/Microsoft.Insights/stable/2023-10-01/examples/GetMetric.json');
const QUERY_EXAMPLE = join(SPECS, 'operationalinsights/data-plane/Microsoft.OperationalInsights/stable/v1/examples/oms-post-example.json');

type Json = Record<string, unknown>;
const example = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { parameters: Json; responses: Record<string, { body: Json }> };

/** Every property of `expected` is in `actual` with the same JSON type, recursively (arrays by their first item, which both must have). */
function sameShape(actual: unknown, expected: unknown, path = '$'): string[] {
  const kind = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
  if (kind(actual) !== kind(expected)) return [`${path}: ${kind(actual)} where the example has ${kind(expected)}`];
  if (Array.isArray(expected)) {
    if (expected.length === 0) return [];
    if (!Array.isArray(actual) || actual.length === 0) return [`${path}: empty where the example has items`];
    return sameShape(actual[0], expected[0], `${path}[0]`);
  }
  if (kind(expected) !== 'object') return [];
  return Object.entries(expected as Json).flatMap(([key, value]) =>
    key in (actual as Json) ? sameShape((actual as Json)[key], value, `${path}.${key}`) : [`${path}.${key}: missing`],
  );
}

/** The first item of a JSON array, which must be there. */
function first(items: unknown): Json {
  if (!Array.isArray(items) || items.length === 0) throw new Error(`expected a non-empty array, got ${JSON.stringify(items)}`);
  return items[0] as Json;
}

let sandbox: Sandbox;
let http: HttpClient;
let subscription: string;
let appId: string;
let environmentId: string;
let workspaceId: string;
let customerId: string;
const tokens = new Map<string, string>();

async function token(audience: string): Promise<string> {
  let value = tokens.get(audience);
  if (!value) tokens.set(audience, (value = (await azureCredential(sandbox.env).getToken(`${audience}/.default`))?.token ?? ''));
  return value;
}

async function send(method: 'GET' | 'POST', url: string, audience: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await http.sendRequest(
    createPipelineRequest({
      url,
      method,
      headers: createHttpHeaders({ authorization: `Bearer ${await token(audience)}`, 'content-type': 'application/json' }),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
  return { status: response.status, body: JSON.parse(response.bodyAsText ?? '{}') as Json };
}

/** A resource as the provider left it, stored behind ARM's back: these tests are about Monitor, not about creating apps. */
function store(id: string, type: string, properties: Json): void {
  const name = id.split('/').at(-1) as string;
  sandbox.server.arm.resources.set(id.toLowerCase(), {
    id,
    type,
    name,
    resourceGroup: 'monitor-rg',
    apiVersion: '2026-01-01',
    envelope: { location: 'eastus2' },
    properties,
    provisioningState: 'Succeeded',
  });
}

function metricsUrl(resource: string, query: Record<string, string>): string {
  return `https://management.azure.com${resource}/providers/Microsoft.Insights/metrics?${new URLSearchParams(query).toString()}`;
}

function requests(revision: string, statuses: number[], at: number, durationMs = 10): RequestRecord[] {
  return statuses.map((status, index) => ({
    at: at + index,
    appId,
    app: 'web',
    environmentId,
    revision,
    status,
    durationMs: durationMs + index,
  }));
}

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0 });
  http = sandboxHttpClient(JSON.parse(sandbox.env['AZURE_HIPAA_SANDBOX'] as string) as { port: number; caCert: string });
  subscription = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
  const group = `/subscriptions/${subscription}/resourceGroups/monitor-rg`;
  environmentId = `${group}/providers/Microsoft.App/managedEnvironments/env`;
  appId = `${group}/providers/Microsoft.App/containerApps/web`;
  workspaceId = `${group}/providers/Microsoft.OperationalInsights/workspaces/logs`;
  store(workspaceId, 'Microsoft.OperationalInsights/workspaces', {});
  store(environmentId, 'Microsoft.App/managedEnvironments', {});
  store(appId, 'Microsoft.App/containerApps', { environmentId });
  store(`${environmentId}/providers/Microsoft.Insights/diagnosticSettings/hipaa-audit-logs`, 'Microsoft.Insights/diagnosticSettings', {
    workspaceId,
    logs: [{ categoryGroup: 'allLogs', enabled: true }],
  });
  customerId = String(
    (sandbox.server.arm.view(sandbox.server.arm.resources.get(workspaceId.toLowerCase()) as StoredResource)['properties'] as Json)[
      'customerId'
    ],
  );
});
afterAll(async () => sandbox?.stop());
beforeEach(() => {
  sandbox.server.requests.ingestionDelayMs = 0;
});

describe('Metrics List (2023-10-01 example GetMetric.json)', () => {
  it('answers the example’s request shape with the example’s response shape, for Requests split by revision and status category', async () => {
    const spec = example(METRICS_EXAMPLE);
    const now = Date.now();
    for (const record of requests('web--a', [200, 200, 500], now - 60_000)) sandbox.server.requests.record(record);
    // Substituted: the resource is this sandbox's Container App, and the metric, namespace, filter and aggregation
    // are Container Apps' `Requests` (the example's BlobCount of a storage account is not a metric the sandbox has).
    const parameters = spec.parameters;
    const response = await send(
      'GET',
      metricsUrl(appId, {
        timespan: `${new Date(now - 3_600_000).toISOString()}/${new Date(now + 1000).toISOString()}`,
        interval: String(parameters['interval']),
        metricnames: 'Requests',
        metricnamespace: 'Microsoft.App/containerApps',
        aggregation: 'total',
        $filter: "revisionName eq 'web--a' and statusCodeCategory eq '*'",
        'api-version': String(parameters['api-version']),
      }),
      'https://management.azure.com',
    );
    expect(response.status).toBe(200);
    const expected = structuredClone((spec.responses['200'] as { body: Json }).body);
    // The example's points carry average/minimum/maximum; Requests is asked for its total, so the point must carry that.
    const series = first(first(expected['value'])['timeseries']);
    series['data'] = [{ timeStamp: '', total: 0 }];
    expect(sameShape(response.body, expected)).toEqual([]);
  });

  it('counts what the ingress recorded per revision and status category, over the window asked', async () => {
    const start = Date.now() - 10 * 60_000;
    for (const record of [
      ...requests('web--base', [200, 200, 200, 200, 503], start),
      ...requests('web--cand', [200, 500, 500], start),
      // Outside the window asked: not counted.
      ...requests('web--cand', [500, 500], start - 120_000),
    ])
      sandbox.server.requests.record(record);
    const response = await send(
      'GET',
      metricsUrl(appId, {
        timespan: `${new Date(start).toISOString()}/${new Date(start + 60_000).toISOString()}`,
        interval: 'FULL',
        metricnames: 'Requests',
        aggregation: 'Total',
        $filter: "(revisionName eq 'web--base' or revisionName eq 'web--cand') and statusCodeCategory eq '*'",
        'api-version': '2023-10-01',
      }),
      'https://management.azure.com',
    );
    expect(response.status).toBe(200);
    expect(response.body['interval']).toBe('PT1M');
    const counts = (first(response.body['value'])['timeseries'] as { metadatavalues: { value: string }[]; data: { total?: number }[] }[])
      .map((series) => [series.metadatavalues.map((item) => item.value).join(' '), series.data[0]?.total])
      .sort();
    expect(counts).toEqual([
      ['web--base 2xx', 4],
      ['web--base 5xx', 1],
      ['web--cand 2xx', 1],
      ['web--cand 5xx', 2],
    ]);
  });

  it('shows a request only once the ingestion delay has passed', async () => {
    sandbox.server.requests.ingestionDelayMs = 400;
    const at = Date.now();
    for (const record of requests('web--late', [200, 200], at)) sandbox.server.requests.record(record);
    const ask = () =>
      send(
        'GET',
        metricsUrl(appId, {
          timespan: `${new Date(at - 1000).toISOString()}/${new Date(at + 60_000).toISOString()}`,
          interval: 'FULL',
          metricnames: 'Requests',
          aggregation: 'Total',
          $filter: "revisionName eq 'web--late'",
          'api-version': '2023-10-01',
        }),
        'https://management.azure.com',
      );
    const early = await ask();
    expect(first(early.body['value'])['timeseries']).toEqual([]);
    await new Promise((wake) => setTimeout(wake, 450));
    const late = await ask();
    const series = first(late.body['value'])['timeseries'] as { data: { total?: number }[] }[];
    expect(series.map((item) => item.data[0]?.total)).toEqual([2]);
  });

  it('refuses an unknown metric, an unknown dimension and a missing api-version as Azure Monitor does', async () => {
    const base = { timespan: 'PT1H', metricnames: 'Requests', 'api-version': '2023-10-01' };
    const unknownMetric = await send('GET', metricsUrl(appId, { ...base, metricnames: 'CpuPercent' }), 'https://management.azure.com');
    expect(unknownMetric).toMatchObject({
      status: 400,
      body: { code: 'BadRequest', message: expect.stringMatching(/Valid metrics: Requests/) },
    });
    const unknownDimension = await send('GET', metricsUrl(appId, { ...base, $filter: "podName eq '*'" }), 'https://management.azure.com');
    expect(unknownDimension).toMatchObject({ status: 400, body: { code: 'BadRequest' } });
    const { 'api-version': _version, ...withoutVersion } = base;
    const missing = await send('GET', metricsUrl(appId, withoutVersion), 'https://management.azure.com');
    expect(missing.status).toBe(400);
  });
});

describe('Log Analytics query API (v1 example oms-post-example.json)', () => {
  const url = () => `https://api.loganalytics.io/v1/workspaces/${customerId}/query`;

  it('answers the example’s request shape with the example’s response shape, from ContainerAppHTTPLogs', async () => {
    const spec = example(QUERY_EXAMPLE);
    for (const record of requests('web--a', [200, 404], Date.now() - 1000)) sandbox.server.requests.record(record);
    const body = spec.parameters['body'] as { query: string; timespan: string };
    // Substituted: the workspace is this sandbox's, and the query reads the one table it fills (the example reads Usage).
    const response = await send('POST', url(), 'https://api.loganalytics.io', {
      query: `ContainerAppHTTPLogs | take 10`,
      timespan: body.timespan,
    });
    expect(response.status).toBe(200);
    expect(sameShape(response.body, (spec.responses['200'] as { body: Json }).body)).toEqual([]);
    const table = first(response.body['tables']) as { columns: { name: string }[] };
    expect(table.columns.map((column) => column.name)).toEqual(
      expect.arrayContaining(['TimeGenerated', 'ContainerAppName', 'RevisionName', 'StatusCode', 'RequestDuration']),
    );
  });

  it('summarizes requests, 5xx and p95/p99 per revision over the timespan', async () => {
    const start = Date.now() - 5 * 60_000;
    const durations = Array.from({ length: 100 }, (_, index) => index + 1);
    for (const [index, duration] of durations.entries())
      sandbox.server.requests.record({
        at: start + index,
        appId,
        app: 'web',
        environmentId,
        revision: 'web--p',
        status: index < 3 ? 500 : 200,
        durationMs: duration,
      });
    const response = await send('POST', url(), 'https://api.loganalytics.io', {
      query: [
        'ContainerAppHTTPLogs',
        "| where ContainerAppName == 'web' and RevisionName in ('web--p')",
        '| summarize Requests = count(), Errors = countif(StatusCode >= 500), P95 = percentile(RequestDuration, 95), P99 = percentile(RequestDuration, 99) by RevisionName',
      ].join('\n'),
      timespan: `${new Date(start).toISOString()}/${new Date(start + 60_000).toISOString()}`,
    });
    expect(response.status).toBe(200);
    const table = first(response.body['tables']) as { columns: { name: string; type: string }[]; rows: unknown[][] };
    expect(table.columns).toEqual([
      { name: 'RevisionName', type: 'string' },
      { name: 'Requests', type: 'long' },
      { name: 'Errors', type: 'long' },
      { name: 'P95', type: 'real' },
      { name: 'P99', type: 'real' },
    ]);
    expect(table.rows).toEqual([['web--p', 100, 3, 95, 99]]);
  });

  it('holds only what environments send it through a diagnostic setting, once ingested', async () => {
    const otherEnvironment = environmentId.replace(/env$/, 'quiet-env');
    store(otherEnvironment, 'Microsoft.App/managedEnvironments', {});
    sandbox.server.requests.record({
      at: Date.now(),
      appId,
      app: 'web',
      environmentId: otherEnvironment,
      revision: 'web--quiet',
      status: 200,
      durationMs: 1,
    });
    sandbox.server.requests.ingestionDelayMs = 60_000;
    sandbox.server.requests.record({
      at: Date.now(),
      appId,
      app: 'web',
      environmentId,
      revision: 'web--fresh',
      status: 200,
      durationMs: 1,
    });
    const response = await send('POST', url(), 'https://api.loganalytics.io', {
      query: "ContainerAppHTTPLogs | where RevisionName in ('web--quiet', 'web--fresh') | summarize Requests = count()",
      timespan: 'PT1H',
    });
    expect(first(response.body['tables'])['rows']).toEqual([[0]]);
  });

  it('refuses another table, a token for another audience and an unknown workspace with Log Analytics’ errors', async () => {
    const other = await send('POST', url(), 'https://api.loganalytics.io', { query: 'Usage | take 10', timespan: 'PT12H' });
    expect(other).toMatchObject({ status: 400, body: { error: { code: 'BadArgumentError', innererror: { code: 'SemanticError' } } } });
    const wrongAudience = await send('POST', url(), 'https://management.azure.com', { query: 'ContainerAppHTTPLogs | take 1' });
    expect(wrongAudience).toMatchObject({ status: 403, body: { error: { code: 'InvalidTokenError' } } });
    const unknown = await send('POST', url().replace(customerId, '00000000-0000-0000-0000-000000000000'), 'https://api.loganalytics.io', {
      query: 'ContainerAppHTTPLogs | take 1',
    });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'WorkspaceNotFoundError' } } });
  });
});
