/**
 * Every string the config lets a user write, where ARM would read it as an expression, reaches the
 * template as the literal it is. The free-form fields are found from the config's JSON Schema, so a
 * field added later is covered without touching this test.
 */
import { describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/arm/resolve.js';
import { configJsonSchemaText } from '../../src/config/json-schema.js';
import { EnvironmentConfigSchema } from '../../src/config/schema.js';
import { renderTemplate } from '../../src/template/render.js';

/** What an attacker would write: ARM evaluates it to `INJECTED` unless it is escaped. */
const EXPRESSION = "[concat('INJECT', 'ED')]";

interface SchemaNode {
  type?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
}

/** A config with the expression in every string field whose schema accepts it, and the fields' paths. */
function configWithExpressionEverywhere(node: SchemaNode, path: string[], fields: string[]): unknown {
  const string = node.anyOf?.find((branch) => branch.type === 'string');
  if (string) return configWithExpressionEverywhere(string, path, fields);
  if (node.type === 'string' && node.enum === undefined && node.const === undefined) {
    // JSON Schema patterns are ECMA-262 with the u flag, as ajv and yaml-language-server read them (\p{L} needs it).
    if (node.pattern && !new RegExp(node.pattern, 'u').test(EXPRESSION)) return undefined;
    fields.push(path.join('.'));
    return EXPRESSION;
  }
  if (node.type !== 'object') return undefined;
  const value: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const inner = configWithExpressionEverywhere(child, [...path, key], fields);
    if (inner !== undefined) value[key] = inner;
  }
  if (typeof node.additionalProperties === 'object') {
    const inner = configWithExpressionEverywhere(node.additionalProperties, [...path, 'USER_KEY'], fields);
    if (inner !== undefined) value['USER_KEY'] = inner;
  }
  return Object.keys(value).length > 0 ? value : undefined;
}

function strings(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, found);
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      found.push(key);
      strings(item, found);
    }
  return found;
}

/** Fields the walk fills must sit beside these required ones to make a config at all. */
const REQUIRED_SIBLINGS = {
  sql: { entraAdmin: { objectId: '6f1c2a8e-4b0d-4c55-9a2e-3b1f0c7d9e11' } },
  baa: { signedDate: '2026-01-05', reviewedDate: '2026-01-05', sha256: 'a'.repeat(64) },
  ai: { openai: { abuseMonitoring: { approval: { approvedDate: '2026-01-05' } } } },
};

/** Fields of the walk that exclude one another: the abuse-monitoring record is an approval or a waiver. */
function withoutExclusive(walked: unknown): unknown {
  const record = (walked as { ai?: { openai?: { abuseMonitoring?: Record<string, unknown> } } }).ai?.openai?.abuseMonitoring;
  if (record) Reflect.deleteProperty(record, 'waiver');
  return walked;
}

function merge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || typeof over !== 'object' || over === null) return over ?? base;
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) merged[key] = merge(merged[key], value);
  return merged;
}

/** Parses the config, leaving out each expression a rule outside the JSON Schema refuses (the Redis name rule of its kind). */
function parseAccepted(input: Record<string, unknown>, fields: string[]) {
  for (;;) {
    const parsed = EnvironmentConfigSchema.safeParse(input);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const parent = issue.path
        .slice(0, -1)
        .reduce<Record<string, unknown>>((node, key) => node[key as string] as Record<string, unknown>, input);
      const key = issue.path.at(-1) as string;
      if (parent?.[key] !== EXPRESSION) throw new Error(`the test's config is wrong at ${issue.path.join('.')}: ${issue.message}`);
      Reflect.deleteProperty(parent, key);
      fields.splice(fields.indexOf(issue.path.join('.')), 1);
    }
  }
}

describe('user strings in the rendered template', () => {
  const fields: string[] = [];
  const walked = configWithExpressionEverywhere(JSON.parse(configJsonSchemaText()) as SchemaNode, [], fields);
  const config = parseAccepted(merge(REQUIRED_SIBLINGS, withoutExclusive(walked)) as Record<string, unknown>, fields);
  const template = renderTemplate(config);
  const deployed = resolveTemplate(template, { source: { file: 'main.json', value: template } }).resources;

  it('the schema walk reaches the free-form fields users fill in', () => {
    expect(fields).toEqual(expect.arrayContaining(['tags.USER_KEY', 'containerApp.image', 'containerApp.env.USER_KEY']));
  });

  it('are never evaluated by ARM: nothing deployed holds what the expression computes', () => {
    const evaluated = strings(deployed.map((resource) => [resource.name, resource.body]));
    expect(evaluated.filter((text) => text.includes('INJECTED'))).toEqual([]);
  });

  it('arrive as the literal the user wrote: tags, image, environment, SQL SKU and admin, the diagnostic setting name', () => {
    const app = deployed.find((resource) => resource.type === 'Microsoft.App/containerApps');
    const server = deployed.find((resource) => resource.type === 'Microsoft.Sql/servers');
    const database = deployed.find((resource) => resource.type === 'Microsoft.Sql/servers/databases');
    const container = (
      app?.body as { properties: { template: { containers: { image: string; env: { name: string; value?: string }[] }[] } } }
    ).properties.template.containers[0];
    expect(app?.body['tags']).toMatchObject({ USER_KEY: EXPRESSION });
    expect(container?.image).toBe(EXPRESSION);
    expect(container?.env.find((variable) => variable.name === 'USER_KEY')?.value).toBe(EXPRESSION);
    expect(container?.env.find((variable) => variable.name === 'AZURE_SQL_DATABASE')?.value).toBe(EXPRESSION);
    expect(server?.body).toMatchObject({ properties: { administrators: { login: EXPRESSION } } });
    expect(database?.body).toMatchObject({ sku: { name: EXPRESSION, tier: EXPRESSION } });
    expect(
      deployed.filter((resource) => resource.type === 'Microsoft.Insights/diagnosticSettings').map((resource) => resource.name),
    ).toContain(EXPRESSION);
  });

  it('what Azure answered for the running app (its image, its traffic split) is written as literals too', () => {
    const rendered = renderTemplate(EnvironmentConfigSchema.parse({}), {
      liveContainerApp: { image: EXPRESSION, traffic: [{ revisionName: EXPRESSION, weight: 100 }] },
    });
    const app = resolveTemplate(rendered, { source: { file: 'main.json', value: rendered } }).resources.find(
      (resource) => resource.type === 'Microsoft.App/containerApps',
    );
    expect(app?.body).toMatchObject({
      properties: {
        configuration: { ingress: { traffic: [{ revisionName: EXPRESSION, weight: 100 }] } },
        template: { containers: [{ image: EXPRESSION }] },
      },
    });
  });

  it('a plain string that merely starts with [ is written unchanged (ARM reads it as a literal already)', () => {
    const plain = EnvironmentConfigSchema.parse({ containerApp: { env: { ALLOWED_ORIGINS: '["https://app.example.com"] ' } } });
    const rendered = JSON.stringify(renderTemplate(plain));
    expect(rendered).toContain(JSON.stringify('["https://app.example.com"] '));
  });

  it('a JSON-array value, which is bracketed, arrives as the array text', () => {
    const json = EnvironmentConfigSchema.parse({ containerApp: { env: { ALLOWED_ORIGINS: '["https://app.example.com"]' } } });
    const rendered = renderTemplate(json);
    const app = resolveTemplate(rendered, { source: { file: 'main.json', value: rendered } }).resources.find(
      (resource) => resource.type === 'Microsoft.App/containerApps',
    );
    expect(JSON.stringify(app?.body)).toContain(JSON.stringify({ name: 'ALLOWED_ORIGINS', value: '["https://app.example.com"]' }));
  });
});
