/**
 * The sandbox's api.github.com answers as GitHub's OpenAPI description says: every answer of every
 * operation `azure-hipaa github-runners` uses is compared, property by property (names, types,
 * nullability, enums, required ones), with the response schema in reference/github-rest/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { azureHttpClient } from '../../src/azure/credential.js';
import { fetchThrough } from '../../src/github/octokit.js';

interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
}
interface Operation {
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
const description = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../reference/github-rest/api.github.com.excerpt.json'), 'utf8'),
) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/** Where `value` differs from `schema`: each problem with its JSON path. */
function mismatches(value: unknown, schema: Schema, path = '$'): string[] {
  if (schema.$ref) {
    const target = description.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
    if (!target) return [`${path}: ${schema.$ref} is not in the excerpt, so the sandbox must not send it`];
    return mismatches(value, target, path);
  }
  if (value === null) return schema.nullable ? [] : [`${path}: null, but the schema is not nullable`];
  const problems: string[] = [];
  const actual = Array.isArray(value) ? 'array' : typeof value;
  const typeOk =
    schema.type === undefined ||
    (schema.type === 'integer' ? Number.isInteger(value) : schema.type === 'number' ? typeof value === 'number' : actual === schema.type);
  if (!typeOk) return [`${path}: ${actual} ${JSON.stringify(value)}, but the schema says ${schema.type}`];
  if (schema.enum && !schema.enum.includes(value))
    problems.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (Array.isArray(value) && schema.items)
    value.forEach((item, index) => problems.push(...mismatches(item, schema.items as Schema, `${path}[${index}]`)));
  if (actual === 'object' && schema.properties) {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) problems.push(`${path}.${name}: required, missing`);
    for (const [name, property] of Object.entries(object)) {
      const declared = schema.properties[name];
      if (declared) problems.push(...mismatches(property, declared, `${path}.${name}`));
      else if (schema.additionalProperties !== true) problems.push(`${path}.${name}: not a property the schema declares`);
    }
  }
  return problems;
}

function responseSchema(path: string, method: string, status: number): Schema | undefined {
  const operation = description.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${path} is not in the excerpt`);
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${method} ${path} has no ${status} response in the excerpt`);
  return response.content?.['application/json']?.schema;
}

let sandbox: Sandbox;
let token: string;
let call: (method: string, path: string, body?: unknown, bearer?: string) => Promise<{ status: number; body: unknown }>;
const ORG = 'seniorly';
const SETTINGS = '220F78DACB92BBFBC5E6F22DE1CCF52309D';

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0 });
  sandbox.server.github.createOrganization(ORG, 'voice-agent').networkSettings.add(SETTINGS);
  token = sandbox.server.github.createToken({ networkConfigurations: true, runners: true });
  const fetch = fetchThrough(azureHttpClient({ ...process.env, ...sandbox.env }));
  call = async (method, path, body, bearer = token) => {
    const response = await fetch(`https://api.github.com${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
});
afterAll(async () => sandbox?.stop());

/** Calls the operation and checks the answer's status and body against the excerpt's schema for that status. */
async function conforms(method: string, template: string, path: string, status: number, body?: unknown): Promise<Record<string, unknown>> {
  const answer = await call(method, path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  const schema = responseSchema(template, method, status);
  if (schema) expect(mismatches(answer.body, schema)).toEqual([]);
  else expect(answer.body).toBeUndefined();
  return answer.body as Record<string, unknown>;
}

describe('sandbox api.github.com against GitHub OpenAPI schemas', () => {
  it('the schema comparison finds a wrong type, a missing required property and an undeclared one', () => {
    const schema = { $ref: '#/components/schemas/network-configuration' };
    expect(mismatches({ id: 'A', name: 'n', created_on: null }, schema)).toEqual([]);
    expect(mismatches({ id: 1, name: 'n', created_on: null }, schema)).toEqual(['$.id: number 1, but the schema says string']);
    expect(mismatches({ id: 'A', name: 'n' }, schema)).toEqual(['$.created_on: required, missing']);
    expect(mismatches({ id: 'A', name: 'n', created_on: null, region: 'x' }, schema)).toEqual([
      '$.region: not a property the schema declares',
    ]);
    expect(mismatches({ id: 'A', name: 'n', created_on: null, compute_service: 'vms' }, schema)).toHaveLength(1);
  });

  it('every operation the CLI uses answers in the documented shape', async () => {
    const repository = await conforms('GET', '/repos/{owner}/{repo}', `/repos/${ORG}/voice-agent`, 200);
    await conforms('GET', '/orgs/{org}/actions/hosted-runners/machine-sizes', `/orgs/${ORG}/actions/hosted-runners/machine-sizes`, 200);
    await conforms(
      'GET',
      '/orgs/{org}/actions/hosted-runners/images/github-owned',
      `/orgs/${ORG}/actions/hosted-runners/images/github-owned`,
      200,
    );

    const configurations = '/orgs/{org}/settings/network-configurations';
    const created = await conforms('POST', configurations, `/orgs/${ORG}/settings/network-configurations`, 201, {
      name: 'azure-hipaa',
      compute_service: 'actions',
      network_settings_ids: [SETTINGS],
    });
    await conforms('GET', configurations, `/orgs/${ORG}/settings/network-configurations`, 200);
    const one = `/orgs/${ORG}/settings/network-configurations/${String(created['id'])}`;
    await conforms('GET', `${configurations}/{network_configuration_id}`, one, 200);
    await conforms('PATCH', `${configurations}/{network_configuration_id}`, one, 200, { network_settings_ids: [SETTINGS] });

    const groups = '/orgs/{org}/actions/runner-groups';
    const group = await conforms('POST', groups, `/orgs/${ORG}/actions/runner-groups`, 201, {
      name: 'azure-hipaa',
      visibility: 'selected',
      selected_repository_ids: [repository['id']],
      restricted_to_workflows: true,
      selected_workflows: [`${ORG}/voice-agent/.github/workflows/main.yml@refs/heads/main`],
      network_configuration_id: created['id'],
    });
    await conforms('GET', groups, `/orgs/${ORG}/actions/runner-groups`, 200);
    const groupPath = `/orgs/${ORG}/actions/runner-groups/${String(group['id'])}`;
    await conforms('GET', `${groups}/{runner_group_id}`, groupPath, 200);
    await conforms('PATCH', `${groups}/{runner_group_id}`, groupPath, 200, { name: 'azure-hipaa', visibility: 'selected' });
    await conforms('GET', `${groups}/{runner_group_id}/repositories`, `${groupPath}/repositories`, 200);
    await conforms('PUT', `${groups}/{runner_group_id}/repositories`, `${groupPath}/repositories`, 204, {
      selected_repository_ids: [repository['id']],
    });

    const runners = '/orgs/{org}/actions/hosted-runners';
    const runner = await conforms('POST', runners, `/orgs/${ORG}/actions/hosted-runners`, 201, {
      name: 'azure-hipaa',
      image: { id: 'ubuntu-24.04', source: 'github' },
      size: '2-core',
      runner_group_id: group['id'],
      maximum_runners: 2,
    });
    await conforms('GET', runners, `/orgs/${ORG}/actions/hosted-runners`, 200);
    const runnerPath = `/orgs/${ORG}/actions/hosted-runners/${String(runner['id'])}`;
    await conforms('GET', `${runners}/{hosted_runner_id}`, runnerPath, 200);
    await conforms('PATCH', `${runners}/{hosted_runner_id}`, runnerPath, 200, { maximum_runners: 3, size: '4-core' });
  });

  it("errors are GitHub's basic-error and validation-error-simple bodies", async () => {
    const basic = { $ref: '#/components/schemas/basic-error' };
    const missing = await call('GET', `/repos/${ORG}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(mismatches(missing.body, basic)).toEqual([]);
    const unauthorized = await call('GET', `/orgs/${ORG}/actions/runner-groups`, undefined, 'github_pat_revoked');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.body).toMatchObject({ message: 'Bad credentials' });
    expect(mismatches(unauthorized.body, basic)).toEqual([]);
    const denied = await (async () => {
      const weak = sandbox.server.github.createToken({});
      const fetch = fetchThrough(azureHttpClient({ ...process.env, ...sandbox.env }));
      const response = await fetch(`https://api.github.com/orgs/${ORG}/actions/runner-groups`, {
        headers: { authorization: `token ${weak}` },
      });
      return {
        status: response.status,
        body: (await response.json()) as unknown,
        accepted: response.headers.get('x-accepted-github-permissions'),
      };
    })();
    expect(denied.status).toBe(403);
    expect(mismatches(denied.body, basic)).toEqual([]);
    expect(denied.accepted).toBe('organization_self_hosted_runners=write');
    const invalid = await call('POST', `/orgs/${ORG}/settings/network-configurations`, { name: 'x', network_settings_ids: [] });
    expect(invalid.status).toBe(422);
    expect(mismatches(invalid.body, { $ref: '#/components/schemas/validation-error-simple' })).toEqual([]);
  });
});
