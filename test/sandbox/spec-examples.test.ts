/**
 * The sandbox against Microsoft's REST API specs (reference/rest-api-specs). Every vendored
 * x-ms-examples file (Key Vault secrets 7.5; Microsoft.Resources 2024-03-01 and deployments
 * 2025-04-01) of an operation the product calls is read here, its request is built from the
 * swagger operation (path template, query and body parameters) and the example's `parameters`,
 * sent to the sandbox, and the answer is checked against the example's response for the status
 * the sandbox gave: the status is one the example declares, the body has the same property names
 * recursively with the same JSON types, the headers the example declares are there, and every enum
 * value is one the swagger allows. Each substitution the sandbox forces is said where it is made.
 * Then one test per rule of the specs the sandbox follows (ids, purge dates, backup and restore,
 * paging limits, api-version, error headers, correlation ids, resource group list / patch / delete,
 * deployment HEAD / list, templateLink, complete mode, what-if deltas).
 *
 * All traffic goes to 127.0.0.1; the Azure host name is used only for SNI and `Host`.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { changesFromWhatIf } from '../../src/provision/changes.js';

const SPECS = resolve(import.meta.dirname, '../../reference/rest-api-specs/specification');
const KV_DIR = join(SPECS, 'keyvault/data-plane/Microsoft.KeyVault/stable/7.5');
const KV_SWAGGER = join(KV_DIR, 'secrets.json');
const RES_DIR = join(SPECS, 'resources/resource-manager/Microsoft.Resources/stable/2024-03-01');
const RES_SWAGGER = join(RES_DIR, 'resources.json');
const DEP25_DIR = join(SPECS, 'resources/resource-manager/Microsoft.Resources/deployments/stable/2025-04-01');
const ARM = 'management.azure.com';
const MISSING_API_VERSION = 'The api-version query parameter (?api-version=) is required for all requests.';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value inside a JSON body by a path such as `properties.changes[0].delta`. */
function pick(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split(/\.|(?=\[)/).filter(Boolean)) {
    const index = /^\[(\d+)\]$/.exec(part)?.[1];
    if (index !== undefined) current = Array.isArray(current) ? current[Number(index)] : undefined;
    else current = isObject(current) ? current[part] : undefined;
  }
  return current;
}

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

// ------------------------------------------------------------------ swagger

/** Just enough of a swagger reader: operations, their parameters and response schemas, and enums. */
class Swagger {
  private readonly docs = new Map<string, Json>();

  private doc(file: string): Json {
    let doc = this.docs.get(file);
    if (!doc) this.docs.set(file, (doc = readJson(file)));
    return doc;
  }

  deref(node: unknown, file: string): { node: Json | undefined; file: string } {
    let current: unknown = node;
    let at = file;
    for (let guard = 0; isObject(current) && typeof current['$ref'] === 'string' && guard < 20; guard++) {
      const [target = '', pointer = ''] = current['$ref'].split('#');
      at = target ? resolve(dirname(at), target) : at;
      let value: unknown = this.doc(at);
      for (const part of pointer.split('/').filter(Boolean)) value = isObject(value) ? value[part.replace(/~1/g, '/')] : undefined;
      current = value;
    }
    return { node: isObject(current) ? current : undefined, file: at };
  }

  operation(file: string, operationId: string): { path: string; method: string; parameters: Json[]; op: Json } {
    for (const [path, operations] of Object.entries(this.doc(file)['paths'] as Json))
      for (const [method, op] of Object.entries(operations as Json))
        if (isObject(op) && op['operationId'] === operationId) {
          const shared = ((operations as Json)['parameters'] as unknown[] | undefined) ?? [];
          const own = (op['parameters'] as unknown[] | undefined) ?? [];
          const parameters = [...shared, ...own].map((p) => this.deref(p, file).node).filter((p): p is Json => p !== undefined);
          return { path, method: method.toUpperCase(), parameters, op };
        }
    throw new Error(`no operation ${operationId} in ${file}`);
  }

  /** The operation whose x-ms-examples name this example file. */
  operationOfExample(file: string, exampleFile: string): string {
    for (const operations of Object.values(this.doc(file)['paths'] as Json))
      for (const op of Object.values(operations as Json)) {
        if (!isObject(op) || !isObject(op['x-ms-examples'])) continue;
        for (const ref of Object.values(op['x-ms-examples']))
          if (isObject(ref) && resolve(dirname(file), String(ref['$ref'])) === exampleFile) return String(op['operationId']);
      }
    throw new Error(`no operation names ${exampleFile}`);
  }

  responseSchema(file: string, operationId: string, status: number): { node: Json | undefined; file: string } {
    const responses = this.operation(file, operationId).op['responses'] as Json;
    const response = (responses[String(status)] ?? responses['default']) as Json | undefined;
    return { node: isObject(response?.['schema']) ? (response['schema'] as Json) : undefined, file };
  }

  /** Enum values in `value` the schema does not allow, with their paths. */
  enumViolations(value: unknown, schema: unknown, file: string, path = '', out: string[] = []): string[] {
    const { node, file: at } = this.deref(schema, file);
    if (!node) return out;
    for (const parent of (node['allOf'] as unknown[] | undefined) ?? []) this.enumViolations(value, parent, at, path, out);
    const allowed = node['enum'];
    if (Array.isArray(allowed) && typeof value === 'string' && !allowed.includes(value))
      out.push(`${path}: '${value}' is not one of ${allowed.join(', ')}`);
    if (Array.isArray(value) && node['items'] !== undefined)
      value.forEach((item, index) => this.enumViolations(item, node['items'], at, `${path}[${index}]`, out));
    if (isObject(value)) {
      const properties = isObject(node['properties']) ? node['properties'] : {};
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${key}` : key;
        if (properties[key] !== undefined) this.enumViolations(child, properties[key], at, childPath, out);
        else if (isObject(node['additionalProperties'])) this.enumViolations(child, node['additionalProperties'], at, childPath, out);
      }
    }
    return out;
  }
}

const swagger = new Swagger();

/** Differences in shape: `missing <path>`, `extra <path>`, `type <path>: example X, sandbox Y`. Array items become `[]`. */
function shapeDifferences(actual: unknown, example: unknown, path = '', out: string[] = []): string[] {
  const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  if (typeOf(actual) !== typeOf(example)) {
    out.push(`type ${path}: example ${typeOf(example)}, sandbox ${typeOf(actual)}`);
    return out;
  }
  if (Array.isArray(actual) && Array.isArray(example)) {
    if (example.length > 0)
      actual.forEach((item, index) => shapeDifferences(item, example[Math.min(index, example.length - 1)], `${path}[]`, out));
    return out;
  }
  if (isObject(actual) && isObject(example)) {
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const key of Object.keys(example)) if (!(key in actual)) out.push(`missing ${at(key)}`);
    for (const key of Object.keys(actual)) if (!(key in example)) out.push(`extra ${at(key)}`);
    for (const key of Object.keys(example)) if (key in actual) shapeDifferences(actual[key], example[key], at(key), out);
  }
  return [...new Set(out)];
}

// ------------------------------------------------------------------ transport

let sandbox: Sandbox;
let agent: Agent;
let subscriptionId: string;
const tokens = new Map<string, string>();
/** Every body the sandbox sent, to check its wording. */
const bodies: string[] = [];

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function http(host: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: sandbox.server.port,
        method,
        path,
        servername: host,
        agent,
        headers: {
          host,
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          bodies.push(text);
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') flat[name.toLowerCase()] = value;
          resolvePromise({ status: incoming.statusCode ?? 0, headers: flat, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function token(resource: string): Promise<string> {
  const cached = tokens.get(resource);
  if (cached) return cached;
  const { tenantId, clientId, clientSecret } = sandbox.server.identity;
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    scope: `${resource}/.default`,
  });
  const payload = form.toString();
  const answer = await new Promise<string>((resolvePromise, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: sandbox.server.port,
        method: 'POST',
        path: `/${tenantId}/oauth2/v2.0/token`,
        servername: 'login.microsoftonline.com',
        agent,
        headers: {
          host: 'login.microsoftonline.com',
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (incoming) => {
        let text = '';
        incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
        incoming.on('end', () => resolvePromise(text));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
  const accessToken = (JSON.parse(answer) as { access_token: string }).access_token;
  tokens.set(resource, accessToken);
  return accessToken;
}

/** A call with a token for the host's audience (unless `auth: false`). */
async function call(
  host: string,
  method: string,
  path: string,
  body?: unknown,
  options: { auth?: boolean; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const audience = host.endsWith('.vault.azure.net') ? 'https://vault.azure.net' : 'https://management.azure.com';
  const authorization: Record<string, string> = options.auth === false ? {} : { authorization: `Bearer ${await token(audience)}` };
  return http(host, method, path, body, { ...authorization, ...options.headers });
}

const kv = (method: string, path: string, body?: unknown) => call('myvault.vault.azure.net', method, path, body);
const arm = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  call(ARM, method, path, body, headers ? { headers } : {});
const sleep = (ms: number) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

// ------------------------------------------------------------------ examples

interface Example {
  file: string;
  parameters: Json;
  responses: Record<string, { body?: unknown; headers?: Record<string, string> }>;
}

function example(file: string): Example {
  const content = readJson(file);
  return { file, parameters: content['parameters'] as Json, responses: content['responses'] as Example['responses'] };
}

/** The request an example describes: the swagger operation's path with the example's values, its query and body parameters. */
function exampleRequest(
  swaggerFile: string,
  operationId: string,
  parameters: Json,
): { host: string; method: string; path: string; body?: unknown } {
  const { path: template, method, parameters: declared } = swagger.operation(swaggerFile, operationId);
  const path = template.replace(/\{([^}]+)\}/g, (_match, name: string) => encodeURIComponent(String(parameters[name])));
  const query: string[] = [];
  let body: unknown;
  for (const parameter of declared) {
    const value = parameters[String(parameter['name'])];
    if (value === undefined) continue;
    if (parameter['in'] === 'query') query.push(`${String(parameter['name'])}=${encodeURIComponent(String(value))}`);
    if (parameter['in'] === 'body') body = value;
  }
  const vaultBaseUrl = parameters['vaultBaseUrl'];
  const host = typeof vaultBaseUrl === 'string' ? new URL(vaultBaseUrl).host : ARM;
  return { host, method, path: `${path}${query.length ? `?${query.join('&')}` : ''}`, ...(body !== undefined ? { body } : {}) };
}

/**
 * Sends an example's request (after `substitute` changed what the sandbox forces: subscription id,
 * generated versions, templateLink) and checks the answer against the example's response for the
 * status the sandbox gave. `allowed` maps each tolerated shape difference to the reason.
 */
async function runExample(
  exampleFile: string,
  options: {
    swaggerFile: string;
    operationId?: string;
    substitute?: (parameters: Json) => void;
    allowed?: Record<string, string>;
    status?: number;
  },
): Promise<{ answer: Answer; example: Example }> {
  const ex = example(exampleFile);
  const parameters = structuredClone(ex.parameters);
  options.substitute?.(parameters);
  const operationId = options.operationId ?? swagger.operationOfExample(options.swaggerFile, exampleFile);
  const built = exampleRequest(options.swaggerFile, operationId, parameters);
  const answer = await call(built.host, built.method, built.path, built.body);
  expectExampleAnswer(answer, ex, options.swaggerFile, operationId, options);
  return { answer, example: ex };
}

function expectExampleAnswer(
  answer: Answer,
  ex: Example,
  swaggerFile: string,
  operationId: string,
  options: { allowed?: Record<string, string>; status?: number },
): void {
  expect(Object.keys(ex.responses), `${ex.file}: status ${answer.status} ${JSON.stringify(answer.body)}`).toContain(String(answer.status));
  if (options.status !== undefined) expect(answer.status).toBe(options.status);
  const expected = ex.responses[String(answer.status)];
  for (const header of Object.keys(expected?.headers ?? {})) expect(answer.headers, header).toHaveProperty(header.toLowerCase());
  if (expected?.body === undefined) expect(answer.body).toBeUndefined();
  else {
    const unexpected = shapeDifferences(answer.body, expected.body).filter((difference) => !(difference in (options.allowed ?? {})));
    expect(unexpected, `${ex.file} ${answer.status}: ${JSON.stringify(answer.body)}`).toEqual([]);
  }
  const schema = swagger.responseSchema(swaggerFile, operationId, answer.status);
  if (schema.node && answer.body !== undefined) expect(swagger.enumViolations(answer.body, schema.node, schema.file)).toEqual([]);
}

// ------------------------------------------------------------------ fixtures

const kvExample = (name: string) => join(KV_DIR, 'examples', name);
const resExample = (name: string) => join(RES_DIR, 'examples', name);
const dep25Example = (name: string) => join(DEP25_DIR, 'examples', name);
const rgPath = (group: string) => `/subscriptions/${subscriptionId}/resourcegroups/${group}`;
const deploymentPath = (group: string, name: string) => `${rgPath(group)}/providers/Microsoft.Resources/deployments/${name}`;

/** Substitution every ARM example needs: the example's subscription is not the sandbox's, which 404s any other. */
const ownSubscription = (parameters: Json) => void (parameters['subscriptionId'] = subscriptionId);

function template(resources: Json[], extra: Json = {}): Json {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    ...extra,
    resources,
  };
}

const identity = (name: string, location: string, tags?: Record<string, string>): Json => ({
  type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
  apiVersion: '2023-01-31',
  name,
  location,
  ...(tags ? { tags } : {}),
});

const storageAccount = (name: string): Json => ({
  type: 'Microsoft.Storage/storageAccounts',
  apiVersion: '2025-06-01',
  name,
  location: 'eastus',
  kind: 'StorageV2',
  sku: { name: 'Standard_LRS' },
  properties: {},
});

/**
 * The inline equivalent of the examples' linked template: one storage account in eastus, as their
 * responses' `providers` and `outputResources` show. The examples' account name `my-storage-account`
 * is not a valid storage account name (hyphens), so the account is `mystorageaccount`.
 */
const storageTemplate = () => template([storageAccount('mystorageaccount')]);

/** The inline equivalent of the on-error examples' template: VNet1 with Subnet1 and Subnet2 in centralus, with their responses' dependencies. */
const vnetTemplate = () =>
  template([
    {
      type: 'Microsoft.Network/virtualNetworks',
      apiVersion: '2024-05-01',
      name: 'VNet1',
      location: 'centralus',
      properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] } },
    },
    {
      type: 'Microsoft.Network/virtualNetworks/subnets',
      apiVersion: '2024-05-01',
      name: 'VNet1/Subnet1',
      dependsOn: ['VNet1'],
      properties: { addressPrefix: '10.0.0.0/24' },
    },
    {
      type: 'Microsoft.Network/virtualNetworks/subnets',
      apiVersion: '2024-05-01',
      name: 'VNet1/Subnet2',
      dependsOn: ['VNet1', 'VNet1/Subnet1'],
      properties: { addressPrefix: '10.0.1.0/24' },
    },
  ]);

/** Replaces an example's templateLink with an inline template: nothing outside 127.0.0.1 can be fetched. */
function inlineTemplate(content: Json): (parameters: Json) => void {
  return (parameters) => {
    ownSubscription(parameters);
    const properties = (parameters['parameters'] as Json)['properties'] as Json;
    delete properties['templateLink'];
    properties['template'] = content;
  };
}

/** The examples' responses show `templateLink` because their request linked the template; an inline template has none. */
const NO_TEMPLATE_LINK = { 'missing properties.templateLink': 'the request carries the template inline (templateLink substituted)' };

async function pollDeployment(group: string, name: string): Promise<Answer> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const answer = await arm('GET', `${deploymentPath(group, name)}?api-version=2024-03-01`);
    const state = pick(answer.body, 'properties.provisioningState');
    if (state !== 'Accepted' && state !== 'Running') return answer;
    await sleep(10);
  }
  throw new Error(`deployment ${name} did not finish`);
}

async function deploy(group: string, name: string, content: Json, extra: Json = {}): Promise<Answer> {
  const put = await arm('PUT', `${deploymentPath(group, name)}?api-version=2024-03-01`, {
    properties: { mode: 'Incremental', template: content, ...extra },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(201);
  return pollDeployment(group, name);
}

async function whatIf(group: string, content: Json, mode = 'Incremental'): Promise<unknown> {
  const accepted = await arm('POST', `${deploymentPath(group, 'what-if')}/whatIf?api-version=2024-03-01`, {
    properties: { mode, template: content },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
  const location = new URL(accepted.headers['location'] as string);
  return (await arm('GET', `${location.pathname}${location.search}`)).body;
}

async function createGroup(name: string, location = 'eastus', tags?: Record<string, string>): Promise<Answer> {
  return arm('PUT', `${rgPath(name)}?api-version=2024-03-01`, { location, ...(tags ? { tags } : {}) });
}

const versionOf = (answer: Answer) => String(pick(answer.body, 'id')).split('/').at(-1) as string;

beforeAll(async () => {
  sandbox = await startSandbox({ vaults: ['myvault', 'othervault'], latencyMs: 0, armTimeScale: 0.001 });
  agent = new Agent({ ca: readFileSync(sandbox.caCert), keepAlive: true });
  subscriptionId = sandbox.server.identity.subscriptionId;
});
afterAll(async () => {
  agent?.destroy();
  await sandbox?.stop();
});

// ------------------------------------------------------------------ Key Vault 7.5 examples

describe('Key Vault 7.5 examples, sent as they are', () => {
  const swaggerFile = KV_SWAGGER;
  /**
   * Properties the sandbox sends that the examples, older than the service, leave out. Both are
   * declared (readOnly) in secrets.json's SecretAttributes, and the service sends them.
   */
  const attributes = {
    'extra attributes.recoverableDays': 'SecretAttributes.recoverableDays (readOnly), sent with every soft-delete vault',
    'extra value[].attributes.recoverableDays': 'SecretAttributes.recoverableDays (readOnly), sent with every soft-delete vault',
    'extra value[].attributes.recoveryLevel': 'SecretAttributes.recoveryLevel (readOnly); GetSecrets-example.json predates it',
  };

  it('GetSecrets: a page of items with base ids and a nextLink (maxresults=1)', async () => {
    // The example's vault state: secrets listsecrettest0.. with content type plainText.
    for (const name of ['listsecrettest0', 'listsecrettest1'])
      await kv('PUT', `/secrets/${name}?api-version=7.5`, { value: 'x', contentType: 'plainText' });
    const { answer } = await runExample(kvExample('GetSecrets-example.json'), { swaggerFile, allowed: attributes });
    expect(pick(answer.body, 'value[0].id')).toBe('https://myvault.vault.azure.net/secrets/listsecrettest0');
  });

  it('GetDeletedSecrets: a page of deleted items with recovery id, deleted and purge dates', async () => {
    for (const name of ['listdeletedsecrettest0', 'listdeletedsecrettest1']) {
      await kv('PUT', `/secrets/${name}?api-version=7.5`, { value: 'x', contentType: 'plainText' });
      await kv('DELETE', `/secrets/${name}?api-version=7.5`);
    }
    const { answer } = await runExample(kvExample('GetDeletedSecrets-example.json'), {
      swaggerFile,
      // The example's $skiptoken was issued by another vault; the sandbox's tokens are its own, so the first page is asked for.
      substitute: (parameters) => void delete parameters['$skiptoken'],
      allowed: attributes,
    });
    expect(pick(answer.body, 'value[0].id')).toBe('https://myvault.vault.azure.net/secrets/listdeletedsecrettest0');
  });

  it('SetSecret, then UpdateSecret and GetSecret of the version it made', async () => {
    const { answer: set } = await runExample(kvExample('SetSecret-example.json'), { swaggerFile, allowed: attributes });
    // The examples' version ids were generated by another vault; the version this vault generated is used.
    await runExample(kvExample('UpdateSecret-example.json'), {
      swaggerFile,
      substitute: (parameters) => void (parameters['secret-version'] = versionOf(set)),
      allowed: attributes,
    });
    const seeded = await kv('PUT', '/secrets/mysecretname?api-version=7.5', { value: 'mysecretvalue' });
    const { answer: got } = await runExample(kvExample('GetSecret-example.json'), {
      swaggerFile,
      substitute: (parameters) => void (parameters['secret-version'] = versionOf(seeded)),
      allowed: attributes,
    });
    expect(pick(got.body, 'value')).toBe('mysecretvalue');
  });

  it('DeleteSecret, then GetDeletedSecret', async () => {
    await kv('PUT', '/secrets/GetDeletedSecretTest?api-version=7.5', { value: 'x' });
    await runExample(kvExample('DeleteSecret-example.json'), { swaggerFile, allowed: attributes });
    await runExample(kvExample('GetDeletedSecret-example.json'), { swaggerFile, allowed: attributes });
  });

  it('RecoverDeletedSecret', async () => {
    await kv('PUT', '/secrets/SecretCreateDeleteRecoverPurgeTest?api-version=7.5', { value: 'x' });
    await kv('DELETE', '/secrets/SecretCreateDeleteRecoverPurgeTest?api-version=7.5');
    await runExample(kvExample('RecoverDeletedSecret-example.json'), { swaggerFile, allowed: attributes });
  });

  it('BackupSecret, then PurgeDeletedSecret of the same secret (204, no body)', async () => {
    await kv('PUT', '/secrets/testsecret?api-version=7.5', { value: 'made-up-backup-value' });
    const { answer } = await runExample(kvExample('BackupSecret-example.json'), { swaggerFile });
    expect(pick(answer.body, 'value')).toMatch(/^[A-Za-z0-9_-]+$/);
    await kv('DELETE', '/secrets/testsecret?api-version=7.5');
    await runExample(kvExample('PurgeDeletedSecret-example.json'), { swaggerFile, status: 204 });
  });

  it('RestoreSecret of a backup this vault made', async () => {
    // The example's restored secret: content type text, nbf and exp as its response shows.
    await kv('PUT', '/secrets/SecretBackupRestoreTest?api-version=7.5', {
      value: 'x',
      contentType: 'text',
      attributes: { nbf: 1262332800, exp: 1893484800 },
    });
    const backup = await kv('POST', '/secrets/SecretBackupRestoreTest/backup?api-version=7.5');
    await kv('DELETE', '/secrets/SecretBackupRestoreTest?api-version=7.5');
    expect((await kv('DELETE', '/deletedsecrets/SecretBackupRestoreTest?api-version=7.5')).status).toBe(204);
    const { answer } = await runExample(kvExample('RestoreSecret-example.json'), {
      swaggerFile,
      // The example's blob is another vault's backup; the sandbox restores only blobs it issued, so its own blob is sent.
      substitute: (parameters) => void ((parameters['parameters'] as Json)['value'] = pick(backup.body, 'value')),
      allowed: attributes,
      status: 200,
    });
    expect(pick(answer.body, 'id')).toMatch(/^https:\/\/myvault\.vault\.azure\.net\/secrets\/SecretBackupRestoreTest\/[0-9a-f]{32}$/);
  });
});

// ------------------------------------------------------------------ Key Vault rules

describe('Key Vault rules from secrets.json and common.json', () => {
  const keyVaultError = { error: { code: expect.any(String), message: expect.any(String) } };

  it('K1: GetSecrets and GetDeletedSecrets list base ids without a version segment; GetSecretVersions keeps versions', async () => {
    await kv('PUT', '/secrets/k1-secret?api-version=7.5', { value: 'a' });
    await kv('PUT', '/secrets/k1-secret?api-version=7.5', { value: 'b' });
    const listed = await kv('GET', '/secrets?api-version=7.5');
    const ids = (pick(listed.body, 'value') as Json[]).map((item) => String(item['id']));
    expect(ids).toContain('https://myvault.vault.azure.net/secrets/k1-secret');
    expect(ids.every((id) => /\/secrets\/[0-9a-zA-Z-]+$/.test(id))).toBe(true);
    await kv('DELETE', '/secrets/k1-secret?api-version=7.5');
    const deleted = await kv('GET', '/deletedsecrets?api-version=7.5');
    expect((pick(deleted.body, 'value') as Json[]).map((item) => item['id'])).toContain(
      'https://myvault.vault.azure.net/secrets/k1-secret',
    );
    await kv('POST', '/deletedsecrets/k1-secret/recover?api-version=7.5');
    const versions = await kv('GET', '/secrets/k1-secret/versions?api-version=7.5');
    for (const item of pick(versions.body, 'value') as Json[]) expect(item['id']).toMatch(/\/secrets\/k1-secret\/[0-9a-f]{32}$/);
  });

  it('K2: a deleted secret carries recoveryId, deletedDate and scheduledPurgeDate = deletedDate + 90 days, everywhere', async () => {
    await kv('PUT', '/secrets/k2-secret?api-version=7.5', { value: 'a' });
    const views = [await kv('DELETE', '/secrets/k2-secret?api-version=7.5'), await kv('GET', '/deletedsecrets/k2-secret?api-version=7.5')];
    const list = await kv('GET', '/deletedsecrets?api-version=7.5');
    const item = (pick(list.body, 'value') as Json[]).find((entry) => String(entry['id']).endsWith('/k2-secret'));
    for (const view of [...views.map((answer) => answer.body), item]) {
      expect(view).toMatchObject({
        recoveryId: 'https://myvault.vault.azure.net/deletedsecrets/k2-secret',
        deletedDate: expect.any(Number),
      });
      expect(pick(view, 'scheduledPurgeDate')).toBe((pick(view, 'deletedDate') as number) + 90 * 86_400);
    }
  });

  it('K3/K4: the backup blob only names a backup kept by the service; restore works in another vault, 409 when the name exists, 400 for an unknown blob', async () => {
    await kv('PUT', '/secrets/k3-secret?api-version=7.5', { value: 'made-up-k3-value', tags: { app: 'x' } });
    const backup = await kv('POST', '/secrets/k3-secret/backup?api-version=7.5');
    expect(backup.status).toBe(200);
    const blob = String(pick(backup.body, 'value'));
    expect(Buffer.from(blob, 'base64url').toString('utf8')).not.toContain('made-up-k3-value');
    expect(blob).not.toContain(Buffer.from('made-up-k3-value').toString('base64url').slice(0, 12));

    const conflict = await kv('POST', '/secrets/restore?api-version=7.5', { value: blob });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: 'Conflict' } });
    expect(conflict.headers['x-ms-error-code']).toBe('Conflict');

    const other = await call('othervault.vault.azure.net', 'POST', '/secrets/restore?api-version=7.5', { value: blob });
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({
      id: expect.stringMatching(/^https:\/\/othervault\.vault\.azure\.net\/secrets\/k3-secret\//),
      tags: { app: 'x' },
    });
    expect(other.body).not.toHaveProperty('value');
    const restored = await call('othervault.vault.azure.net', 'GET', '/secrets/k3-secret?api-version=7.5');
    expect(pick(restored.body, 'value') === 'made-up-k3-value').toBe(true);

    for (const value of ['bm90LWEtYmFja3Vw', 'not base64url!', 42]) {
      const bad = await kv('POST', '/secrets/restore?api-version=7.5', { value });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { code: 'BadParameter' } });
    }
    const missing = await kv('POST', '/secrets/no-such-secret/backup?api-version=7.5');
    expect(missing.status).toBe(404);
  });

  it('K5: maxresults outside 1..25 or not an integer is 400 BadParameter in a KeyVaultError; 1 and 25 are served', async () => {
    for (const path of ['/secrets', '/deletedsecrets', '/secrets/listsecrettest0/versions'])
      for (const maxresults of ['0', '26', '-1', 'abc', '1.5', '']) {
        const answer = await kv('GET', `${path}?api-version=7.5&maxresults=${maxresults}`);
        expect(answer.status, `${path} maxresults=${maxresults}`).toBe(400);
        expect(answer.body).toMatchObject({ error: { code: 'BadParameter', message: expect.stringContaining('maxresults') } });
        expect(answer.headers['x-ms-error-code']).toBe('BadParameter');
      }
    expect((await kv('GET', '/secrets?api-version=7.5&maxresults=1')).status).toBe(200);
    expect((await kv('GET', '/secrets?api-version=7.5&maxresults=25')).status).toBe(200);
  });

  it('K6: a request without api-version is 400 BadParameter naming the api-version query parameter, and changes nothing', async () => {
    for (const [method, path, body] of [
      ['GET', '/secrets', undefined],
      ['GET', '/secrets/listsecrettest0', undefined],
      ['PUT', '/secrets/no-api-version', { value: 'x' }],
    ] as const) {
      const answer = await kv(method, path, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        error: { code: 'BadParameter', message: expect.stringContaining("'api-version' query parameter") },
      });
      expect(answer.headers['x-ms-error-code']).toBe('BadParameter');
    }
    expect((await kv('GET', '/secrets/no-api-version?api-version=7.5')).status).toBe(404);
  });

  it('K7: every Key Vault error carries x-ms-error-code equal to error.code', async () => {
    await kv('PUT', '/secrets/k7-disabled?api-version=7.5', { value: 'x', attributes: { enabled: false } });
    await kv('PUT', '/secrets/k7-deleted?api-version=7.5', { value: 'x' });
    await kv('DELETE', '/secrets/k7-deleted?api-version=7.5');
    const answers = [
      await call('myvault.vault.azure.net', 'GET', '/secrets?api-version=7.5', undefined, { auth: false }),
      await kv('GET', '/secrets/no-such-secret?api-version=7.5'),
      await kv('GET', '/deletedsecrets/no-such-secret?api-version=7.5'),
      await kv('GET', '/secrets/k7-disabled?api-version=7.5'),
      await kv('PUT', '/secrets/k7-deleted?api-version=7.5', { value: 'y' }),
      await kv('PUT', '/secrets/k7-no-value?api-version=7.5', {}),
      await kv('GET', '/secrets/bad_name?api-version=7.5'),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([401, 404, 404, 403, 409, 400, 400]);
    for (const answer of answers) {
      expect(answer.body).toMatchObject(keyVaultError);
      expect(answer.headers['x-ms-error-code']).toBe(pick(answer.body, 'error.code'));
    }
  });
});

// ------------------------------------------------------------------ Microsoft.Resources examples

describe('Microsoft.Resources 2024-03-01 and deployments 2025-04-01 examples', () => {
  const swaggerFile = RES_SWAGGER;
  const group = 'my-resource-group';
  /** The swagger declares ResourceGroup.type (readOnly); the example leaves it out. */
  const groupType = { 'extra type': 'ResourceGroup.type, declared readOnly in resources.json' };

  it('ResourceGroups_CreateOrUpdate: 201 for a new group, 200 for an existing one, no tags when none were sent', async () => {
    const { answer: created } = await runExample(resExample('CreateResourceGroup.json'), {
      swaggerFile,
      substitute: ownSubscription,
      allowed: groupType,
      status: 201,
    });
    expect(created.body).not.toHaveProperty('tags');
    const { answer: again } = await runExample(resExample('CreateResourceGroup.json'), {
      swaggerFile,
      substitute: ownSubscription,
      allowed: groupType,
      status: 200,
    });
    expect(again.body).not.toHaveProperty('tags');
  });

  for (const [label, file] of [
    ['2024-03-01', resExample('PostDeploymentWhatIfOnResourceGroup.json')],
    ['2025-04-01', dep25Example('PostDeploymentWhatIfOnResourceGroup.json')],
  ] as const)
    it(`Deployments_WhatIf (${label}): 202 with Location, then 200 with the example's Modify (leaf path tags.myNewTag) and Create`, async () => {
      // The example's state: myExistingIdentity in westus2 without tags. Its identities are api-version 2018-11-30, for
      // which the sandbox has no schema; 2023-01-31 is used instead.
      const existingId = `${rgPath(group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myExistingIdentity`;
      const existing = await arm('PUT', `${existingId}?api-version=2023-01-31`, { location: 'westus2' });
      expect(existing.status).toBeLessThan(300);
      await sleep(20);
      const content = template([
        identity('myExistingIdentity', 'westus2', { myNewTag: 'my tag value' }),
        identity('myNewIdentity', 'eastus', { myOtherNewTag: 'another new tag value' }),
      ]);
      const { answer } = await runExample(file, {
        swaggerFile,
        operationId: 'Deployments_WhatIf',
        substitute: inlineTemplate(content),
        status: 202,
      });
      const location = new URL(answer.headers['location'] as string);
      expect(location.host).toBe(ARM);
      const result = await arm('GET', `${location.pathname}${location.search}`);
      expectExampleAnswer(result, example(file), swaggerFile, 'Deployments_WhatIf', { status: 200 });
      expect(pick(result.body, 'properties.changes[0].delta')).toEqual([
        { path: 'tags.myNewTag', propertyChangeType: 'Create', after: 'my tag value' },
      ]);
    });

  for (const [label, file] of [
    ['2024-03-01', resExample('PutDeploymentResourceGroup.json')],
    ['2025-04-01', dep25Example('PutDeploymentResourceGroup.json')],
  ] as const)
    it(`Deployments_CreateOrUpdate (${label}, inline template): 201, then Deployments_Get 200 as the example's Succeeded body`, async () => {
      await runExample(file, {
        swaggerFile,
        operationId: 'Deployments_CreateOrUpdate',
        substitute: inlineTemplate(storageTemplate()),
        allowed: NO_TEMPLATE_LINK,
        status: 201,
      });
      const done = await pollDeployment(group, 'my-deployment');
      expect(pick(done.body, 'properties.provisioningState')).toBe('Succeeded');
      // Deployments_Get returns the same DeploymentExtended the example shows for 200.
      expectExampleAnswer(done, example(file), swaggerFile, 'Deployments_CreateOrUpdate', { status: 200, allowed: NO_TEMPLATE_LINK });
    });

  it('Deployments_CreateOrUpdate with a template spec id (inline template instead): 201 as the example', async () => {
    await runExample(resExample('PutDeploymentResourceGroupTemplateSpecsWithId.json'), {
      swaggerFile,
      substitute: inlineTemplate(storageTemplate()),
      allowed: NO_TEMPLATE_LINK,
      status: 201,
    });
    await pollDeployment(group, 'my-deployment');
  });

  it('Deployments_Validate (2025-04-01): 200 as the example; the 400 scenario (storage account "a") nested as the example', async () => {
    const file = dep25Example('PostDeploymentValidateOnResourceGroup.json');
    await runExample(file, {
      swaggerFile,
      operationId: 'Deployments_Validate',
      substitute: inlineTemplate(storageTemplate()),
      allowed: NO_TEMPLATE_LINK,
      status: 200,
    });
    // The example's 400 answers a template whose storage account is named "a"; that template is sent inline.
    const { answer } = await runExample(file, {
      swaggerFile,
      operationId: 'Deployments_Validate',
      substitute: inlineTemplate(template([storageAccount('a')])),
      status: 400,
    });
    expect(answer.body).toEqual({
      error: {
        code: 'InvalidTemplateDeployment',
        message: `The template deployment 'my-deployment' is not valid according to the validation procedure. The tracking id is '${answer.headers['x-ms-correlation-request-id']}'. See inner errors for details.`,
        details: [
          {
            code: 'PreflightValidationCheckFailed',
            message: 'Preflight validation failed. Please refer to the details for the specific errors.',
            details: [
              {
                code: 'AccountNameInvalid',
                target: 'a',
                message:
                  'a is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.',
              },
            ],
          },
        ],
      },
    });
  });

  it('Deployments_CreateOrUpdate in complete mode with onErrorDeployment (both examples, inline template): 201 as the examples', async () => {
    // The examples name an earlier successful deployment to fall back to: the state they assume.
    expect(pick((await deploy(group, 'name-of-deployment-to-use', vnetTemplate())).body, 'properties.provisioningState')).toBe('Succeeded');
    for (const file of [
      resExample('PutDeploymentWithOnErrorDeploymentSpecificDeployment.json'),
      resExample('PutDeploymentWithOnErrorDeploymentLastSuccessful.json'),
    ]) {
      const { answer } = await runExample(file, {
        swaggerFile,
        substitute: inlineTemplate(vnetTemplate()),
        allowed: {
          ...NO_TEMPLATE_LINK,
          'extra properties.templateHash':
            'DeploymentPropertiesExtended.templateHash; PutDeploymentResourceGroup.json shows it for the same operation',
        },
        status: 201,
      });
      expect(pick(answer.body, 'properties.onErrorDeployment.deploymentName')).toBe('name-of-deployment-to-use');
      expect(pick(answer.body, 'properties.mode')).toBe('Complete');
      expect(pick((await pollDeployment(group, 'my-deployment')).body, 'properties.provisioningState')).toBe('Succeeded');
    }
  });

  it('ResourceGroups_Delete (both force-deletion examples): 202 with location, polled 202 until 200, then the group is gone', async () => {
    // Slower than the other tests, so that the first poll finds the deletion still running.
    sandbox.server.arm.timeScale = 0.02;
    onTestFinished(() => void (sandbox.server.arm.timeScale = 0.001));
    for (const file of [resExample('ForceDeleteVMsInResourceGroup.json'), resExample('ForceDeleteVMsAndVMSSInResourceGroup.json')]) {
      if ((await arm('HEAD', `${rgPath(group)}?api-version=2024-03-01`)).status === 404) await createGroup(group);
      const { answer } = await runExample(file, { swaggerFile, substitute: ownSubscription, status: 202 });
      const location = new URL(answer.headers['location'] as string);
      expect(location.pathname).toMatch(new RegExp(`^/subscriptions/${subscriptionId}/operationresults/`));
      let poll = await arm('GET', `${location.pathname}${location.search}`);
      expect(poll.status).toBe(202);
      expect(poll.headers['location']).toBe(answer.headers['location']);
      while (poll.status === 202) {
        await sleep(5);
        poll = await arm('GET', `${location.pathname}${location.search}`);
      }
      expectExampleAnswer(poll, example(file), swaggerFile, 'ResourceGroups_Delete', { status: 200 });
      expect((await arm('GET', `${rgPath(group)}?api-version=2024-03-01`)).status).toBe(404);
    }
  });
});

// ------------------------------------------------------------------ Microsoft.Resources rules

describe('Microsoft.Resources rules from resources.json', () => {
  const v = 'api-version=2024-03-01';

  it('R1: a group created without tags has no tags property; with tags it has them', async () => {
    const plain = await createGroup('r1-plain');
    expect(plain.body).not.toHaveProperty('tags');
    expect((await arm('GET', `${rgPath('r1-plain')}?${v}`)).body).not.toHaveProperty('tags');
    expect((await createGroup('r1-tagged', 'eastus', { env: 'dev' })).body).toMatchObject({ tags: { env: 'dev' } });
  });

  it('R2: ResourceGroups_List answers a ResourceGroupListResult', async () => {
    await createGroup('r2-group', 'westus2', { team: 'a' });
    const answer = await arm('GET', `/subscriptions/${subscriptionId}/resourcegroups?${v}`);
    expect(answer.status).toBe(200);
    const listed = (pick(answer.body, 'value') as Json[]).find((item) => item['name'] === 'r2-group');
    expect(listed).toEqual({
      id: `/subscriptions/${subscriptionId}/resourceGroups/r2-group`,
      name: 'r2-group',
      type: 'Microsoft.Resources/resourceGroups',
      location: 'westus2',
      tags: { team: 'a' },
      properties: { provisioningState: 'Succeeded' },
    });
    const schema = swagger.responseSchema(RES_SWAGGER, 'ResourceGroups_List', 200);
    expect(swagger.enumViolations(answer.body, schema.node, schema.file)).toEqual([]);
  });

  it('R3: ResourceGroups_Update (PATCH) replaces the tags it is given and keeps the rest; 404 for a missing group', async () => {
    await createGroup('r3-group', 'eastus', { a: '1' });
    const patched = await arm('PATCH', `${rgPath('r3-group')}?${v}`, { tags: { b: '2' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'r3-group',
      location: 'eastus',
      tags: { b: '2' },
      properties: { provisioningState: 'Succeeded' },
    });
    const untouched = await arm('PATCH', `${rgPath('r3-group')}?${v}`, { properties: {} });
    expect(untouched.body).toMatchObject({ tags: { b: '2' } });
    expect((await arm('GET', `${rgPath('r3-group')}?${v}`)).body).toMatchObject({ tags: { b: '2' } });
    const missing = await arm('PATCH', `${rgPath('r3-missing')}?${v}`, { tags: {} });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'ResourceGroupNotFound' } });
  });

  it('R4: ResourceGroups_Delete removes the group with its resources and deployments; the group answers Deleting meanwhile', async () => {
    await createGroup('r4-group');
    sandbox.server.arm.timeScale = 0.01;
    onTestFinished(() => void (sandbox.server.arm.timeScale = 0.001));
    {
      await deploy('r4-group', 'r4', template([identity('r4-identity', 'eastus'), storageAccount('r4storage')]));
      const accepted = await arm('DELETE', `${rgPath('r4-group')}?${v}`);
      expect(accepted.status).toBe(202);
      expect(accepted.headers['location']).toMatch(
        /^https:\/\/management\.azure\.com\/subscriptions\/[^/]+\/operationresults\/[^?]+\?api-version=/,
      );
      expect((await arm('GET', `${rgPath('r4-group')}?${v}`)).body).toMatchObject({ properties: { provisioningState: 'Deleting' } });
      const refused = await arm(
        'PUT',
        `${rgPath('r4-group')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/late?api-version=2023-01-31`,
        {
          location: 'eastus',
        },
      );
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: { code: 'ResourceGroupBeingDeleted' } });
      const location = new URL(accepted.headers['location'] as string);
      let poll = await arm('GET', `${location.pathname}${location.search}`);
      while (poll.status === 202) {
        await sleep(10);
        poll = await arm('GET', `${location.pathname}${location.search}`);
      }
      expect(poll.status).toBe(200);
    }
    expect((await arm('HEAD', `${rgPath('r4-group')}?${v}`)).status).toBe(404);
    expect([...sandbox.server.arm.resources.values()].filter((resource) => resource.resourceGroup === 'r4-group')).toEqual([]);
    expect(sandbox.server.arm.deployments.has('r4-group/r4')).toBe(false);
    expect((await arm('DELETE', `${rgPath('r4-group')}?${v}`)).status).toBe(404);
  });

  it('R5: every Microsoft.Resources route refuses a request without api-version: 400 MissingApiVersionParameter', async () => {
    await createGroup('r5-group');
    const dep = deploymentPath('r5-group', 'r5');
    const requests: [string, string, unknown?][] = [
      ['GET', `/subscriptions/${subscriptionId}`],
      ['GET', `/subscriptions/${subscriptionId}/resourcegroups`],
      ['GET', rgPath('r5-group')],
      ['PUT', rgPath('r5-new'), { location: 'eastus' }],
      ['PATCH', rgPath('r5-group'), { tags: {} }],
      ['DELETE', rgPath('r5-group')],
      ['GET', `${rgPath('r5-group')}/resources`],
      ['PUT', dep, { properties: { mode: 'Incremental', template: template([]) } }],
      ['GET', dep],
      ['GET', `${rgPath('r5-group')}/providers/Microsoft.Resources/deployments/`],
      ['POST', `${dep}/validate`, { properties: { mode: 'Incremental', template: template([]) } }],
      ['POST', `${dep}/whatIf`, { properties: { mode: 'Incremental', template: template([]) } }],
      ['GET', `${dep}/operations`],
    ];
    for (const [method, path, body] of requests) {
      const answer = await arm(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.body).toEqual({ error: { code: 'MissingApiVersionParameter', message: MISSING_API_VERSION } });
    }
    expect((await arm('HEAD', rgPath('r5-group'))).status).toBe(400);
    expect((await arm('HEAD', dep)).status).toBe(400);
    expect((await arm('GET', `${rgPath('r5-new')}?${v}`)).status).toBe(404);
    expect((await arm('GET', `${rgPath('r5-group')}?${v}`)).body).toMatchObject({ properties: { provisioningState: 'Succeeded' } });
  });

  it('R6: Deployments_CheckExistence: 204 when the deployment exists, 404 when not', async () => {
    await createGroup('r6-group');
    await deploy('r6-group', 'r6', template([identity('r6-identity', 'eastus')]));
    const found = await arm('HEAD', `${deploymentPath('r6-group', 'r6')}?${v}`);
    expect(found.status).toBe(204);
    expect(found.body).toBeUndefined();
    expect((await arm('HEAD', `${deploymentPath('r6-group', 'nope')}?${v}`)).status).toBe(404);
    expect((await arm('HEAD', `${deploymentPath('r6-missing-group', 'r6')}?${v}`)).status).toBe(404);
  });

  it('R7: Deployments_ListByResourceGroup answers a DeploymentListResult, with or without the trailing slash', async () => {
    await createGroup('r7-group');
    await deploy('r7-group', 'r7-a', template([identity('r7-a', 'eastus')]));
    await deploy('r7-group', 'r7-b', template([identity('r7-b', 'eastus')]));
    for (const path of [
      `${rgPath('r7-group')}/providers/Microsoft.Resources/deployments/`,
      `${rgPath('r7-group')}/providers/Microsoft.Resources/deployments`,
    ]) {
      const answer = await arm('GET', `${path}?${v}`);
      expect(answer.status).toBe(200);
      expect((pick(answer.body, 'value') as Json[]).map((item) => item['name'])).toEqual(['r7-a', 'r7-b']);
      const schema = swagger.responseSchema(RES_SWAGGER, 'Deployments_ListByResourceGroup', 200);
      expect(swagger.enumViolations(answer.body, schema.node, schema.file)).toEqual([]);
      for (const item of pick(answer.body, 'value') as Json[]) {
        const differences = shapeDifferences(item, example(resExample('PutDeploymentResourceGroup.json')).responses['200']?.body);
        expect(differences.filter((difference) => !(difference in NO_TEMPLATE_LINK))).toEqual([]);
      }
    }
  });

  it('R8: a templateLink (or parametersLink) is answered 400 InvalidContentLink, as ARM does for content it cannot download', async () => {
    await createGroup('r8-group');
    const uri = 'https://example.com/exampleTemplate.json';
    for (const [method, suffix] of [
      ['PUT', ''],
      ['POST', '/validate'],
      ['POST', '/whatIf'],
    ] as const) {
      const answer = await arm(method, `${deploymentPath('r8-group', 'r8')}${suffix}?${v}`, {
        properties: { mode: 'Incremental', templateLink: { uri, queryString: 'sv=2019-02-02&sig=made-up' } },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: { code: 'InvalidContentLink', message: `Unable to download deployment content from '${uri}'.` },
      });
    }
    const parametersLink = await arm('PUT', `${deploymentPath('r8-group', 'r8')}?${v}`, {
      properties: { mode: 'Incremental', template: template([]), parametersLink: { uri: 'https://example.com/parameters.json' } },
    });
    expect(parametersLink.body).toMatchObject({ error: { code: 'InvalidContentLink' } });
  });

  it('R9: complete mode deletes the group’s resources the template leaves out (what-if says Delete, operations say Delete); the provider’s own children stay', async () => {
    await createGroup('r9-group');
    await deploy(
      'r9-group',
      'first',
      template([identity('r9-keep', 'eastus'), identity('r9-drop', 'eastus'), storageAccount('r9storage')]),
    );
    const keptOnly = template([identity('r9-keep', 'eastus'), storageAccount('r9storage')]);
    const preview = await whatIf('r9-group', keptOnly, 'Complete');
    const changes = pick(preview, 'properties.changes') as Json[];
    const changeOf = (name: string) => changes.find((change) => String(change['resourceId']).endsWith(`/${name}`))?.['changeType'];
    expect(changeOf('r9-drop')).toBe('Delete');
    expect(changeOf('r9-keep')).toBe('NoChange');
    expect(changeOf('default')).toBe('Ignore');
    expect(pick(await whatIf('r9-group', keptOnly), 'properties.changes')).toContainEqual(
      expect.objectContaining({ changeType: 'Ignore' }),
    );

    const put = await arm('PUT', `${deploymentPath('r9-group', 'second')}?${v}`, { properties: { mode: 'Complete', template: keptOnly } });
    expect(put.status).toBe(201);
    expect(pick((await pollDeployment('r9-group', 'second')).body, 'properties')).toMatchObject({
      mode: 'Complete',
      provisioningState: 'Succeeded',
    });
    const names = [...sandbox.server.arm.resources.values()].filter((r) => r.resourceGroup === 'r9-group').map((r) => r.name);
    expect(names.sort()).toEqual(['r9-keep', 'r9storage', 'r9storage/default']);
    const operations = await arm('GET', `${deploymentPath('r9-group', 'second')}/operations?${v}`);
    const deleted = (pick(operations.body, 'value') as Json[]).filter((op) => pick(op, 'properties.provisioningOperation') === 'Delete');
    expect(deleted.map((op) => pick(op, 'properties.targetResource.resourceName'))).toEqual(['r9-drop']);
    const schema = swagger.responseSchema(RES_SWAGGER, 'DeploymentOperations_List', 200);
    expect(swagger.enumViolations(operations.body, schema.node, schema.file)).toEqual([]);
  });

  it('R9: onErrorDeployment redeploys the named successful deployment in complete mode when the deployment fails', async () => {
    await createGroup('rollback-group');
    await deploy('rollback-group', 'good', template([identity('rb-a', 'eastus')]));
    const missing = `${rgPath('rollback-group')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/never-made`;
    const failing = template([
      identity('rb-a', 'eastus'),
      identity('rb-b', 'eastus'),
      { ...identity('rb-c', 'eastus'), tags: { owner: `[reference('${missing}', '2023-01-31').principalId]` } },
    ]);
    const failed = await deploy('rollback-group', 'bad', failing, {
      onErrorDeployment: { type: 'SpecificDeployment', deploymentName: 'good' },
    });
    expect(pick(failed.body, 'properties.provisioningState')).toBe('Failed');
    await pollDeployment('rollback-group', 'good');
    const after = await arm('GET', `${deploymentPath('rollback-group', 'bad')}?${v}`);
    expect(pick(after.body, 'properties.onErrorDeployment')).toEqual({
      type: 'SpecificDeployment',
      deploymentName: 'good',
      provisioningState: 'Succeeded',
    });
    expect(pick((await arm('GET', `${deploymentPath('rollback-group', 'good')}?${v}`)).body, 'properties.mode')).toBe('Complete');
    const names = [...sandbox.server.arm.resources.values()].filter((r) => r.resourceGroup === 'rollback-group').map((r) => r.name);
    expect(names).toEqual(['rb-a']);
  });

  it('R10: the deployment carries templateHash, parameters as sent with their types, providers and dependencies', async () => {
    await createGroup('r10-group');
    const content = template(
      [
        { ...identity("[parameters('name')]", 'eastus'), tags: { count: "[string(parameters('count'))]" } },
        { ...identity('r10-second', 'westus2'), dependsOn: ["[parameters('name')]"] },
      ],
      {
        parameters: {
          name: { type: 'string' },
          count: { type: 'int' },
          secret: { type: 'securestring' },
          flags: { type: 'array', defaultValue: [] },
        },
      },
    );
    const parameters = { name: { value: 'r10-first' }, count: { value: 3 }, secret: { value: 'made-up-secret' } };
    const put = await arm('PUT', `${deploymentPath('r10-group', 'r10')}?${v}`, {
      properties: { mode: 'Incremental', template: content, parameters },
    });
    expect(put.status).toBe(201);
    const properties = pick(put.body, 'properties') as Json;
    expect(properties['provisioningState']).toBe('Accepted');
    expect(properties['templateHash']).toMatch(/^\d{1,20}$/);
    expect(properties['parameters']).toEqual({
      name: { type: 'String', value: 'r10-first' },
      count: { type: 'Int', value: 3 },
      secret: { type: 'SecureString' },
    });
    expect(properties['providers']).toEqual([
      {
        namespace: 'Microsoft.ManagedIdentity',
        resourceTypes: [{ resourceType: 'userAssignedIdentities', locations: ['eastus', 'westus2'] }],
      },
    ]);
    const identities = `${rgPath('r10-group').replace('resourcegroups', 'resourceGroups')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
    expect(properties['dependencies']).toEqual([
      {
        dependsOn: [
          { id: `${identities}/r10-first`, resourceType: 'Microsoft.ManagedIdentity/userAssignedIdentities', resourceName: 'r10-first' },
        ],
        id: `${identities}/r10-second`,
        resourceType: 'Microsoft.ManagedIdentity/userAssignedIdentities',
        resourceName: 'r10-second',
      },
    ]);
    expect(JSON.stringify(put.body)).not.toContain('made-up-secret');
    const done = await pollDeployment('r10-group', 'r10');
    expect(pick(done.body, 'properties.templateHash')).toBe(properties['templateHash']);
    expect(pick(done.body, 'properties.parameters')).toEqual(properties['parameters']);
  });

  it('R11: validate answers id, name, type and the DeploymentPropertiesExtended of the validated template', async () => {
    await createGroup('r11-group');
    const answer = await arm('POST', `${deploymentPath('r11-group', 'r11')}/validate?${v}`, {
      properties: { mode: 'Incremental', template: template([identity('r11', 'eastus')]), parameters: {} },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      id: deploymentPath('r11-group', 'r11').replace('resourcegroups', 'resourceGroups'),
      name: 'r11',
      type: 'Microsoft.Resources/deployments',
      properties: {
        templateHash: expect.stringMatching(/^\d+$/),
        parameters: {},
        mode: 'Incremental',
        provisioningState: 'Succeeded',
        timestamp: expect.any(String),
        duration: expect.stringMatching(/^PT[\d.]+S$/),
        correlationId: answer.headers['x-ms-correlation-request-id'],
        providers: [
          { namespace: 'Microsoft.ManagedIdentity', resourceTypes: [{ resourceType: 'userAssignedIdentities', locations: ['eastus'] }] },
        ],
        dependencies: [],
        validatedResources: [{ id: expect.stringMatching(/\/userAssignedIdentities\/r11$/) }],
        diagnostics: [],
      },
    });
    expect(sandbox.server.arm.deployments.has('r11-group/r11')).toBe(false);
  });

  it('R12: provider findings sit under PreflightValidationCheckFailed with the resource name as target; ARM’s own checks stay above it', async () => {
    await createGroup('r12-group');
    const answer = await arm('PUT', `${deploymentPath('r12-group', 'r12')}?${v}`, {
      properties: {
        mode: 'Incremental',
        template: template([
          storageAccount('a'),
          identity('bad name!', 'eastus'),
          { ...identity('r12-far', 'eastus'), location: 'westmars' },
        ]),
      },
    });
    expect(answer.status).toBe(400);
    const error = pick(answer.body, 'error') as Json;
    expect(error['code']).toBe('InvalidTemplateDeployment');
    const details = error['details'] as Json[];
    expect(details.map((detail) => detail['code'])).toEqual(['LocationNotAvailableForResourceType', 'PreflightValidationCheckFailed']);
    expect(details[0]?.['target']).toMatch(/\/userAssignedIdentities\/r12-far$/);
    const fromProviders = details[1]?.['details'] as Json[];
    expect(fromProviders.map((detail) => [detail['code'], detail['target']])).toEqual([
      ['AccountNameInvalid', 'a'],
      ['InvalidResourceName', 'bad name!'],
    ]);
    expect(sandbox.server.arm.deployments.has('r12-group/r12')).toBe(false);
  });

  it('R13: every ARM answer carries x-ms-correlation-request-id: the caller’s when given, else a new one; a deployment’s operations answer under its id', async () => {
    await createGroup('r13-group');
    const given = '4f1c2a58-1b0e-4d7a-9c3e-5a2b7d9e0f11';
    const echoed = await arm('GET', `${rgPath('r13-group')}?${v}`, undefined, { 'x-ms-correlation-request-id': given });
    expect(echoed.headers['x-ms-correlation-request-id']).toBe(given);
    const fresh = [await arm('GET', `${rgPath('r13-group')}?${v}`), await arm('GET', `${rgPath('r13-nope')}?${v}`)];
    for (const answer of fresh) expect(answer.headers['x-ms-correlation-request-id']).toMatch(GUID);
    expect(fresh[0]?.headers['x-ms-correlation-request-id']).not.toBe(fresh[1]?.headers['x-ms-correlation-request-id']);
    const unauthenticated = await call(ARM, 'GET', `${rgPath('r13-group')}?${v}`, undefined, { auth: false });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['x-ms-correlation-request-id']).toMatch(GUID);

    const deploymentCorrelation = '0b7e6d5c-4a39-4821-9f0e-1d2c3b4a5968';
    const put = await arm(
      'PUT',
      `${deploymentPath('r13-group', 'r13')}?${v}`,
      { properties: { mode: 'Incremental', template: template([identity('r13', 'eastus')]) } },
      { 'x-ms-correlation-request-id': deploymentCorrelation },
    );
    expect(put.headers['x-ms-correlation-request-id']).toBe(deploymentCorrelation);
    expect(pick(put.body, 'properties.correlationId')).toBe(deploymentCorrelation);
    await pollDeployment('r13-group', 'r13');
    const operations = await arm('GET', `${deploymentPath('r13-group', 'r13')}/operations?${v}`);
    expect(operations.headers['x-ms-correlation-request-id']).toBe(deploymentCorrelation);
    const status = new URL(put.headers['azure-asyncoperation'] as string);
    expect((await arm('GET', `${status.pathname}${status.search}`)).headers['x-ms-correlation-request-id']).toBe(deploymentCorrelation);
    const own = await arm('GET', `${deploymentPath('r13-group', 'r13')}/operations?${v}`, undefined, {
      'x-ms-correlation-request-id': given,
    });
    expect(own.headers['x-ms-correlation-request-id']).toBe(given);
  });

  it('R14/R15: a deployment’s PUT of an existing resource is provisioningOperation Create (the enum has no Update), with no trackingId', async () => {
    await createGroup('r14-group');
    const content = template([identity('r14', 'eastus')]);
    await deploy('r14-group', 'r14', content);
    await deploy('r14-group', 'r14', { ...content, resources: [identity('r14', 'eastus', { changed: 'yes' })] });
    const operations = await arm('GET', `${deploymentPath('r14-group', 'r14')}/operations?${v}`);
    const value = pick(operations.body, 'value') as Json[];
    expect(value.map((op) => pick(op, 'properties.provisioningOperation'))).toEqual(['Create']);
    for (const op of value) expect(op['properties']).not.toHaveProperty('trackingId');
    const schema = swagger.responseSchema(RES_SWAGGER, 'DeploymentOperations_List', 200);
    expect(swagger.enumViolations(operations.body, schema.node, schema.file)).toEqual([]);
    const one = await arm('GET', `${deploymentPath('r14-group', 'r14')}/operations/${String(value[0]?.['operationId'])}?${v}`);
    expect(pick(one.body, 'properties.provisioningOperation')).toBe('Create');
    expect(one.body).not.toHaveProperty('properties.trackingId');
  });

  it('R16: what-if reports leaf paths for properties created under, or deleted with, an object that was absent or goes', async () => {
    await createGroup('r16-group');
    await deploy('r16-group', 'r16', template([identity('r16-untagged', 'eastus'), identity('r16-tagged', 'eastus', { a: '1', b: '2' })]));
    const preview = await whatIf(
      'r16-group',
      template([identity('r16-untagged', 'eastus', { x: 'new', y: 'also' }), identity('r16-tagged', 'eastus')]),
    );
    const deltaOf = (name: string) =>
      (pick(preview, 'properties.changes') as Json[]).find((change) => String(change['resourceId']).endsWith(`/${name}`))?.['delta'];
    expect(deltaOf('r16-untagged')).toEqual([
      { path: 'tags.x', propertyChangeType: 'Create', after: 'new' },
      { path: 'tags.y', propertyChangeType: 'Create', after: 'also' },
    ]);
    expect(deltaOf('r16-tagged')).toEqual([
      { path: 'tags.a', propertyChangeType: 'Delete', before: '1' },
      { path: 'tags.b', propertyChangeType: 'Delete', before: '2' },
    ]);
  });

  it('R17: what-if reports array changes as Array with children by index; objects in arrays are diffed into nested children', async () => {
    await createGroup('r17-group');
    const vnet = (prefixes: string[], subnetPrefix: string, extraSubnets: Json[] = []): Json => ({
      type: 'Microsoft.Network/virtualNetworks',
      apiVersion: '2024-05-01',
      name: 'r17-vnet',
      location: 'eastus',
      properties: {
        addressSpace: { addressPrefixes: prefixes },
        subnets: [{ name: 'apps', properties: { addressPrefix: subnetPrefix } }, ...extraSubnets],
      },
    });
    await deploy('r17-group', 'r17', template([vnet(['10.0.0.0/16', '10.9.0.0/16'], '10.0.0.0/24')]));
    const preview = await whatIf(
      'r17-group',
      template([vnet(['10.1.0.0/16'], '10.0.1.0/24', [{ name: 'data', properties: { addressPrefix: '10.0.2.0/24' } }])]),
    );
    const change = (pick(preview, 'properties.changes') as Json[])[0] as Json;
    expect(change['changeType']).toBe('Modify');
    expect(change['delta']).toEqual([
      {
        path: 'properties.addressSpace.addressPrefixes',
        propertyChangeType: 'Array',
        children: [
          { path: '0', propertyChangeType: 'Modify', before: '10.0.0.0/16', after: '10.1.0.0/16' },
          { path: '1', propertyChangeType: 'Delete', before: '10.9.0.0/16' },
        ],
      },
      {
        path: 'properties.subnets',
        propertyChangeType: 'Array',
        children: [
          {
            path: '0',
            propertyChangeType: 'Modify',
            children: [{ path: 'properties.addressPrefix', propertyChangeType: 'Modify', before: '10.0.0.0/24', after: '10.0.1.0/24' }],
          },
          { path: '1', propertyChangeType: 'Create', after: { name: 'data', properties: { addressPrefix: '10.0.2.0/24' } } },
        ],
      },
    ]);
    const schema = swagger.responseSchema(RES_SWAGGER, 'Deployments_WhatIf', 200);
    expect(swagger.enumViolations(preview, schema.node, schema.file)).toEqual([]);
    // What the product reads from it: index paths, flattened.
    const flattened = changesFromWhatIf(JSON.stringify(preview), 'r17-group').resources[0]?.delta.map(
      (delta) => `${delta.kind} ${delta.path}`,
    );
    expect(flattened).toEqual([
      'Modify properties.addressSpace.addressPrefixes[0]',
      'Delete properties.addressSpace.addressPrefixes[1]',
      'Modify properties.subnets[0].properties.addressPrefix',
      'Create properties.subnets[1]',
    ]);
  });
});

describe('wording', () => {
  it('no answer the sandbox sent names "the sandbox": Azure’s own words only', () => {
    expect(bodies.length).toBeGreaterThan(100);
    expect(bodies.filter((text) => /sandbox/i.test(text))).toEqual([]);
  });
});
