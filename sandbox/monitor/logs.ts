/**
 * The Log Analytics query API (`api.loganalytics.io/v1/workspaces/{workspaceId}/query`, GET with
 * `query` or POST with `{query, timespan}`) over the one table the sandbox fills:
 * `ContainerAppHTTPLogs`, one row per request the ingress routed, in the workspace of each
 * environment whose diagnostic setting sends that category (or `allLogs`) there, once the
 * ingestion delay has passed. The query language is a small part of KQL, enough for the rollout's
 * analysis and a look by hand: `where` (==, !=, in, <, <=, >, >= joined by `and`), `summarize`
 * (count(), countif(), percentile(), avg(), max() `by` columns), `take`. Anything else is refused
 * with Log Analytics' error shape rather than answered wrongly.
 */
import { randomUUID } from 'node:crypto';
import type { Reply } from '../http.js';
import type { ResourcePlane } from '../arm/resource-plane.js';
import { isObject, type Json, type StoredResource } from '../arm/resources.js';
import { timespanOf } from './duration.js';
import type { RequestLog, RequestRecord } from './requests.js';

export const HTTP_LOGS = 'ContainerAppHTTPLogs';
type Value = string | number | null;
type Row = Record<string, Value>;
const COLUMNS: [string, string][] = [
  ['TimeGenerated', 'datetime'],
  ['ContainerAppName', 'string'],
  ['EnvironmentName', 'string'],
  ['RevisionName', 'string'],
  ['StatusCode', 'int'],
  // Total ms from request start to last response byte (the table reference: RequestDuration, long).
  ['RequestDuration', 'long'],
  ['_ResourceId', 'string'],
];

/** Log Analytics' error body: `{error: {message, code, correlationId, innererror}}`. */
function queryError(status: number, code: string, message: string, inner?: { code: string; message: string }): Reply {
  return { status, body: { error: { message, code, correlationId: randomUUID(), ...(inner ? { innererror: inner } : {}) } } };
}

function semantic(message: string): Reply {
  return queryError(400, 'BadArgumentError', 'The request had some invalid properties', { code: 'SemanticError', message });
}

export function logsQuery(
  plane: ResourcePlane,
  log: RequestLog,
  workspaceId: string,
  method: string,
  url: URL,
  rawBody: string,
  now = Date.now(),
): Reply {
  let query: string | undefined;
  let timespan: string | undefined;
  if (method === 'POST') {
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return queryError(400, 'BadArgumentError', 'The request body is not JSON.');
    }
    query = isObject(body) && typeof body['query'] === 'string' ? body['query'] : undefined;
    timespan = isObject(body) && typeof body['timespan'] === 'string' ? body['timespan'] : undefined;
  } else if (method === 'GET') {
    query = url.searchParams.get('query') ?? undefined;
    timespan = url.searchParams.get('timespan') ?? undefined;
  } else return queryError(405, 'MethodNotAllowed', `The method ${method} is not allowed.`);
  if (!query) return queryError(400, 'BadArgumentError', "The request had some invalid properties: 'query' is required.");
  const workspace = [...plane.resources.values()].find(
    (resource) =>
      resource.type.toLowerCase() === 'microsoft.operationalinsights/workspaces' &&
      String((plane.view(resource)['properties'] as Json)['customerId'] ?? '').toLowerCase() === workspaceId.toLowerCase(),
  );
  if (!workspace) return queryError(404, 'WorkspaceNotFoundError', `The workspace ${workspaceId} could not be found.`);
  const span = timespan ? timespanOf(timespan, now) : { from: 0, to: now + 1 };
  if (!span) return queryError(400, 'BadArgumentError', `The timespan '${timespan}' is not an ISO 8601 interval or duration.`);

  const [source = '', ...operators] = splitPipes(query);
  if (source.trim() !== HTTP_LOGS)
    return semantic(
      `'${source.trim()}': the sandbox's workspaces hold one table, ${HTTP_LOGS}; failed to resolve table expression named '${source.trim()}'.`,
    );
  const sending = environmentsSendingTo(plane, workspace);
  let columns: [string, string][] = COLUMNS;
  let rows: Row[] = log
    .ingested(span.from, span.to, now)
    .filter((record) => sending.has(record.environmentId.toLowerCase()))
    .map(rowOf);
  for (const operator of operators) {
    const [verb = '', ...rest] = operator.trim().split(/\s+/);
    const argument = operator.trim().slice(verb.length).trim();
    if (verb === 'where') {
      const predicate = predicateOf(argument);
      if (typeof predicate === 'string') return semantic(predicate);
      rows = rows.filter(predicate);
    } else if (verb === 'take' || verb === 'limit') {
      const count = Number(rest[0]);
      if (!Number.isInteger(count) || count < 0) return semantic(`'${operator.trim()}': take needs a whole number.`);
      rows = rows.slice(0, count);
    } else if (verb === 'summarize') {
      const summarized = summarize(argument, rows, columns);
      if (typeof summarized === 'string') return semantic(summarized);
      ({ rows, columns } = summarized);
    } else return semantic(`'${verb}': the sandbox's query language has where, summarize and take only.`);
  }
  return {
    status: 200,
    body: {
      tables: [
        {
          name: 'PrimaryResult',
          columns: columns.map(([name, type]) => ({ name, type })),
          rows: rows.map((row) => columns.map(([name]) => row[name] ?? null)),
        },
      ],
    },
  };
}

function rowOf(record: RequestRecord): Row {
  return {
    TimeGenerated: new Date(record.at).toISOString(),
    ContainerAppName: record.app,
    EnvironmentName: record.environmentId.split('/').at(-1) ?? '',
    RevisionName: record.revision,
    StatusCode: record.status,
    RequestDuration: Math.round(record.durationMs),
    _ResourceId: record.environmentId.toLowerCase(),
  };
}

/** Environments with a diagnostic setting that sends their HTTP logs to `workspace`. */
function environmentsSendingTo(plane: ResourcePlane, workspace: StoredResource): Set<string> {
  const sending = new Set<string>();
  for (const setting of plane.resources.values()) {
    if (setting.type.toLowerCase() !== 'microsoft.insights/diagnosticsettings') continue;
    if (String(setting.properties['workspaceId'] ?? '').toLowerCase() !== workspace.id.toLowerCase()) continue;
    const logs = Array.isArray(setting.properties['logs']) ? (setting.properties['logs'] as Json[]) : [];
    const sends = logs.some(
      (entry) => entry['enabled'] === true && (entry['categoryGroup'] === 'allLogs' || entry['category'] === HTTP_LOGS),
    );
    const scope = setting.id.toLowerCase().split('/providers/microsoft.insights/diagnosticsettings/')[0] ?? '';
    if (sends) sending.add(scope);
  }
  return sending;
}

/** The query's operators, split at pipes outside quotes. */
function splitPipes(query: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const character of query) {
    if (quote) {
      if (character === quote) quote = undefined;
    } else if (character === "'" || character === '"') quote = character;
    else if (character === '|') {
      parts.push(current);
      current = '';
      continue;
    }
    current += character;
  }
  parts.push(current);
  return parts;
}

function literal(text: string): Value | undefined {
  const trimmed = text.trim();
  const quoted = /^'([^']*)'$|^"([^"]*)"$/.exec(trimmed);
  if (quoted) return quoted[1] ?? quoted[2] ?? '';
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return undefined;
}

/** A `where` predicate: comparisons of a column with literals, joined by `and`. */
function predicateOf(text: string): ((row: Row) => boolean) | string {
  const tests: ((row: Row) => boolean)[] = [];
  for (const clause of text.split(/\s+and\s+/)) {
    const list = /^\s*([A-Za-z_]+)\s+in\s+\((.*)\)\s*$/.exec(clause);
    if (list) {
      const values = (list[2] as string).split(',').map(literal);
      if (values.some((value) => value === undefined)) return `'${clause.trim()}': in takes literals.`;
      const column = list[1] as string;
      if (!COLUMNS.some(([name]) => name === column)) return `Failed to resolve column '${column}'.`;
      tests.push((row) => values.includes(row[column] as Value));
      continue;
    }
    const comparison = /^\s*([A-Za-z_]+)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(clause);
    const value = comparison ? literal(comparison[3] as string) : undefined;
    if (!comparison || value === undefined)
      return `'${clause.trim()}': the sandbox compares a column with a literal (==, !=, <, <=, >, >=, in).`;
    const column = comparison[1] as string;
    if (!COLUMNS.some(([name]) => name === column)) return `Failed to resolve column '${column}'.`;
    tests.push((row) => compare(row[column] ?? null, comparison[2] as string, value));
  }
  return (row) => tests.every((test) => test(row));
}

function compare(left: Value, operator: string, right: Value): boolean {
  if (left === null || right === null) return false;
  switch (operator) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    default:
      return left >= right;
  }
}

/** `summarize Name = agg(...), ... by Column, ...`: count(), countif(pred), percentile(col, p), avg(col), max(col). */
function summarize(text: string, rows: Row[], columns: [string, string][]): { rows: Row[]; columns: [string, string][] } | string {
  const [aggregationText = '', byText = ''] = text.split(/\s+by\s+/);
  const keys = byText
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  for (const key of keys) if (!columns.some(([name]) => name === key)) return `Failed to resolve column '${key}'.`;
  const aggregations: { name: string; type: string; of: (group: Row[]) => Value }[] = [];
  for (const part of splitTopLevel(aggregationText)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([a-z]+)\((.*)\)\s*$/.exec(part);
    if (!match) return `'${part.trim()}': name each aggregation (Name = count()).`;
    const [, name = '', fn = '', args = ''] = match;
    if (fn === 'count' && args.trim() === '') aggregations.push({ name, type: 'long', of: (group) => group.length });
    else if (fn === 'countif') {
      const predicate = predicateOf(args);
      if (typeof predicate === 'string') return predicate;
      aggregations.push({ name, type: 'long', of: (group) => group.filter(predicate).length });
    } else if (fn === 'percentile' || fn === 'avg' || fn === 'max') {
      const [column = '', percent] = args.split(',').map((arg) => arg.trim());
      if (!columns.some(([known]) => known === column)) return `Failed to resolve column '${column}'.`;
      const p = Number(percent);
      if (fn === 'percentile' && !(p >= 0 && p <= 100)) return `'${part.trim()}': percentile takes a column and a percentage.`;
      aggregations.push({
        name,
        type: 'real',
        of: (group) => {
          const values = group
            .map((row) => Number(row[column]))
            .filter(Number.isFinite)
            .sort((a, b) => a - b);
          if (values.length === 0) return null;
          if (fn === 'avg') return values.reduce((sum, value) => sum + value, 0) / values.length;
          if (fn === 'max') return values.at(-1) as number;
          // Nearest rank (Log Analytics estimates percentiles; on a few hundred rows the two agree closely).
          return values[Math.max(0, Math.ceil((p / 100) * values.length) - 1)] as number;
        },
      });
    } else return `'${fn}()': the sandbox aggregates with count(), countif(), percentile(), avg() and max().`;
  }
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = JSON.stringify(keys.map((k) => row[k] ?? null));
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  // Without `by`, one row even over no rows, as KQL answers.
  if (keys.length === 0 && groups.size === 0) groups.set('[]', []);
  return {
    columns: [
      ...keys.map((key) => columns.find(([name]) => name === key) as [string, string]),
      ...aggregations.map(({ name, type }) => [name, type] as [string, string]),
    ],
    rows: [...groups.entries()].map(([key, group]) => {
      const values = JSON.parse(key) as Value[];
      return {
        ...Object.fromEntries(keys.map((k, index) => [k, values[index] ?? null])),
        ...Object.fromEntries(aggregations.map(({ name, of }) => [name, of(group)])),
      };
    }),
  };
}

/** Splits at commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of text) {
    if (character === '(') depth++;
    if (character === ')') depth--;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  if (current.trim()) parts.push(current);
  return parts;
}
