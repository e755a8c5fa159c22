/** migrate-secrets' run() in-process with a recorded IO and in-memory vaults: failures, fast, and never a value in what it says. */
import { describe, expect, it } from 'vitest';
import { run } from '../../actions/migrate-secrets/src/run.js';
import { VaultRequestError, type SecretMetadata, type VaultPort, type VaultReference } from '../../src/azure/keyvault.js';
import { recordedIO } from '../helpers/action-io.js';

const VALUE = 'sk-live-4f9c2e7a-not-for-logs';

/** An in-memory vault; `fail` makes one operation on one secret (or the listing) fail as Key Vault does. */
function memoryVault(
  vault: VaultReference,
  secrets: Record<string, string>,
  fail?: { operation: string; name?: string; status: number; code: string; inner?: string },
): VaultPort {
  const store = new Map(
    Object.entries(secrets).map(([name, value]) => [
      name,
      { value, version: 'v1', metadata: { tags: {}, enabled: true } as SecretMetadata },
    ]),
  );
  const check = (operation: string, name?: string) => {
    if (fail && fail.operation === operation && (fail.name === undefined || fail.name === name))
      throw new VaultRequestError(vault, operation, fail.status, fail.code, fail.inner);
  };
  return {
    vault,
    listSecrets: async () => (check('list'), [...store].map(([name, secret]) => ({ name, managed: false, ...secret.metadata }))),
    listDeletedSecretNames: async () => [],
    getSecret: async (name) => {
      check('get', name);
      const secret = store.get(name);
      if (!secret) throw new VaultRequestError(vault, 'get', 404, 'SecretNotFound', undefined);
      return { name, ...secret };
    },
    setSecret: async (name, value, metadata) => {
      check('set', name);
      store.set(name, { value, version: `v${Date.now()}`, metadata });
    },
    updateSecretMetadata: async () => undefined,
    recoverDeletedSecret: async () => undefined,
  };
}

const inputs = { 'source-vault': 'kv-dev', 'target-vault': 'kv-prod' };

describe('migrate-secrets run()', () => {
  it('copies, sets the counts, and fails the step naming the one secret that could not be written', async () => {
    const recorded = recordedIO('migrate-secrets', inputs);
    await run(recorded, {
      openVault: (vault) =>
        vault.name === 'kv-dev'
          ? memoryVault(vault, { TwilioAccountSid: VALUE, TwilioAuthToken: `${VALUE}-2` })
          : memoryVault(vault, {}, { operation: 'set', name: 'TwilioAuthToken', status: 400, code: 'BadParameter' }),
    });
    expect(recorded.outputs).toMatchObject({ copied: '1', failed: '1' });
    expect(recorded.failed).toMatch(/1 of 2 secrets failed/);
    expect(recorded.lines.some((line) => line.startsWith("error: Secret 'TwilioAuthToken'"))).toBe(true);
    expect(JSON.stringify(recorded)).not.toContain(VALUE);
  });

  it('tries a secret again when Key Vault still answers 503 after the SDK gave up, and copies it', async () => {
    let refusals = 0;
    const recorded = recordedIO('migrate-secrets', inputs);
    await run(recorded, {
      openVault: (vault) => {
        const port = memoryVault(vault, vault.name === 'kv-dev' ? { TwilioAccountSid: VALUE } : {});
        if (vault.name !== 'kv-dev') return port;
        return {
          ...port,
          getSecret: async (name) => {
            if (refusals++ < 2) throw new VaultRequestError(vault, 'Reading secret', 503, 'ServiceUnavailable', undefined);
            return port.getSecret(name);
          },
        };
      },
    });
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs).toMatchObject({ copied: '1', failed: '0' });
    expect(refusals).toBe(3);
  });

  it.each([
    [
      'skips the AI services’ keys and endpoints production does not use, and names them',
      {},
      '1',
      '6',
      /Not copied, because production does not use them: AzureOpenAIEndpoint, AzureOpenAIKey, AzureSearchEndpoint, AzureSearchKey, AzureSpeechKey, AzureSpeechRegion\./,
    ],
    [
      'copies them too with include-unused, and says so',
      { 'include-unused': 'true' },
      '7',
      '0',
      /Included although production does not use them \(include-unused\): AzureOpenAIEndpoint/,
    ],
  ])('%s', async (_label, extra: Record<string, string>, copied, skipped, note) => {
    const development = Object.fromEntries(
      [
        'AzureOpenAIKey',
        'AzureOpenAIEndpoint',
        'AzureSpeechKey',
        'AzureSpeechRegion',
        'AzureSearchKey',
        'AzureSearchEndpoint',
        'TwilioAuthToken',
      ].map((name, index) => [name, `${VALUE}-${index}`]),
    );
    const recorded = recordedIO('migrate-secrets', { ...inputs, ...extra });
    await run(recorded, { openVault: (vault) => memoryVault(vault, vault.name === 'kv-dev' ? development : {}) });
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs).toMatchObject({ copied, skipped, failed: '0' });
    expect(recorded.summaries[0]).toMatch(note);
    expect(recorded.lines.some((line) => note.test(line))).toBe(true);
    expect(JSON.stringify(recorded)).not.toContain(VALUE);
  });

  it('names the role to grant when the source vault refuses the listing', async () => {
    const recorded = recordedIO('migrate-secrets', inputs);
    await run(recorded, {
      openVault: (vault) =>
        memoryVault(
          vault,
          { A: VALUE },
          vault.name === 'kv-dev' ? { operation: 'list', status: 403, code: 'Forbidden', inner: 'ForbiddenByRbac' } : undefined,
        ),
    });
    expect(recorded.failed).toMatch(/grant it the 'Key Vault Secrets User' role on the source vault 'kv-dev'/);
    expect(recorded.outputs).toEqual({});
  });

  it.each([
    ['the same vault twice', { 'source-vault': 'kv-dev', 'target-vault': 'kv-dev' }, /are the same Key Vault \('kv-dev'\)/],
    [
      'a vault name Key Vault would refuse',
      { 'source-vault': 'kv--dev', 'target-vault': 'kv-prod' },
      /Input "source-vault": 'kv--dev' is not a valid Key Vault name/,
    ],
    ['a concurrency that is not a number', { ...inputs, concurrency: 'lots' }, /Input "concurrency" must be a number, not "lots"/],
  ])('fails before touching a vault on %s', async (_label, given, message) => {
    let opened = 0;
    const recorded = recordedIO('migrate-secrets', given);
    await run(recorded, { openVault: (vault) => (opened++, memoryVault(vault, {})) });
    expect(recorded.failed).toMatch(message);
    expect(opened).toBe(0);
  });
});
