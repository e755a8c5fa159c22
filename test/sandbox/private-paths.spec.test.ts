/**
 * The sandbox's answers on the control-plane paths into a private environment, against Microsoft's
 * REST examples vendored under reference/rest-api-specs: Key Vault's Secrets_Get and Secrets_List
 * (2026-02-01) and ACR's Registries_ImportImage (2025-04-01). Each answer has the example's property
 * names with the same JSON types, recursively, and the status and headers the example declares; a
 * secret's value appears in no answer. All traffic goes to 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { digestOf } from '../../sandbox/acr/registry.js';
import { armPort } from '../../src/azure/arm.js';
import type { ArmPort } from '../../src/azure/arm-port.js';

const SPECS = resolve(import.meta.dirname, '../../reference/rest-api-specs/specification');
const KEY_VAULT = join(SPECS, 'keyvault/resource-manager/Microsoft.KeyVault/KeyVault/examples/2026-02-01');
const ACR = join(SPECS, 'containerregistry/resource-manager/Microsoft.ContainerRegistry/Registry/stable/2025-04-01/examples');

type Json = Record<string, unknown>;
const example = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { parameters: Json; responses: Record<string, Json> };

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
const SECRET_VALUE = `spec-value-${crypto.randomUUID()}`;

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  arm = armPort(sandbox.env, sandbox.env['AZURE_SUBSCRIPTION_ID'] as string);
  group = `/subscriptions/${arm.subscriptionId}/resourceGroups/spec-rg`;
  await arm.send('PUT', group, '2024-03-01', { location: 'eastus2' });
});
afterAll(async () => sandbox?.stop());

async function untilDone(response: { status: number; headers: Record<string, string> }): Promise<number> {
  let status = response.status;
  const location = response.headers['location'];
  for (let i = 0; status === 202 && location && i < 200; i++) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    status = (await arm.send('GET', location)).status;
  }
  return status;
}

describe('Key Vault secrets through Resource Manager (2026-02-01 examples)', () => {
  it('Secrets_Get and Secrets_List answer as the examples do, never with a value', async () => {
    const vault = `${group}/providers/Microsoft.KeyVault/vaults/kv-spec-private`;
    const created = await arm.send('PUT', vault, '2026-02-01', {
      location: 'eastus2',
      properties: {
        tenantId: sandbox.server.identity.tenantId,
        sku: { family: 'A', name: 'standard' },
        enableRbacAuthorization: true,
        publicNetworkAccess: 'Disabled',
      },
    });
    expect(created.status).toBeLessThan(300);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    const put = await arm.send('PUT', `${vault}/secrets/secret-name`, '2026-02-01', {
      properties: { value: SECRET_VALUE, contentType: 'text/plain' },
    });
    expect(put.status).toBeLessThan(300);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));

    const get = await arm.send('GET', `${vault}/secrets/secret-name`, '2026-02-01');
    const getExample = example(join(KEY_VAULT, 'getSecret.json'));
    expect(Object.keys(getExample.responses)).toContain(String(get.status));
    expect(sameShape(get.body, getExample.responses['200']?.['body'])).toEqual([]);

    const list = await arm.send('GET', `${vault}/secrets`, '2026-02-01');
    const listExample = example(join(KEY_VAULT, 'listSecrets.json'));
    expect(Object.keys(listExample.responses)).toContain(String(list.status));
    expect(sameShape(list.body, listExample.responses['200']?.['body'])).toEqual([]);

    for (const answer of [put, get, list]) expect(JSON.stringify(answer.body)).not.toContain(SECRET_VALUE);
    // The value went to the vault, whose data plane this network may not use.
    expect(sandbox.server.keyVaults.get('kv-spec-private')?.get('secret-name')?.secret.versions.at(-1)?.value === SECRET_VALUE).toBe(true);
  });
});

describe('ACR importImage (2025-04-01 example)', () => {
  it('accepts the example’s request shape, answers 202 with a Location to poll, and copies by digest', async () => {
    for (const [name, access] of [
      ['myregistry01', 'Disabled'],
      ['sourceregistry01', 'Enabled'],
    ] as const) {
      const registry = await arm.send('PUT', `${group}/providers/Microsoft.ContainerRegistry/registries/${name}`, '2025-04-01', {
        location: 'eastus2',
        sku: { name: 'Premium' },
        properties: { publicNetworkAccess: access, networkRuleBypassOptions: 'AzureServices' },
      });
      expect(registry.status).toBeLessThan(300);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    // An image in the source: a config blob, one layer, and its manifest.
    const source = sandbox.server.registries.content('sourceregistry01');
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const layer = Buffer.from('layer bytes');
    source.link('sourcerepository', digestOf(config), config);
    source.link('sourcerepository', digestOf(layer), layer);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
      }),
    );
    const digest = digestOf(manifest);
    source
      .repository('sourcerepository')
      .manifests.set(digest, { mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: manifest });

    const importExample = example(join(ACR, 'ImportImageByManifestDigest.json'));
    const parameters = importExample.parameters['parameters'] as {
      targetTags: string[];
      untaggedTargetRepositories: string[];
      mode: string;
    };
    // Substituted: the source is this sandbox's registry and image, and the example's mixed-case target names are
    // lower-cased, since the distribution spec's repository grammar (and so ACR) takes lower case only.
    const response = await arm.send(
      'POST',
      `${group}/providers/Microsoft.ContainerRegistry/registries/myregistry01/importImage`,
      '2025-04-01',
      {
        source: {
          resourceId: `${group}/providers/Microsoft.ContainerRegistry/registries/sourceregistry01`,
          sourceImage: `sourcerepository@${digest}`,
        },
        targetTags: parameters.targetTags.map((tag) => tag.toLowerCase()),
        untaggedTargetRepositories: parameters.untaggedTargetRepositories.map((name) => name.toLowerCase()),
        mode: parameters.mode,
      },
    );
    expect(Object.keys(importExample.responses)).toContain(String(response.status));
    for (const header of Object.keys((importExample.responses[String(response.status)]?.['headers'] as Json | undefined) ?? {}))
      expect(response.headers[header.toLowerCase()], header).toBeTruthy();
    expect(await untilDone(response)).toBe(200);
    const target = sandbox.server.registries.content('myregistry01');
    expect(target.manifestDigest('targetrepository', 'targettag')).toBe(digest);
    expect(target.manifestDigest('targetrepository1', digest)).toBe(digest);
    expect(target.blob('targetrepository', digestOf(layer))?.toString()).toBe('layer bytes');
  });
});
