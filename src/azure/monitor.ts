/**
 * Azure Monitor's reads for the canary analysis: requests and 5xx per revision from the platform
 * metric `Requests` of a Container App (Metrics List, through Resource Manager with its token), and
 * p95/p99 per revision from the environment's HTTP logs (`ContainerAppHTTPLogs`) with the Log
 * Analytics query API (`api.loganalytics.io`, a token for that audience). Both through the same
 * credential and HTTP client as every other Azure call, so the sandbox answers them under
 * AZURE_HIPAA_SANDBOX.
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { ArmPort } from './arm-port.js';
import { azureCredential, azureHttpClient } from './credential.js';
import { apiVersionOf } from './resource-types.js';

export const METRICS_API_VERSION = '2023-10-01';
export const LOG_ANALYTICS = 'https://api.loganalytics.io';
/** Revision names as Azure makes them: what may be written into a filter or a query, and nothing else. */
const REVISION_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** `[from, to)` in ms since the epoch. */
export interface Window {
  from: number;
  to: number;
}

/** What one revision served in a window: requests and 5xx from the metrics, percentiles (ms) from the logs when it had any there. */
export interface RevisionCounts {
  revision: string;
  requests: number;
  errors: number;
  p95Ms?: number;
  p99Ms?: number;
}

export interface MonitorReader {
  read(window: Window, revisions: string[]): Promise<RevisionCounts[]>;
}

export interface MonitorTarget {
  /** The Container App's resource id. */
  appId: string;
  app: string;
  /** The Log Analytics workspace the environment sends its HTTP logs to. */
  workspace: { resourceGroup: string; name: string };
}

export interface MonitorOptions {
  credential?: TokenCredential;
  http?: HttpClient;
}

/** A WindowReader over Azure Monitor: each revision's requests and 5xx (metrics) with its p95 and p99 (logs). */
export function azureMonitorReader(
  arm: ArmPort,
  env: NodeJS.ProcessEnv,
  target: MonitorTarget,
  options: MonitorOptions = {},
): MonitorReader {
  const credential = options.credential ?? azureCredential(env);
  const http = options.http ?? azureHttpClient(env);
  let customerId: string | undefined;
  return {
    async read(window, revisions) {
      for (const revision of revisions)
        if (!REVISION_NAME.test(revision)) throw new Error(`'${revision}' is not a revision name Azure makes: it is not put into a query.`);
      customerId ??= await workspaceCustomerId(arm, target.workspace);
      const [requests, latency] = await Promise.all([
        requestCounts(arm, target.appId, revisions, window),
        latencies(http, credential, customerId, target.app, revisions, window),
      ]);
      return revisions.map((revision): RevisionCounts => {
        const counted = requests.get(revision) ?? { requests: 0, errors: 0 };
        const measured = latency.get(revision);
        return { revision, ...counted, ...(measured ?? {}) };
      });
    },
  };
}

async function workspaceCustomerId(arm: ArmPort, workspace: MonitorTarget['workspace']): Promise<string> {
  const path = `/subscriptions/${arm.subscriptionId}/resourceGroups/${workspace.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${workspace.name}`;
  const response = await arm.get(path, apiVersionOf('Microsoft.OperationalInsights/workspaces'));
  const customerId = (response.body as { properties?: { customerId?: unknown } } | undefined)?.properties?.customerId;
  if (response.status !== 200 || typeof customerId !== 'string')
    throw new Error(
      `The Log Analytics workspace ${workspace.name} could not be read (HTTP ${response.status}): the analysis reads latency from its ContainerAppHTTPLogs. Run provision, and grant the deploy identity Reader on ${workspace.resourceGroup}.`,
    );
  return customerId;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Requests and 5xx per revision over the window: `Requests`, filtered to the revisions, split by revision and status category. */
export async function requestCounts(
  arm: ArmPort,
  appId: string,
  revisions: string[],
  window: Window,
): Promise<Map<string, { requests: number; errors: number }>> {
  const filter = `(${revisions.map((revision) => `revisionName eq '${revision}'`).join(' or ')}) and statusCodeCategory eq '*'`;
  const query = new URLSearchParams({
    metricnames: 'Requests',
    metricnamespace: 'Microsoft.App/containerApps',
    timespan: `${iso(window.from)}/${iso(window.to)}`,
    interval: 'FULL',
    aggregation: 'Total',
    $filter: filter,
    'api-version': METRICS_API_VERSION,
  });
  const response = await arm.send('GET', `${appId}/providers/Microsoft.Insights/metrics?${query.toString()}`);
  if (response.status !== 200)
    throw new Error(
      `Azure Monitor's metrics of ${appId.split('/').at(-1)} could not be read (HTTP ${response.status}): ${JSON.stringify(response.body ?? '')}`,
    );
  const counts = new Map<string, { requests: number; errors: number }>(revisions.map((revision) => [revision, { requests: 0, errors: 0 }]));
  const metrics = (response.body as { value?: { timeseries?: unknown[] }[] }).value ?? [];
  for (const series of metrics[0]?.timeseries ?? []) {
    const { metadatavalues = [], data = [] } = series as {
      metadatavalues?: { name?: { value?: string }; value?: string }[];
      data?: { total?: number }[];
    };
    const dimension = (name: string) => metadatavalues.find((item) => item.name?.value?.toLowerCase() === name.toLowerCase())?.value;
    const entry = counts.get(dimension('revisionName') ?? '');
    if (!entry) continue;
    const total = data.reduce((sum, point) => sum + (typeof point.total === 'number' ? point.total : 0), 0);
    entry.requests += total;
    if (dimension('statusCodeCategory') === '5xx') entry.errors += total;
  }
  return counts;
}

/**
 * p95 and p99 of RequestDuration (ms, from request start to last byte) per revision from ContainerAppHTTPLogs over
 * the window; the columns as https://learn.microsoft.com/azure/container-apps/logging lists them.
 */
export async function latencies(
  http: HttpClient,
  credential: TokenCredential,
  customerId: string,
  app: string,
  revisions: string[],
  window: Window,
): Promise<Map<string, { p95Ms: number; p99Ms: number }>> {
  if (!REVISION_NAME.test(app)) throw new Error(`'${app}' is not a Container App name: it is not put into a query.`);
  const query = [
    'ContainerAppHTTPLogs',
    `| where ContainerAppName == '${app}' and RevisionName in (${revisions.map((revision) => `'${revision}'`).join(', ')})`,
    '| summarize Requests = count(), P95 = percentile(RequestDuration, 95), P99 = percentile(RequestDuration, 99) by RevisionName',
  ].join('\n');
  const token = await credential.getToken(`${LOG_ANALYTICS}/.default`);
  if (!token) throw new Error(`No token for Log Analytics (${LOG_ANALYTICS}) could be had.`);
  const response = await http.sendRequest(
    createPipelineRequest({
      url: `${LOG_ANALYTICS}/v1/workspaces/${encodeURIComponent(customerId)}/query`,
      method: 'POST',
      headers: createHttpHeaders({ authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }),
      body: JSON.stringify({ query, timespan: `${iso(window.from)}/${iso(window.to)}` }),
      timeout: 60_000,
    }),
  );
  let body: unknown;
  try {
    body = JSON.parse(response.bodyAsText ?? '');
  } catch {
    body = response.bodyAsText;
  }
  if (response.status !== 200)
    throw new Error(`The HTTP logs could not be queried (HTTP ${response.status}): ${JSON.stringify(body ?? '')}`);
  const table = (body as { tables?: { columns?: { name?: string }[]; rows?: unknown[][] }[] }).tables?.[0];
  const column = (name: string) => table?.columns?.findIndex((item) => item.name === name) ?? -1;
  const [revisionAt, p95At, p99At] = [column('RevisionName'), column('P95'), column('P99')];
  const result = new Map<string, { p95Ms: number; p99Ms: number }>();
  for (const row of table?.rows ?? []) {
    const [p95, p99] = [Number(row[p95At]), Number(row[p99At])];
    if (typeof row[revisionAt] === 'string' && Number.isFinite(p95) && Number.isFinite(p99) && row[p95At] !== null)
      result.set(row[revisionAt], { p95Ms: p95, p99Ms: p99 });
  }
  return result;
}
