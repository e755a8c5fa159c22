/**
 * The sandbox's answers for the operations resource types against Microsoft's REST API specs: the
 * vendored example PolicyStates_QueryResourceGroupScope (2024-10-01, reference/rest-api-specs) is
 * replayed, states seeded as the example's, and the answer has the example's property names
 * recursively with the same JSON types; the `$filter` the gate sends keeps only non-compliant
 * states. Defender's pricings are Free until turned on, and a PUT is checked against the official
 * ARM schema. For pricings, budgets, policy assignments, action groups, metric alerts, log search
 * alerts, Application Insights components and availability tests, each vendored PUT example's body
 * is sent at the product's scope and the answer and a GET are compared with the examples' responses
 * the same way (what an example gets wrong, or a GET example of another resource, is excused by name).
 * All traffic goes to 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import type { ArmPort } from '../../src/azure/arm-port.js';
import { adminRequest } from '../helpers/sandbox-admin.js';

type Json = Record<string, unknown>;
const SPECS = resolve(import.meta.dirname, '../../reference/rest-api-specs/specification');
const EXAMPLE = `${SPECS}/policyinsights/resource-manager/Microsoft.PolicyInsights/stable/2024-10-01/examples/PolicyStates_QueryResourceGroupScope.json`;

interface Example {
  parameters: Json;
  responses: Record<string, { body?: unknown }>;
}
/** A vendored x-ms-examples file (reference/rest-api-specs), by its path under `specification/`. */
const vendored = (path: string) => JSON.parse(readFileSync(`${SPECS}/${path}`, 'utf8')) as Example;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Differences in shape: `missing <path>`, `extra <path>`, `type <path>: example X, sandbox Y`; array items become `[]`,
 * each compared with the example's item at its index (a budget's filter mixes kinds), past the end with its last.
 */
function shapeDifferences(actual: unknown, example: unknown, path = '', out: string[] = []): string[] {
  const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  // The example writes null where a state has no value (a policy set, a reference id): a string in the sandbox's answer is as valid.
  if (typeOf(actual) !== typeOf(example) && !(example === null || actual === null))
    out.push(`type ${path}: example ${typeOf(example)}, sandbox ${typeOf(actual)}`);
  else if (Array.isArray(actual) && Array.isArray(example) && example.length > 0)
    actual.forEach((item, index) => shapeDifferences(item, example[Math.min(index, example.length - 1)], `${path}[]`, out));
  else if (isObject(actual) && isObject(example)) {
    const at = (key: string) => (path ? `${path}.${key}` : key);
    // ARM's property names are case-insensitive (a metric alert's PUT example echoes webhookProperties, its GET webHookProperties).
    const find = (object: Json, key: string) => Object.keys(object).find((other) => other.toLowerCase() === key.toLowerCase());
    for (const key of Object.keys(example)) if (find(actual, key) === undefined) out.push(`missing ${at(key)}`);
    for (const key of Object.keys(actual)) if (find(example, key) === undefined) out.push(`extra ${at(key)}`);
    for (const key of Object.keys(example)) {
      const own = find(actual, key);
      if (own !== undefined) shapeDifferences(actual[own], example[key], at(key), out);
    }
  }
  return [...new Set(out)];
}

let sandbox: Sandbox;
let arm: ArmPort;
let subscriptionId: string;
const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { parameters: Json; responses: { '200': { body: { value: Json[] } } } };
const group = String(example.parameters['resourceGroupName']);

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0 });
  subscriptionId = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
  arm = armPort({ ...process.env, ...sandbox.env }, subscriptionId);
  await arm.putResourceGroup(group, { location: 'eastus', tags: {} });
  // The example's two states, moved to the sandbox's subscription.
  const seeds = example.responses['200'].body.value.map((state) => ({
    resourceId: String(state['resourceId']).replace(String(example.parameters['subscriptionId']), subscriptionId),
    policyAssignmentId: String(state['policyAssignmentId']).replace(String(example.parameters['subscriptionId']), subscriptionId),
    policyDefinitionId: String(state['policyDefinitionId']),
    policySetDefinitionId: String(state['policySetDefinitionId']),
    policyDefinitionGroupNames: state['policyDefinitionGroupNames'],
    complianceState: state['complianceState'],
  }));
  expect((await adminRequest(sandbox, 'POST', '/policy-states', seeds)).status).toBe(200);
});
afterAll(async () => sandbox?.stop());

const queryPath = () =>
  `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.PolicyInsights/policyStates/${String(example.parameters['policyStatesResource'])}/queryResults`;

describe('PolicyStates_ListQueryResultsForResourceGroup (2024-10-01)', () => {
  it('answers the example’s request with the example’s shape', async () => {
    const { status, body } = await arm.send('POST', queryPath(), String(example.parameters['api-version']));
    expect(status).toBe(200);
    expect(shapeDifferences(body, example.responses['200'].body)).toEqual([]);
    const states = (body as { value: Json[] }).value;
    expect(states.map((state) => state['complianceState'])).toEqual(['NonCompliant', 'Compliant']);
    expect((body as Json)['@odata.count']).toBe(2);
  });

  it('keeps only the non-compliant states under the filter the gate sends', async () => {
    const filter = encodeURIComponent("complianceState eq 'NonCompliant'");
    const { status, body } = await arm.send('POST', `${queryPath()}?api-version=2024-10-01&$filter=${filter}`);
    expect(status).toBe(200);
    const states = (body as { value: Json[] }).value;
    expect(states.map((state) => [state['complianceState'], state['isCompliant'], state['policyDefinitionName']])).toEqual([
      ['NonCompliant', false, '24813039-7534-408a-9842-eb99f45721b1'],
    ]);
  });
});

describe('Microsoft.Security/pricings at subscription scope (2024-01-01)', () => {
  const path = (name = '') => `/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings${name ? `/${name}` : ''}`;

  it('lists every plan Free until one is turned on, and refuses a body the ARM schema refuses', async () => {
    const before = await arm.get(path('KeyVaults'), '2024-01-01');
    expect((before.body as { properties: Json }).properties['pricingTier']).toBe('Free');
    const turnedOn = await arm.send('PUT', path('KeyVaults'), '2024-01-01', {
      properties: { pricingTier: 'Standard', subPlan: 'PerKeyVault' },
    });
    expect(turnedOn.status).toBe(200);
    const list = await arm.get(path(), '2024-01-01');
    const tiers = Object.fromEntries(
      (list.body as { value: { name: string; properties: Json }[] }).value.map((plan) => [plan.name, plan.properties['pricingTier']]),
    );
    expect(tiers['KeyVaults']).toBe('Standard');
    expect(tiers['Containers']).toBe('Free');
    const misspelled = await arm.send('PUT', path('Containers'), '2024-01-01', { properties: { pricingTeir: 'Standard' } });
    expect(misspelled.status).toBe(400);
  });
});

describe('Microsoft.Security/pricings against the 2024-01-01 examples', () => {
  const examples = 'security/resource-manager/Microsoft.Security/stable/2024-01-01/examples/Pricings';
  const put = vendored(`${examples}/PutPricingByName_example.json`);
  const get = vendored(`${examples}/GetPricingByNameCloudPosture_example.json`);
  const path = () => `/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings/${String(put.parameters['pricingName'])}`;

  it('Pricings_Update answers the example’s body with the example’s shape, and Pricings_Get reads it back', async () => {
    const written = await arm.send('PUT', path(), String(put.parameters['api-version']), put.parameters['pricing']);
    expect(Object.keys(put.responses)).toContain(String(written.status));
    expect(shapeDifferences(written.body, put.responses[String(written.status)]?.body)).toEqual([]);
    expect((written.body as Json)['id']).toBe(path());
    const read = await arm.get(path(), String(get.parameters['api-version']));
    expect(read.status).toBe(200);
    expect(shapeDifferences(read.body, get.responses['200']?.body)).toEqual([]);
    expect((read.body as { properties: Json }).properties['pricingTier']).toBe('Standard');
  });
});

/** The example's keys that the sandbox's answer lacks or types differently (an answer may carry more: what the caller wrote). */
const missingFrom = (actual: unknown, example: unknown) => shapeDifferences(actual, example).filter((line) => !line.startsWith('extra '));

interface Leeway {
  /** The api-version to send (the product's) when the example is another version's; the example's own by default. */
  apiVersion?: string;
  /** Maps whose keys are the caller's own names (tags, a policy's parameters): another resource's example has other keys. */
  callerKeyed?: string[];
  /**
   * Differences the examples explain themselves: their own mistakes (`extra name`: the 2018-03-01 metric alert examples
   * leave out `name`), or a GET example that shows another kind of resource than the PUT example wrote.
   */
  excused?: string[];
}

/** The shape differences `leeway` does not excuse. */
function unexcused(lines: string[], leeway: Leeway): string[] {
  const callerKeyed = (line: string) => (leeway.callerKeyed ?? []).some((map) => line.startsWith(`missing ${map}.`));
  const omitted = (line: string) => (leeway.excused ?? []).includes(line);
  return lines.filter((line) => !callerKeyed(line) && !omitted(line));
}

/** PUTs the example's request body (its parameter `bodyParameter`) at `path`: a status the example lists, its shape, the path as id. */
async function replayPut(put: Example, bodyParameter: string, path: string, leeway: Leeway = {}): Promise<Json> {
  const written = await arm.send('PUT', path, leeway.apiVersion ?? String(put.parameters['api-version']), put.parameters[bodyParameter]);
  expect(Object.keys(put.responses)).toContain(String(written.status));
  expect(unexcused(shapeDifferences(written.body, put.responses[String(written.status)]?.body), leeway)).toEqual([]);
  expect((written.body as Json)['id']).toBe(path);
  return written.body as Json;
}

/** GETs `path`: 200, every key of the example's answer (what the caller wrote may add more), the path as id. */
async function readBack(get: Example, path: string, leeway: Leeway = {}): Promise<Json> {
  const read = await arm.get(path, leeway.apiVersion ?? String(get.parameters['api-version']));
  expect(read.status).toBe(200);
  expect(unexcused(missingFrom(read.body, get.responses['200']?.body), leeway)).toEqual([]);
  expect((read.body as Json)['id']).toBe(path);
  return read.body as Json;
}

describe('Microsoft.Consumption/budgets against the 2024-08-01 examples', () => {
  const examples = 'consumption/resource-manager/Microsoft.Consumption/stable/2024-08-01/examples';
  const put = vendored(`${examples}/CreateOrUpdateBudget.json`);
  const get = vendored(`${examples}/Budget.json`);
  // At the product's scope (the group its template deploys to), the example's resource group and name.
  const path = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Consumption/budgets/${String(put.parameters['budgetName'])}`;

  it('Budgets_CreateOrUpdate answers the example’s body with the example’s shape, and Budgets_Get reads it back', async () => {
    await replayPut(put, 'parameters', path());
    await readBack(get, path());
  });
});

describe('Microsoft.Authorization/policyAssignments against the 2025-03-01 examples', () => {
  const examples = 'resources/resource-manager/Microsoft.Authorization/policy/stable/2025-03-01/examples';
  const put = vendored(`${examples}/createPolicyAssignmentWithIdentity.json`);
  const get = vendored(`${examples}/getPolicyAssignmentWithIdentityById.json`);
  // At the product's scope (its template assigns the initiative to the group), the example's name.
  const path = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Authorization/policyAssignments/${String(put.parameters['policyAssignmentName'])}`;

  it('PolicyAssignments_Create answers the example’s body with the example’s shape, and PolicyAssignments_GetById reads it back', async () => {
    const written = await replayPut(put, 'parameters', path());
    expect((written['properties'] as Json)['scope']).toBe(`/subscriptions/${subscriptionId}/resourceGroups/${group}`);
    await readBack(get, path(), { callerKeyed: ['properties.parameters'] });
  });
});

describe('Microsoft.Insights/actionGroups against the 2022-06-01 PUT and 2023-01-01 GET examples', () => {
  const monitor = 'monitor/resource-manager/Microsoft.Insights/stable';
  // 2023-01-01 (the product's) has no create example upstream: the 2022-06-01 one, same body definition, sent at 2023-01-01.
  const put = vendored(`${monitor}/2022-06-01/examples/createOrUpdateActionGroup.json`);
  const get = vendored(`${monitor}/2023-01-01/examples/getActionGroup.json`);
  const path = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Insights/actionGroups/${String(put.parameters['actionGroupName'])}`;

  it('ActionGroups_CreateOrUpdate answers the example’s body with the example’s shape, and ActionGroups_Get reads it back', async () => {
    const written = await replayPut(put, 'actionGroup', path(), { apiVersion: String(get.parameters['api-version']) });
    const receivers = (written['properties'] as { emailReceivers: Json[] }).emailReceivers;
    expect(receivers.map((receiver) => receiver['status'])).toEqual(['Enabled', 'Enabled']);
    await readBack(get, path());
  });
});

describe('Microsoft.Insights/metricAlerts against the 2018-03-01 examples, sent at 2026-01-01', () => {
  // The index holds no metric alert example for 2026-01-01 (the product's): the stable 2018-03-01 single-resource pair.
  const examples = 'monitor/resource-manager/Microsoft.Insights/stable/2018-03-01/examples';
  const put = vendored(`${examples}/createOrUpdateMetricAlertSingleResource.json`);
  const get = vendored(`${examples}/getMetricAlertSingleResource.json`);
  const leeway = {
    apiVersion: '2026-01-01',
    callerKeyed: ['tags', 'properties.actions[].webHookProperties'],
    excused: ['extra name'],
  };
  const path = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Insights/metricAlerts/${String(put.parameters['ruleName'])}`;

  it('MetricAlerts_CreateOrUpdate answers the example’s body with the example’s shape, and MetricAlerts_Get reads it back', async () => {
    await replayPut(put, 'parameters', path(), leeway);
    const read = await readBack(get, path(), leeway);
    // Azure answers the durations it was given in upper case (the GET example: PT1M for Pt1m).
    expect((read['properties'] as Json)['evaluationFrequency']).toBe('PT1M');
  });
});

describe('Microsoft.Insights/components against the 2020-02-02 examples', () => {
  const examples = 'applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/examples';
  const put = vendored(`${examples}/ComponentsCreate.json`);
  const get = vendored(`${examples}/ComponentsGet.json`);
  const leeway = {
    // The examples write `tags` as the string "" (tags are an object, answered when written); LinkedStorages shows only once a
    // profiler storage is linked.
    excused: ['missing tags', 'missing properties.LinkedStorages'],
  };
  const path = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Insights/components/${String(put.parameters['resourceName'])}`;

  it('Components_CreateOrUpdate answers the example’s body with the example’s shape, and Components_Get reads it back', async () => {
    const written = await replayPut(put, 'InsightProperties', path(), leeway);
    const properties = written['properties'] as Json;
    expect(properties['ConnectionString']).toBe(`InstrumentationKey=${String(properties['InstrumentationKey'])}`);
    await readBack(get, path(), leeway);
  });
});

describe('Microsoft.Insights/webtests against the 2022-06-15 examples', () => {
  const examples = 'applicationinsights/resource-manager/Microsoft.Insights/stable/2022-06-15/examples';
  const put = vendored(`${examples}/WebTestCreateStandard.json`);
  const get = vendored(`${examples}/WebTestGet.json`);
  const leeway = {
    callerKeyed: ['tags'],
    // The create example answers hidden-link tags its request never sent; the GET example is a ping test (kind, Configuration).
    excused: ['missing tags', 'missing kind', 'missing properties.Configuration'],
  };
  const path = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Insights/webtests/${String(put.parameters['webTestName'])}`;

  it('WebTests_CreateOrUpdate answers the example’s body with the example’s shape, and WebTests_Get reads it back', async () => {
    await replayPut(put, 'WebTestDefinition', path(), leeway);
    await readBack(get, path(), leeway);
  });
});

describe('Microsoft.Insights/scheduledQueryRules against the 2026-03-01 examples', () => {
  const examples = 'monitor/resource-manager/Microsoft.Insights/stable/2026-03-01/examples';
  const put = vendored(`${examples}/createOrUpdateScheduledQueryRuleResourceGroup.json`);
  const get = vendored(`${examples}/getScheduledQueryRule.json`);
  const leeway = {
    callerKeyed: ['properties.actions.actionProperties', 'properties.actions.customProperties'],
    // The GET example is another rule, a metric-measurement one (its columns are the caller's).
    excused: ['missing properties.criteria.allOf[].metricMeasureColumn', 'missing properties.criteria.allOf[].resourceIdColumn'],
  };
  const path = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Insights/scheduledQueryRules/${String(put.parameters['ruleName'])}`;

  it('ScheduledQueryRules_CreateOrUpdate answers the example’s body with the example’s shape, and ScheduledQueryRules_Get reads it back', async () => {
    await replayPut(put, 'parameters', path(), leeway);
    await readBack(get, path(), leeway);
  });
});
