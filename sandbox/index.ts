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
  server: SandboxServer;
  createVault(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the local Azure sandbox on 127.0.0.1 with its own CA; `stop()` removes everything it made. */
export async function startSandbox(options: SandboxOptions & { vaults?: string[] } = {}): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'azure-hipaa-sandbox-'));
  try {
    const certificates = createCertificates(dir);
    const server = new SandboxServer(certificates, options);
    await server.listen();
    for (const vault of options.vaults ?? []) server.createVault(vault);
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
      server,
      createVault: async (name) => void server.createVault(name),
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
