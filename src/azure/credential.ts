import { readFile } from 'node:fs/promises';
import { ClientAssertionCredential, ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { ConfigurationError, errorMessage } from '../core/errors.js';
import { sandboxHttpClient, type SandboxDescriptor } from './sandbox-client.js';

/**
 * The one switch between real Azure and the local sandbox: AZURE_HIPAA_SANDBOX (JSON: port and
 * CA certificate path). Without it, nothing here changes how the Azure SDKs behave.
 */
function sandboxOf(env: NodeJS.ProcessEnv): SandboxDescriptor | undefined {
  const raw = env['AZURE_HIPAA_SANDBOX'];
  if (!raw) return undefined;
  try {
    const descriptor = JSON.parse(raw) as SandboxDescriptor;
    if (typeof descriptor.port !== 'number' || typeof descriptor.caCert !== 'string') throw new Error('needs port and caCert');
    return descriptor;
  } catch (error) {
    throw new ConfigurationError(
      `AZURE_HIPAA_SANDBOX is not a sandbox descriptor (${errorMessage(error)}). Use the env that \`azure-hipaa sandbox up\` prints, or unset it for real Azure.`,
    );
  }
}

const clients = new Map<string, HttpClient>();

function sandboxClient(descriptor: SandboxDescriptor): HttpClient {
  const key = `${descriptor.port}|${descriptor.caCert}`;
  let client = clients.get(key);
  if (!client) clients.set(key, (client = sandboxHttpClient(descriptor)));
  return client;
}

/** The credential every Azure client uses: DefaultAzureCredential (azure/login's OIDC, `az login`), or the sandbox's client secret. */
export function azureCredential(env: NodeJS.ProcessEnv): TokenCredential {
  const sandbox = sandboxOf(env);
  if (!sandbox) return new DefaultAzureCredential();
  const tenant = env['AZURE_TENANT_ID'];
  const clientId = env['AZURE_CLIENT_ID'];
  const secret = env['AZURE_CLIENT_SECRET'];
  const federatedTokenFile = env['AZURE_FEDERATED_TOKEN_FILE'];
  const options = {
    authorityHost: env['AZURE_AUTHORITY_HOST'] ?? 'https://login.microsoftonline.com',
    disableInstanceDiscovery: true,
    httpClient: sandboxClient(sandbox),
  };
  if (tenant && clientId && federatedTokenFile) {
    // As workload identity federation does: the assertion is read afresh for every token.
    return new ClientAssertionCredential(tenant, clientId, async () => (await readFile(federatedTokenFile, 'utf8')).trim(), options);
  }
  if (!tenant || !clientId || !secret)
    throw new ConfigurationError(
      'The sandbox needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) from `azure-hipaa sandbox up`.',
    );
  return new ClientSecretCredential(tenant, clientId, secret, options);
}

/** The HTTP client for requests outside the Azure SDKs (a registry's token exchange, an app's address, Twilio): the sandbox's when it is switched on. */
export function azureHttpClient(env: NodeJS.ProcessEnv): HttpClient {
  return azureClientOptions(env).httpClient ?? createDefaultHttpClient();
}

/** Options for any Azure SDK client: routes to the sandbox when it is switched on, else empty. */
export function azureClientOptions(env: NodeJS.ProcessEnv): { httpClient?: HttpClient } {
  const sandbox = sandboxOf(env);
  return sandbox ? { httpClient: sandboxClient(sandbox) } : {};
}

/**
 * The object id of the identity the workflow signed in as (the `oid` claim of its Resource Manager
 * token), for role grants to itself; undefined when no token can be had or it names no object.
 */
export async function signedInPrincipal(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const token = await azureCredential(env).getToken('https://management.azure.com/.default');
    const claims = JSON.parse(Buffer.from(token?.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { oid?: unknown };
    return typeof claims.oid === 'string' && /^[0-9a-f-]{36}$/i.test(claims.oid) ? claims.oid : undefined;
  } catch {
    return undefined;
  }
}
