import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxServer, type SandboxOptions } from './server.js';
import { createCertificates } from './tls.js';

export interface Sandbox {
  /** Environment variables that point the actions, the CLI and DefaultAzureCredential-style code at the sandbox. */
  env: Record<string, string>;
  adminUrl: string;
  caCert: string;
  /** `http://127.0.0.1:<port>`: a CONNECT proxy to the sandbox's registries and apps, for clients such as dockerd and curl. */
  httpsProxy: string;
  /** Runs Container Apps revisions on this docker daemon (DOCKER_HOST), started after the sandbox because it uses the proxy. */
  useDocker(env: Record<string, string>): void;
  server: SandboxServer;
  createVault(name: string): Promise<void>;
  /** Requests the Key Vault plane received, optionally of one vault and method. */
  requestCount(filter: { vault?: string; method?: string }): number;
  injectFaults(rates: { rate429?: number; rate503?: number; rateReset?: number; retryAfterSeconds?: number }): void;
  setLatency(ms: number): void;
  /** Seeds a secret that backs a certificate (`managed: true`), which cannot be set directly. */
  seedCertificateSecret(vault: string, name: string): Promise<void>;
  /** Takes the caller's data-plane role on a vault away (403 ForbiddenByRbac), or narrows it to read-only. */
  revokeRole(vault: string, to?: 'none' | 'user'): void;
  stop(): Promise<void>;
}

/** Starts the local Azure sandbox on 127.0.0.1 with its own CA; `stop()` removes everything it made. */
export async function startSandbox(options: SandboxOptions & { vaults?: string[] } = {}): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'azure-hipaa-sandbox-'));
  try {
    const certificates = createCertificates(dir);
    const server = new SandboxServer(certificates, options);
    await server.listen();
    for (const vault of options.vaults ?? []) server.keyVaults.create(vault);
    const { tenantId, clientId, clientSecret, subscriptionId } = server.identity;
    return {
      env: {
        AZURE_HIPAA_SANDBOX: JSON.stringify({ port: server.port, caCert: certificates.caCertPath }),
        AZURE_TENANT_ID: tenantId,
        AZURE_CLIENT_ID: clientId,
        AZURE_CLIENT_SECRET: clientSecret,
        AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com',
        AZURE_SUBSCRIPTION_ID: subscriptionId,
      },
      adminUrl: `https://127.0.0.1:${server.port}/_sandbox`,
      caCert: certificates.caCertPath,
      httpsProxy: `http://127.0.0.1:${server.proxyPort}`,
      useDocker: (env) => server.apps.useDocker(env),
      server,
      createVault: async (name) => void server.keyVaults.create(name),
      requestCount: ({ vault, method }) =>
        [...server.keyVaults.vaults.values()]
          .filter((v) => !vault || v.name === vault.toLowerCase())
          .reduce((sum, v) => sum + Object.entries(v.requests).reduce((n, [m, count]) => n + (!method || m === method ? count : 0), 0), 0),
      injectFaults: ({ rate429 = 0, rate503 = 0, rateReset = 0, retryAfterSeconds }) =>
        server.setFaults({
          throttle: rate429,
          unavailable: rate503,
          reset: rateReset,
          ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        }),
      setLatency: (ms) => server.setLatency(ms),
      seedCertificateSecret: async (vault, name) => {
        server.keyVaults.create(vault).put(name, {
          value: '-----BEGIN PRIVATE KEY-----\nsandbox\n-----END PRIVATE KEY-----',
          contentType: 'application/x-pem-file',
          enabled: true,
          managed: true,
        });
      },
      revokeRole: (vault, to = 'none') => {
        server.keyVaults.create(vault).role = to;
      },
      stop: async () => {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
