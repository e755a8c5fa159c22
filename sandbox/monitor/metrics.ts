/**
 * Azure Monitor's Metrics List (`GET {resourceUri}/providers/Microsoft.Insights/metrics`,
 * 2023-10-01) for Container Apps' platform metric `Requests`, counted from what the ingress
 * recorded: `$filter` on its dimensions (`revisionName`, `statusCodeCategory`, `statusCode`), every
 * dimension the filter names split into its own time series, as Azure does; `interval` an ISO
 * duration or `FULL`; aggregations `Total` and `Count`. Requests not yet ingested are not counted
 * yet, and an interval that starts after what has been ingested carries no value.
 */
import type { Reply } from '../http.js';
import type { ResourcePlane } from '../arm/resource-plane.js';
import { isObject, type Json } from '../arm/resources.js';
import { durationMs, timespanOf } from './duration.js';
import { statusCodeCategory, type RequestLog, type RequestRecord } from './requests.js';

const APPS = 'microsoft.app/containerapps';
const DIMENSIONS: Record<string, (record: RequestRecord) => string> = {
  revisionname: (record) => record.revision,
  statuscodecategory: (record) => statusCodeCategory(record.status),
  statuscode: (record) => String(record.status),
};
const DIMENSION_NAMES: Record<string, string> = {
  revisionname: 'revisionName',
  statuscodecategory: 'statusCodeCategory',
  statuscode: 'statusCode',
};

/** Azure Monitor's error body (`ErrorResponse`: code and message). */
function monitorError(status: number, code: string, message: string): Reply {
  return { status, body: { code, message } };
}

/** One dimension's condition: the values it may take, `*` for any (a split). */
type Condition = { dimension: string; values: string[] | '*' };

/** `$filter` as Azure Monitor writes it: `a eq 'x' and (b eq 'y' or b eq 'z') and c eq '*'`. */
function parseFilter(filter: string): Condition[] | string {
  const conditions: Condition[] = [];
  for (const clause of filter.split(/\s+and\s+/i)) {
    const alternatives = clause
      .trim()
      .replace(/^\((.*)\)$/, '$1')
      .split(/\s+or\s+/i);
    let dimension: string | undefined;
    const values: string[] = [];
    for (const alternative of alternatives) {
      const match = /^\s*([A-Za-z]+)\s+eq\s+'([^']*)'\s*$/i.exec(alternative);
      if (!match) return `Could not parse the filter clause '${clause.trim()}'.`;
      const name = (match[1] as string).toLowerCase();
      if (dimension && dimension !== name) return `A clause of the filter names two dimensions: '${clause.trim()}'.`;
      dimension = name;
      values.push(match[2] as string);
    }
    if (!dimension) return `Could not parse the filter '${filter}'.`;
    if (!DIMENSIONS[dimension])
      return `Dimension '${dimension}' is not valid for the metric Requests. Valid dimensions: revisionName, statusCodeCategory, statusCode.`;
    conditions.push({ dimension, values: values.includes('*') ? '*' : values });
  }
  return conditions;
}

export function metricsList(plane: ResourcePlane, log: RequestLog, resourceId: string, url: URL, now = Date.now()): Reply {
  const query = url.searchParams;
  if (!query.get('api-version'))
    return monitorError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  const resource = plane.resources.get(resourceId.toLowerCase());
  if (!resource)
    return {
      status: 404,
      body: {
        error: {
          code: 'ResourceNotFound',
          message: `The Resource '${resourceId.replace(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\//i, '')}' was not found.`,
        },
      },
    };
  const namespace = (query.get('metricnamespace') ?? resource.type).toLowerCase();
  if (resource.type.toLowerCase() !== APPS || namespace !== APPS)
    return monitorError(
      400,
      'BadRequest',
      `The sandbox serves metrics of Microsoft.App/containerApps only, not of ${resource.type} (namespace ${namespace}).`,
    );
  const names = (query.get('metricnames') ?? 'Requests').split(',').map((name) => name.trim());
  const unknown = names.find((name) => name.toLowerCase() !== 'requests');
  if (unknown)
    return monitorError(
      400,
      'BadRequest',
      `Failed to find metric configuration for provider: Microsoft.App, resource Type: containerApps, metric: ${unknown}, Valid metrics: Requests`,
    );
  const span = timespanOf(query.get('timespan') ?? 'PT1H', now);
  if (!span) return monitorError(400, 'BadRequest', `Invalid timespan '${query.get('timespan')}'.`);
  const intervalText = query.get('interval') ?? 'PT1M';
  const step = intervalText.toUpperCase() === 'FULL' ? span.to - span.from : durationMs(intervalText);
  if (!step || step <= 0) return monitorError(400, 'BadRequest', `Invalid interval '${intervalText}'.`);
  const aggregations = (query.get('aggregation') ?? 'Total').split(',').map((name) => name.trim().toLowerCase());
  const unsupported = aggregations.find((name) => name !== 'total' && name !== 'count');
  if (unsupported)
    return monitorError(400, 'BadRequest', `Aggregation '${unsupported}' is not supported for the metric Requests: use Total or Count.`);
  const conditions = parseFilter(query.get('$filter') ?? '');
  if (typeof conditions === 'string' && query.get('$filter')) return monitorError(400, 'BadRequest', conditions);
  const filters = typeof conditions === 'string' ? [] : conditions;

  const records = log
    .ingested(span.from, span.to, now)
    .filter((record) => record.appId.toLowerCase() === resource.id.toLowerCase())
    .filter((record) =>
      filters.every(
        ({ dimension, values }) => values === '*' || values.includes((DIMENSIONS[dimension] as (r: RequestRecord) => string)(record)),
      ),
    );
  const horizon = now - log.ingestionDelayMs;
  const series = new Map<string, RequestRecord[]>();
  for (const record of records) {
    const key = JSON.stringify(filters.map(({ dimension }) => (DIMENSIONS[dimension] as (r: RequestRecord) => string)(record)));
    series.set(key, [...(series.get(key) ?? []), record]);
  }
  // Without a dimension to split by, one series for everything, even when nothing was counted.
  if (filters.length === 0 && series.size === 0) series.set('[]', []);
  const timeseries = [...series.entries()].map(([key, members]) => {
    const values = JSON.parse(key) as string[];
    const data: Json[] = [];
    for (let start = span.from; start < span.to; start += step) {
      const inBucket = members.filter((record) => record.at >= start && record.at < start + step).length;
      const point: Json = { timeStamp: new Date(start).toISOString().replace(/\.\d{3}Z$/, 'Z') };
      // Nothing is known yet of an interval that starts after what has been ingested.
      if (start <= horizon) for (const aggregation of aggregations) point[aggregation] = inBucket;
      data.push(point);
    }
    return {
      metadatavalues: filters.map(({ dimension }, index) => ({
        name: { value: DIMENSION_NAMES[dimension], localizedValue: DIMENSION_NAMES[dimension] },
        value: values[index],
      })),
      data,
    };
  });
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    status: 200,
    body: {
      cost: timeseries.length * Math.max(1, Math.ceil((span.to - span.from) / step)),
      timespan: `${iso(span.from)}/${iso(span.to)}`,
      // As Azure answers `FULL`: the one interval it used, as a duration.
      interval: isoInterval(step),
      value: [
        {
          id: `${resource.id}/providers/Microsoft.Insights/metrics/Requests`,
          type: 'Microsoft.Insights/metrics',
          name: { value: 'Requests', localizedValue: 'Requests' },
          displayDescription: 'Requests processed',
          unit: 'Count',
          timeseries,
          errorCode: 'Success',
        },
      ],
      namespace: APPS,
      resourceregion: String(isObject(resource.envelope) ? (resource.envelope['location'] ?? '') : '')
        .toLowerCase()
        .replace(/\s+/g, ''),
    },
  };
}

/** A length of time as Azure Monitor writes an interval: `PT4H`, `PT5M`, `PT30S`. */
function isoInterval(ms: number): string {
  if (ms % 3_600_000 === 0) return `PT${ms / 3_600_000}H`;
  if (ms % 60_000 === 0) return `PT${ms / 60_000}M`;
  return `PT${Math.max(1, Math.round(ms / 1000))}S`;
}
