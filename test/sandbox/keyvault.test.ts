/** The sandbox's Key Vault, driven by the real @azure/keyvault-secrets and @azure/identity over HTTPS, challenge verification on. */
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';

let sandbox: Sandbox;
const client = (vault: string) =>
  new SecretClient(`https://${vault}.vault.azure.net`, azureCredential(sandbox.env), {
    ...azureClientOptions(sandbox.env),
    retryOptions: { maxRetries: 3, retryDelayInMs: 50 },
  });

beforeAll(async () => {
  sandbox = await startSandbox({ vaults: ['kv-dev', 'kv-prod'], latencyMs: 0 });
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('the sandbox Key Vault', () => {
  it('sets and gets a secret through the challenge and a token from the sandbox Entra endpoint', async () => {
    const dev = client('kv-dev');
    const set = await dev.setSecret('AzureOpenAIKey', 'made-up-value-1', { contentType: 'text/plain', tags: { app: 'voice-agent' } });
    expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/);
    const got = await dev.getSecret('AzureOpenAIKey');
    expect(got.value === 'made-up-value-1').toBe(true);
    expect(got.properties).toMatchObject({ contentType: 'text/plain', tags: { app: 'voice-agent' }, enabled: true });
  });

  it('pages lists 25 at a time and honours maxresults', async () => {
    const prod = client('kv-prod');
    for (let i = 0; i < 30; i++) await prod.setSecret(`paged-${i}`, `v${i}`);
    const names: string[] = [];
    for await (const properties of prod.listPropertiesOfSecrets()) names.push(properties.name);
    expect(names.filter((n) => n.startsWith('paged-'))).toHaveLength(30);
    const firstPage = await prod.listPropertiesOfSecrets().byPage({ maxPageSize: 10 }).next();
    expect((firstPage.value as unknown[]).length).toBe(10);
  });

  it('refuses the value of a disabled secret with 403 SecretDisabled', async () => {
    const dev = client('kv-dev');
    await dev.setSecret('disabled-one', 'x', { enabled: false });
    await expect(dev.getSecret('disabled-one')).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
  });

  it('blocks reusing a soft-deleted name with 409 until the secret is recovered', async () => {
    const dev = client('kv-dev');
    await dev.setSecret('to-delete', 'x');
    await (await dev.beginDeleteSecret('to-delete', { intervalInMs: 10 })).pollUntilDone();
    await expect(dev.setSecret('to-delete', 'y')).rejects.toMatchObject({ statusCode: 409 });
    await (await dev.beginRecoverDeletedSecret('to-delete', { intervalInMs: 10 })).pollUntilDone();
    expect((await dev.getSecret('to-delete')).value === 'x').toBe(true);
  });

  it('fails for a vault that does not exist as DNS does: ENOTFOUND', async () => {
    await expect(client('kv-nowhere').getSecret('x')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('the sandbox Key Vault under load and faults', () => {
  it('throttles past 300 writes in 10 s with 429 and Retry-After, and the SDK gets through', async () => {
    const own = await startSandbox({ vaults: ['kv-limits'], latencyMs: 0 });
    try {
      const vault = new SecretClient('https://kv-limits.vault.azure.net', azureCredential(own.env), azureClientOptions(own.env));
      await Promise.all(Array.from({ length: 310 }, (_, i) => vault.setSecret(`s-${i}`, `v-${i}`)));
      expect(own.server.keyVaults.vaults.get('kv-limits')?.throttled).toBeGreaterThanOrEqual(10);
      expect(own.server.keyVaults.vaults.get('kv-limits')?.secrets.size).toBe(310);
    } finally {
      await own.stop();
    }
  }, 60_000);

  it('injects 429, 503 and connection resets reproducibly, and every value still lands', async () => {
    const own = await startSandbox({
      vaults: ['kv-faults'],
      latencyMs: 0,
      seed: 7,
      faults: { throttle: 0.1, unavailable: 0.1, reset: 0.1 },
    });
    try {
      const vault = new SecretClient('https://kv-faults.vault.azure.net', azureCredential(own.env), {
        ...azureClientOptions(own.env),
        retryOptions: { maxRetries: 8, retryDelayInMs: 20, maxRetryDelayInMs: 200 },
      });
      for (let i = 0; i < 20; i++) await vault.setSecret(`f-${i}`, `value-${i}`);
      const stored = own.server.keyVaults.vaults.get('kv-faults');
      for (let i = 0; i < 20; i++) expect(stored?.get(`f-${i}`)?.secret.versions.at(-1)?.value === `value-${i}`).toBe(true);
      expect(stored?.throttled).toBeGreaterThan(0);
    } finally {
      await own.stop();
    }
  }, 60_000);
});

describe('the sandbox Entra ID endpoint', () => {
  it('issues tokens for a federated assertion, as azure/login with OIDC does, and refuses a forged one', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'federated-'));
    try {
      const tokenFile = join(dir, 'token');
      await writeFile(tokenFile, sandbox.server.entra.signFederatedToken('repo:org/app:environment:production'));
      const env = { ...sandbox.env, AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_CLIENT_SECRET: '' };
      const federated = new SecretClient('https://kv-dev.vault.azure.net', azureCredential(env), azureClientOptions(env));
      await federated.setSecret('federated', 'made-up');
      expect((await federated.getSecret('federated')).value === 'made-up').toBe(true);

      await writeFile(tokenFile, 'eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9BenVyZUFEVG9rZW5FeGNoYW5nZSJ9.forged');
      const forged = new SecretClient('https://kv-dev.vault.azure.net', azureCredential(env), azureClientOptions(env));
      await expect(forged.getSecret('federated')).rejects.toThrow(/AADSTS700211/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('expires tokens after their lifetime, and the SDK signs in again', async () => {
    const own = await startSandbox({ vaults: ['kv-ttl'], latencyMs: 0, tokenTtlSeconds: 1 });
    try {
      const vault = new SecretClient('https://kv-ttl.vault.azure.net', azureCredential(own.env), azureClientOptions(own.env));
      await vault.setSecret('a', 'one');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await vault.setSecret('b', 'two');
      // The first token had expired (the vault refuses expired tokens), so the SDK signed in again.
      expect(own.server.entra.tokensIssued).toBeGreaterThanOrEqual(2);
      expect(own.server.keyVaults.vaults.get('kv-ttl')?.get('b')?.secret.versions.at(-1)?.value === 'two').toBe(true);
    } finally {
      await own.stop();
    }
  }, 20_000);
});
